"""SDP (RFC 8866) for WebRTC: a typed, lossless model with a parser and a writer."""

from .candidate import Candidate
from .errors import SDPParseError

__all__ = ["Candidate", "SDPParseError"]
