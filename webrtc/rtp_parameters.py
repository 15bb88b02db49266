"""The W3C RTP dictionaries (webrtc-pc §5.2), as dataclasses with aiortc's field names."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

ParametersDict = dict[str, int | str | None]


@dataclass
class RTCRtcpFeedback:
    """One ``a=rtcp-fb`` entry: ``nack``, ``nack pli``, ``ccm fir``, ``goog-remb`` …"""

    type: str
    parameter: str | None = None


@dataclass
class RTCRtpCodecCapability:
    """A codec the stack can send or receive, before any payload type is chosen."""

    mimeType: str
    """``audio/opus``, ``video/VP8`` …"""
    clockRate: int
    channels: int | None = None
    parameters: ParametersDict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.mimeType.split("/", 1)[1]


@dataclass
class RTCRtpCodecParameters:
    """A negotiated codec: a capability bound to a payload type, with its feedback."""

    mimeType: str
    clockRate: int
    channels: int | None = None
    payloadType: int | None = None
    rtcpFeedback: list[RTCRtcpFeedback] = field(default_factory=list)
    parameters: ParametersDict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.mimeType.split("/", 1)[1]

    def __str__(self) -> str:
        text = f"{self.name}/{self.clockRate}"
        return text if self.channels in (None, 1) else f"{text}/{self.channels}"


@dataclass
class RTCRtpHeaderExtensionCapability:
    uri: str


@dataclass
class RTCRtpHeaderExtensionParameters:
    id: int
    uri: str


@dataclass
class RTCRtpCapabilities:
    """What ``RTCRtpSender.getCapabilities(kind)`` returns."""

    codecs: list[RTCRtpCodecCapability] = field(default_factory=list)
    headerExtensions: list[RTCRtpHeaderExtensionCapability] = field(default_factory=list)


@dataclass
class RTCRtcpParameters:
    cname: str | None = None
    mux: bool = False
    ssrc: int | None = None


@dataclass
class RTCRtpRtxParameters:
    ssrc: int


@dataclass
class RTCRtpCodingParameters:
    ssrc: int
    payloadType: int
    rtx: RTCRtpRtxParameters | None = None


class RTCRtpDecodingParameters(RTCRtpCodingParameters):
    pass


class RTCRtpEncodingParameters(RTCRtpCodingParameters):
    pass


@dataclass
class RTCRtpParameters:
    codecs: list[RTCRtpCodecParameters] = field(default_factory=list)
    headerExtensions: list[RTCRtpHeaderExtensionParameters] = field(default_factory=list)
    muxId: str = ""
    rtcp: RTCRtcpParameters = field(default_factory=RTCRtcpParameters)


@dataclass
class RTCRtpReceiveParameters(RTCRtpParameters):
    encodings: list[RTCRtpDecodingParameters] = field(default_factory=list)


@dataclass
class RTCRtpSendParameters(RTCRtpParameters):
    encodings: list[RTCRtpEncodingParameters] = field(default_factory=list)


@dataclass
class RTCSctpCapabilities:
    maxMessageSize: int


@dataclass
class RTCRtpContributingSource:
    """A CSRC seen by a receiver (webrtc-pc §5.3)."""

    timestamp: datetime.datetime
    source: int


@dataclass
class RTCRtpSynchronizationSource:
    """An SSRC seen by a receiver (webrtc-pc §5.3)."""

    timestamp: datetime.datetime
    source: int
