"""RTCRtpTransceiver, RTCRtpSender and RTCRtpReceiver (webrtc-pc §5).

This is the negotiation side of media: which m-line a transceiver owns, its direction, the
codecs agreed, the SSRCs it announces. Sending and receiving RTP plug in here with the media
layer (SRTP over the DTLS transport's RTP path) without changing how negotiation sees them.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from .codecs import capabilities, default_codecs, default_header_extensions
from .exceptions import InvalidAccessError, InvalidStateError
from .jsep import DIRECTIONS
from .mediastreams import MediaStreamTrack, RemoteStreamTrack
from .rtp_parameters import (
    RTCRtpCapabilities,
    RTCRtpCodecCapability,
    RTCRtpCodecParameters,
    RTCRtpHeaderExtensionParameters,
)

if TYPE_CHECKING:
    from random import Random


class RTCRtpSender:
    """Sends one track; ``kind`` is fixed at creation (webrtc-pc §5.2)."""

    def __init__(self, trackOrKind: MediaStreamTrack | str, transport: Any = None) -> None:
        if isinstance(trackOrKind, MediaStreamTrack):
            self.__track: MediaStreamTrack | None = trackOrKind
            self.__kind = trackOrKind.kind
        else:
            self.__track = None
            self.__kind = trackOrKind
        self.transport = transport
        self._stream_ids: list[str] = []
        self._ssrc: int = 0
        self._rtx_ssrc: int = 0
        self._cname: str = ""

    @property
    def kind(self) -> str:
        return self.__kind

    @property
    def track(self) -> MediaStreamTrack | None:
        return self.__track

    @staticmethod
    def getCapabilities(kind: str) -> RTCRtpCapabilities:
        return capabilities(kind)

    async def replaceTrack(self, track: MediaStreamTrack | None) -> None:
        if track is not None and track.kind != self.__kind:
            raise TypeError(f"cannot replace a {self.__kind} track with a {track.kind} track")
        self.__track = track

    def setStreams(self, *streams: str) -> None:
        self._stream_ids = list(streams)

    def _assign_ssrcs(self, rng: Random, cname: str) -> None:
        self._ssrc = rng.getrandbits(32) or 1
        self._rtx_ssrc = rng.getrandbits(32) or 2
        self._cname = cname


class RTCRtpReceiver:
    """Receives one track; its ``track`` exists from the start, as webrtc-pc says."""

    def __init__(self, kind: str, transport: Any = None) -> None:
        self.__kind = kind
        self.transport = transport
        self._track = RemoteStreamTrack(kind)

    @property
    def kind(self) -> str:
        return self.__kind

    @property
    def track(self) -> RemoteStreamTrack:
        return self._track

    @staticmethod
    def getCapabilities(kind: str) -> RTCRtpCapabilities:
        return capabilities(kind)

    def getSynchronizationSources(self) -> list[Any]:
        return []

    def getContributingSources(self) -> list[Any]:
        return []


class RTCRtpTransceiver:
    """A sender and a receiver that share one m-line (and one mid once negotiated)."""

    def __init__(
        self,
        kind: str,
        receiver: RTCRtpReceiver,
        sender: RTCRtpSender,
        direction: str = "sendrecv",
    ) -> None:
        if direction not in DIRECTIONS:
            raise TypeError(f"direction must be one of {', '.join(DIRECTIONS)}")
        self.__kind = kind
        self.__receiver = receiver
        self.__sender = sender
        self.__direction = direction
        self.__stopped = False
        self._mid: str | None = None
        self._current_direction: str | None = None
        self._offered_direction: str | None = None
        self._codec_preferences: list[RTCRtpCodecCapability] = []
        self._codecs: list[RTCRtpCodecParameters] = []
        """Negotiated codecs, the remote's payload types (empty before negotiation)."""
        self._header_extensions: list[RTCRtpHeaderExtensionParameters] = []
        self._mline_index: int | None = None
        self._pending_mid: str | None = None
        """The mid createOffer wrote for it; it becomes ``mid`` when that offer is applied."""
        self._added_by_track = False
        self._fired_direction: str | None = None
        self._remote_stream_ids: list[str] = []
        self._remote_ssrcs: list[int] = []

    @property
    def kind(self) -> str:
        return self.__kind

    @property
    def mid(self) -> str | None:
        return self._mid

    @property
    def sender(self) -> RTCRtpSender:
        return self.__sender

    @property
    def receiver(self) -> RTCRtpReceiver:
        return self.__receiver

    @property
    def stopped(self) -> bool:
        return self.__stopped

    @property
    def direction(self) -> str:
        return self.__direction

    @direction.setter
    def direction(self, direction: str) -> None:
        if self.__stopped:
            raise InvalidStateError("the transceiver is stopped")
        if direction not in DIRECTIONS:
            raise TypeError(f"direction must be one of {', '.join(DIRECTIONS)}")
        self.__direction = direction

    @property
    def currentDirection(self) -> str | None:
        """The direction last negotiated (None before the first answer; 'stopped' after stop)."""
        return "stopped" if self.__stopped and self._mid is None else self._current_direction

    def setCodecPreferences(self, codecs: list[RTCRtpCodecCapability]) -> None:
        """Restrict and order the codecs offered (webrtc-pc §5.4); [] restores the defaults."""
        supported = {(c.mimeType.lower(), c.clockRate) for c in capabilities(self.__kind).codecs}
        for codec in codecs:
            if (codec.mimeType.lower(), codec.clockRate) not in supported:
                raise InvalidAccessError(f"codec {codec.mimeType}/{codec.clockRate} not supported")
        self._codec_preferences = list(codecs)

    def _local_codecs(self) -> list[RTCRtpCodecParameters]:
        """The codecs we offer, in preference order, with our payload types."""
        codecs = default_codecs(self.__kind)
        if not self._codec_preferences:
            return codecs
        chosen: list[RTCRtpCodecParameters] = []
        for pref in self._codec_preferences:
            for codec in codecs:
                if (
                    codec.mimeType.lower() == pref.mimeType.lower()
                    and codec.clockRate == pref.clockRate
                    and codec not in chosen
                ):
                    chosen.append(codec)
        kept_pts = {c.payloadType for c in chosen}
        rtx = [
            c
            for c in codecs
            if c.name.lower() == "rtx" and c.parameters.get("apt") in kept_pts and c not in chosen
        ]
        return chosen + rtx

    def _local_header_extensions(self) -> list[RTCRtpHeaderExtensionParameters]:
        return default_header_extensions(self.__kind)

    def stop(self) -> None:
        """Stop for good: the m-line is rejected at the next negotiation (webrtc-pc §5.4)."""
        if self.__stopped:
            return
        self.__stopped = True
        self._current_direction = None
        if self.__sender.track is not None:
            self.__sender.track.stop()
        self.__receiver.track.stop()


def new_track_id() -> str:
    return str(uuid.uuid4())
