"""aiortc applications import the candidate helpers from ``aiortc.sdp``; here they are too."""

from .icecandidate import candidate_from_sdp, candidate_to_sdp

__all__ = ["candidate_from_sdp", "candidate_to_sdp"]
