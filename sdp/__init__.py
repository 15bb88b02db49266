"""SDP (RFC 8866) for WebRTC: a typed, lossless model with a parser and a writer.

    >>> session = sdp.parse(offer_text)
    >>> session.media[0].mid, session.media[0].rtpmaps[0].encoding
    >>> sdp.write(session) == offer_text        # for what browsers write

The ICE candidate line (:class:`Candidate`) is shared with the ``ice`` package.
"""

from .attributes import (
    AnyAttribute,
    Attribute,
    Extmap,
    Fingerprint,
    Fmtp,
    Group,
    IceOptions,
    IcePwd,
    IceUfrag,
    MaxMessageSize,
    Mid,
    Msid,
    MsidSemantic,
    Rid,
    Rtcp,
    RtcpFb,
    Rtpmap,
    SctpPort,
    Setup,
    Simulcast,
    Ssrc,
    SsrcGroup,
)
from .candidate import Candidate
from .errors import SDPParseError
from .model import (
    Bandwidth,
    Connection,
    MediaDescription,
    Origin,
    SessionDescription,
    Timing,
)
from .parse import MAX_SDP_SIZE, parse
from .write import write

__all__ = [
    "MAX_SDP_SIZE",
    "AnyAttribute",
    "Attribute",
    "Bandwidth",
    "Candidate",
    "Connection",
    "Extmap",
    "Fingerprint",
    "Fmtp",
    "Group",
    "IceOptions",
    "IcePwd",
    "IceUfrag",
    "MaxMessageSize",
    "MediaDescription",
    "Mid",
    "Msid",
    "MsidSemantic",
    "Origin",
    "Rid",
    "Rtcp",
    "RtcpFb",
    "Rtpmap",
    "SDPParseError",
    "SctpPort",
    "SessionDescription",
    "Setup",
    "Simulcast",
    "Ssrc",
    "SsrcGroup",
    "Timing",
    "parse",
    "write",
]
