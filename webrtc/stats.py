"""getStats() dictionaries (W3C webrtc-stats), under the class names aiortc exports.

Ids follow what browsers write (``T01`` style is theirs; ours are stable readable strings such
as ``transport-0`` and ``candidate-pair-<local>-<remote>``); ``type`` is the W3C
RTCStatsType string. Timestamps are ``datetime`` objects, as in aiortc.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass


@dataclass
class RTCStats:
    timestamp: datetime.datetime
    type: str
    id: str


@dataclass
class RTCPeerConnectionStats(RTCStats):
    dataChannelsOpened: int = 0
    dataChannelsClosed: int = 0


@dataclass
class RTCTransportStats(RTCStats):
    packetsSent: int = 0
    packetsReceived: int = 0
    bytesSent: int = 0
    bytesReceived: int = 0
    iceRole: str = ""
    dtlsState: str = "new"
    iceState: str = "new"
    dtlsRole: str = "unknown"
    selectedCandidatePairId: str | None = None
    selectedCandidatePairChanges: int = 0
    localCertificateId: str | None = None
    remoteCertificateId: str | None = None
    iceLocalUsernameFragment: str | None = None
    tlsVersion: str | None = None
    dtlsCipher: str | None = None
    srtpCipher: str | None = None


@dataclass
class RTCIceCandidatePairStats(RTCStats):
    transportId: str = ""
    localCandidateId: str = ""
    remoteCandidateId: str = ""
    state: str = "frozen"
    nominated: bool = False
    packetsSent: int = 0
    packetsReceived: int = 0
    bytesSent: int = 0
    bytesReceived: int = 0
    totalRoundTripTime: float = 0.0
    currentRoundTripTime: float | None = None
    requestsSent: int = 0
    requestsReceived: int = 0
    responsesSent: int = 0
    responsesReceived: int = 0
    consentRequestsSent: int = 0


@dataclass
class RTCIceCandidateStats(RTCStats):
    transportId: str = ""
    address: str | None = None
    port: int | None = None
    protocol: str = "udp"
    candidateType: str = "host"
    priority: int | None = None
    foundation: str | None = None
    relatedAddress: str | None = None
    relatedPort: int | None = None
    usernameFragment: str | None = None
    tcpType: str | None = None
    url: str | None = None


@dataclass
class RTCCertificateStats(RTCStats):
    fingerprint: str = ""
    fingerprintAlgorithm: str = "sha-256"
    base64Certificate: str = ""


@dataclass
class RTCDataChannelStats(RTCStats):
    label: str = ""
    protocol: str = ""
    dataChannelIdentifier: int | None = None
    state: str = "connecting"
    messagesSent: int = 0
    bytesSent: int = 0
    messagesReceived: int = 0
    bytesReceived: int = 0


@dataclass
class RTCRtpStreamStats(RTCStats):
    ssrc: int = 0
    kind: str = ""
    transportId: str = ""


@dataclass
class RTCReceivedRtpStreamStats(RTCRtpStreamStats):
    packetsReceived: int = 0
    packetsLost: int = 0
    jitter: float = 0.0


@dataclass
class RTCSentRtpStreamStats(RTCRtpStreamStats):
    packetsSent: int = 0
    bytesSent: int = 0


@dataclass
class RTCInboundRtpStreamStats(RTCReceivedRtpStreamStats):
    pass


@dataclass
class RTCRemoteInboundRtpStreamStats(RTCReceivedRtpStreamStats):
    roundTripTime: float = 0.0
    fractionLost: float = 0.0


@dataclass
class RTCOutboundRtpStreamStats(RTCSentRtpStreamStats):
    trackId: str = ""


@dataclass
class RTCRemoteOutboundRtpStreamStats(RTCSentRtpStreamStats):
    remoteTimestamp: datetime.datetime | None = None


class RTCStatsReport(dict[str, RTCStats]):
    """A mapping from stats id to stats object, as ``getStats()`` returns it."""

    def add(self, stats: RTCStats) -> None:
        self[stats.id] = stats

    def of_type(self, kind: str) -> list[RTCStats]:
        return [s for s in self.values() if s.type == kind]
