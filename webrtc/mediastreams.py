"""MediaStreamTrack and the two generator tracks aiortc applications start from.

Frames are PyAV objects, so PyAV (the ``media`` extra) is imported only when a frame is made:
a data-channel-only program never needs FFmpeg.
"""

from __future__ import annotations

import asyncio
import fractions
import time
import uuid
from typing import Any

from .emitter import EventEmitter

AUDIO_PTIME = 0.020
VIDEO_CLOCK_RATE = 90000
VIDEO_PTIME = 1 / 30
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK_RATE)


class MediaStreamError(Exception):
    """The track ended: ``recv()`` has nothing more to give."""


class MediaStreamTrack(EventEmitter):
    """A single audio or video track (W3C Media Capture §4.3); subclass it and write ``recv``."""

    kind = "unknown"

    def __init__(self) -> None:
        super().__init__()
        self.__ended = False
        self._id = str(uuid.uuid4())

    @property
    def id(self) -> str:
        return self._id

    @property
    def readyState(self) -> str:
        return "ended" if self.__ended else "live"

    async def recv(self) -> Any:
        """The next frame (``av.AudioFrame`` / ``av.VideoFrame``) or packet."""
        raise NotImplementedError

    def stop(self) -> None:
        if not self.__ended:
            self.__ended = True
            self.emit("ended")
            self.remove_all_listeners()


def _require_av() -> Any:
    try:
        import av
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise MediaStreamError("media frames need PyAV: pip install 'webrtc-stack[media]'") from exc
    return av


class AudioStreamTrack(MediaStreamTrack):
    """Silence, 20 ms at a time, at 48 kHz mono (s16), paced in real time."""

    kind = "audio"

    _start: float
    _timestamp: int

    async def recv(self) -> Any:
        if self.readyState != "live":
            raise MediaStreamError
        av = _require_av()
        sample_rate = 48000
        samples = int(AUDIO_PTIME * sample_rate)
        if hasattr(self, "_timestamp"):
            self._timestamp += samples
            wait = self._start + (self._timestamp / sample_rate) - time.time()
            await asyncio.sleep(max(0.0, wait))
        else:
            self._start = time.time()
            self._timestamp = 0
        frame = av.AudioFrame(format="s16", layout="mono", samples=samples)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.pts = self._timestamp
        frame.sample_rate = sample_rate
        frame.time_base = fractions.Fraction(1, sample_rate)
        return frame


class VideoStreamTrack(MediaStreamTrack):
    """Green 640x480 frames at 30 fps; ``next_timestamp`` paces subclasses that draw their own."""

    kind = "video"

    _start: float
    _timestamp: int

    async def next_timestamp(self) -> tuple[int, fractions.Fraction]:
        if self.readyState != "live":
            raise MediaStreamError
        if hasattr(self, "_timestamp"):
            self._timestamp += int(VIDEO_PTIME * VIDEO_CLOCK_RATE)
            wait = self._start + (self._timestamp / VIDEO_CLOCK_RATE) - time.time()
            await asyncio.sleep(max(0.0, wait))
        else:
            self._start = time.time()
            self._timestamp = 0
        return self._timestamp, VIDEO_TIME_BASE

    async def recv(self) -> Any:
        pts, time_base = await self.next_timestamp()
        av = _require_av()
        frame = av.VideoFrame(width=640, height=480)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.pts = pts
        frame.time_base = time_base
        return frame


class RemoteStreamTrack(MediaStreamTrack):
    """A track fed by an RTCRtpReceiver: frames arrive through :meth:`_put`."""

    def __init__(self, kind: str, id: str | None = None) -> None:
        super().__init__()
        self.kind = kind
        if id is not None:
            self._id = id
        self._queue: asyncio.Queue[Any] = asyncio.Queue()

    async def recv(self) -> Any:
        if self.readyState != "live" and self._queue.empty():
            raise MediaStreamError
        frame = await self._queue.get()
        if frame is None:
            raise MediaStreamError
        return frame

    def _put(self, frame: Any) -> None:
        self._queue.put_nowait(frame)

    def stop(self) -> None:
        if self.readyState == "live":
            self._queue.put_nowait(None)
        super().stop()
