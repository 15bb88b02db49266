"""RTCConfiguration and RTCIceServer (webrtc-pc §4.2)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from dtls import RTCCertificate


class RTCBundlePolicy(enum.Enum):
    BALANCED = "balanced"
    MAX_COMPAT = "max-compat"
    MAX_BUNDLE = "max-bundle"


class RTCIceTransportPolicy(enum.Enum):
    ALL = "all"
    RELAY = "relay"


class RTCRtcpMuxPolicy(enum.Enum):
    REQUIRE = "require"


@dataclass
class RTCIceServer:
    """A STUN or TURN server: ``urls`` such as ``stun:stun.example.org:3478``."""

    urls: str | list[str]
    username: str | None = None
    credential: str | None = None
    credentialType: str = "password"

    @property
    def url_list(self) -> list[str]:
        return [self.urls] if isinstance(self.urls, str) else list(self.urls)


@dataclass
class RTCConfiguration:
    iceServers: list[RTCIceServer] | None = None
    """No server by default: the stack never talks to a STUN server the user did not name."""
    bundlePolicy: RTCBundlePolicy = RTCBundlePolicy.BALANCED
    iceTransportPolicy: RTCIceTransportPolicy = RTCIceTransportPolicy.ALL
    rtcpMuxPolicy: RTCRtcpMuxPolicy = RTCRtcpMuxPolicy.REQUIRE
    certificates: list[RTCCertificate] = field(default_factory=list)
    iceCandidatePoolSize: int = 0

    def __post_init__(self) -> None:
        # Accept the W3C strings as well as the enums, as browsers do.
        self.bundlePolicy = RTCBundlePolicy(getattr(self.bundlePolicy, "value", self.bundlePolicy))
        self.iceTransportPolicy = RTCIceTransportPolicy(
            getattr(self.iceTransportPolicy, "value", self.iceTransportPolicy)
        )
        self.rtcpMuxPolicy = RTCRtcpMuxPolicy(
            getattr(self.rtcpMuxPolicy, "value", self.rtcpMuxPolicy)
        )
        if not 0 <= self.iceCandidatePoolSize <= 255:
            raise TypeError("iceCandidatePoolSize must be within 0..255")
