"""RTCIceCandidate (webrtc-pc §4.8.2) and aiortc's helpers to convert it to and from SDP."""

from __future__ import annotations

from typing import Any

import sdp


class RTCIceCandidate:
    """One remote or local ICE candidate, with the m-line it belongs to.

    The fields are those of the W3C interface (``address``, ``relatedAddress`` …); ``ip`` is
    kept as an alias so code written for aiortc keeps working.
    """

    def __init__(
        self,
        component: int,
        foundation: str,
        ip: str | None = None,
        port: int = 0,
        priority: int = 0,
        protocol: str = "udp",
        type: str = "host",
        relatedAddress: str | None = None,
        relatedPort: int | None = None,
        sdpMid: str | None = None,
        sdpMLineIndex: int | None = None,
        tcpType: str | None = None,
        *,
        address: str | None = None,
        usernameFragment: str | None = None,
    ) -> None:
        if (ip is None) == (address is None) and ip != address:
            raise TypeError("give the candidate's address as address= (or ip=), once")
        self.component = component
        self.foundation = foundation
        self.address: str = address if address is not None else ip or ""
        self.port = port
        self.priority = priority
        self.protocol = protocol
        self.type = type
        self.relatedAddress = relatedAddress
        self.relatedPort = relatedPort
        self.sdpMid = sdpMid
        self.sdpMLineIndex = sdpMLineIndex
        self.tcpType = tcpType
        self.usernameFragment = usernameFragment

    @property
    def ip(self) -> str:
        return self.address

    @ip.setter
    def ip(self, value: str) -> None:
        self.address = value

    @property
    def candidate(self) -> str:
        """The candidate-attribute text, ``candidate:…``, as browsers signal it."""
        return "candidate:" + candidate_to_sdp(self)

    def to_sdp_candidate(self) -> sdp.Candidate:
        return sdp.Candidate(
            foundation=self.foundation,
            component=self.component,
            transport=self.protocol,
            priority=self.priority,
            address=self.address,
            port=self.port,
            type=self.type,
            related_address=self.relatedAddress,
            related_port=self.relatedPort,
            tcptype=self.tcpType,
            ufrag=self.usernameFragment,
        )

    @classmethod
    def from_sdp_candidate(
        cls, c: sdp.Candidate, *, sdpMid: str | None = None, sdpMLineIndex: int | None = None
    ) -> RTCIceCandidate:
        return cls(
            component=c.component,
            foundation=c.foundation,
            address=c.address,
            port=c.port,
            priority=c.priority,
            protocol=c.protocol,
            type=c.type,
            relatedAddress=c.related_address,
            relatedPort=c.related_port,
            sdpMid=sdpMid,
            sdpMLineIndex=sdpMLineIndex,
            tcpType=c.tcptype,
            usernameFragment=c.ufrag,
        )

    def toJSON(self) -> dict[str, Any]:
        """The RTCIceCandidateInit dictionary a browser's ``addIceCandidate`` takes."""
        return {
            "candidate": self.candidate,
            "sdpMid": self.sdpMid,
            "sdpMLineIndex": self.sdpMLineIndex,
            "usernameFragment": self.usernameFragment,
        }

    @classmethod
    def fromJSON(cls, init: dict[str, Any]) -> RTCIceCandidate | None:
        """Build from RTCIceCandidateInit; an empty ``candidate`` (end of candidates) gives None.

        Raises ``sdp.SDPParseError`` (a ValueError) for a malformed candidate string.
        """
        text = init.get("candidate") or ""
        if not text:
            return None
        candidate = candidate_from_sdp(text)
        candidate.sdpMid = init.get("sdpMid")
        candidate.sdpMLineIndex = init.get("sdpMLineIndex")
        candidate.usernameFragment = init.get("usernameFragment") or candidate.usernameFragment
        return candidate

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RTCIceCandidate):
            return NotImplemented
        return vars(self) == vars(other)

    def __repr__(self) -> str:
        return f"RTCIceCandidate({self.candidate!r}, sdpMid={self.sdpMid!r})"


def candidate_from_sdp(text: str) -> RTCIceCandidate:
    """Parse a candidate line, with or without its ``candidate:`` prefix (as aiortc's helper)."""
    return RTCIceCandidate.from_sdp_candidate(sdp.Candidate.from_sdp(text))


def candidate_to_sdp(candidate: RTCIceCandidate) -> str:
    """The candidate line without the ``candidate:`` prefix (as aiortc's helper)."""
    return candidate.to_sdp_candidate().to_sdp()[len("candidate:") :]
