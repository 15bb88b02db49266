"""The W3C WebRTC API (RTCPeerConnection and friends), spelled as aiortc spells it.

Every name of aiortc's public ``__all__`` is here with the same meaning, so an aiortc
application ports by changing its imports. :class:`Settings` holds what W3C's
:class:`RTCConfiguration` has no place for (Pion's SettingEngine).
"""

from dtls import RTCCertificate, RTCDtlsFingerprint

from .configuration import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCRtcpMuxPolicy,
)
from .datachannel import RTCDataChannel, RTCDataChannelParameters
from .dtlstransport import RTCDtlsParameters, RTCDtlsTransport
from .exceptions import (
    InternalError,
    InvalidAccessError,
    InvalidModificationError,
    InvalidStateError,
    OperationError,
)
from .icecandidate import RTCIceCandidate, candidate_from_sdp, candidate_to_sdp
from .icetransport import RTCIceCandidatePair, RTCIceGatherer, RTCIceParameters, RTCIceTransport
from .mediastreams import AudioStreamTrack, MediaStreamError, MediaStreamTrack, VideoStreamTrack
from .peerconnection import RTCPeerConnection, RTCTrackEvent
from .rtp_parameters import (
    RTCRtcpFeedback,
    RTCRtcpParameters,
    RTCRtpCapabilities,
    RTCRtpCodecCapability,
    RTCRtpCodecParameters,
    RTCRtpContributingSource,
    RTCRtpHeaderExtensionCapability,
    RTCRtpHeaderExtensionParameters,
    RTCRtpParameters,
    RTCRtpReceiveParameters,
    RTCRtpSendParameters,
    RTCRtpSynchronizationSource,
    RTCSctpCapabilities,
)
from .rtptransceiver import RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from .runner import run
from .sctptransport import RTCSctpTransport
from .sessiondescription import RTCSessionDescription
from .settings import Settings
from .stats import (
    RTCCertificateStats,
    RTCDataChannelStats,
    RTCIceCandidatePairStats,
    RTCIceCandidateStats,
    RTCInboundRtpStreamStats,
    RTCOutboundRtpStreamStats,
    RTCPeerConnectionStats,
    RTCRemoteInboundRtpStreamStats,
    RTCRemoteOutboundRtpStreamStats,
    RTCStatsReport,
    RTCTransportStats,
)

__all__ = [
    "AudioStreamTrack",
    "InternalError",
    "InvalidAccessError",
    "InvalidModificationError",
    "InvalidStateError",
    "MediaStreamError",
    "MediaStreamTrack",
    "OperationError",
    "RTCBundlePolicy",
    "RTCCertificate",
    "RTCCertificateStats",
    "RTCConfiguration",
    "RTCDataChannel",
    "RTCDataChannelParameters",
    "RTCDataChannelStats",
    "RTCDtlsFingerprint",
    "RTCDtlsParameters",
    "RTCDtlsTransport",
    "RTCIceCandidate",
    "RTCIceCandidatePair",
    "RTCIceCandidatePairStats",
    "RTCIceCandidateStats",
    "RTCIceGatherer",
    "RTCIceParameters",
    "RTCIceServer",
    "RTCIceTransport",
    "RTCIceTransportPolicy",
    "RTCInboundRtpStreamStats",
    "RTCOutboundRtpStreamStats",
    "RTCPeerConnection",
    "RTCPeerConnectionStats",
    "RTCRemoteInboundRtpStreamStats",
    "RTCRemoteOutboundRtpStreamStats",
    "RTCRtcpFeedback",
    "RTCRtcpMuxPolicy",
    "RTCRtcpParameters",
    "RTCRtpCapabilities",
    "RTCRtpCodecCapability",
    "RTCRtpCodecParameters",
    "RTCRtpContributingSource",
    "RTCRtpHeaderExtensionCapability",
    "RTCRtpHeaderExtensionParameters",
    "RTCRtpParameters",
    "RTCRtpReceiveParameters",
    "RTCRtpReceiver",
    "RTCRtpSendParameters",
    "RTCRtpSender",
    "RTCRtpSynchronizationSource",
    "RTCRtpTransceiver",
    "RTCSctpCapabilities",
    "RTCSctpTransport",
    "RTCSessionDescription",
    "RTCStatsReport",
    "RTCTrackEvent",
    "RTCTransportStats",
    "Settings",
    "VideoStreamTrack",
    "candidate_from_sdp",
    "candidate_to_sdp",
    "run",
]
