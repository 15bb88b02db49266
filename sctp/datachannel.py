"""The data channel object: W3C ``RTCDataChannel`` attributes plus a detached, stream-like API.

The attribute names are aiortc's (W3C camelCase), so aiortc code ports unchanged:
``label``, ``ordered``, ``maxPacketLifeTime``, ``maxRetransmits``, ``protocol``,
``negotiated``, ``id``, ``priority``, ``readyState``, ``bufferedAmount``,
``bufferedAmountLowThreshold``, ``send(str | bytes)``, ``close()``.

Every event (open, message, bufferedamountlow, closing, close, error) goes through ONE method,
:meth:`DataChannel._event`. This base class does there only what its own detached API needs;
the ``webrtc`` package subclasses it to add the ``@channel.on("message")`` emitter. A subclass
that delivers messages to callbacks sets :attr:`buffer_messages` to False, so unread messages
do not pile up in the :meth:`recv` queue.

The detached API (the idea of Pion's ``DetachDataChannels``): ``await channel.recv()``,
``async for message in channel``, and ``await channel.write(data)``, which waits while
``bufferedAmount`` is above :attr:`write_high_water` and resumes below
:attr:`write_low_water`: backpressure without callbacks.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, ClassVar

from .dcep import ChannelParameters, priority_name
from .errors import InvalidStateError, SctpError

if TYPE_CHECKING:
    from .transport import SctpTransport


class ChannelClosedError(InvalidStateError):
    """The channel is closed: nothing more can be read or written."""


class DataChannel:
    """One WebRTC data channel on an :class:`~sctp.transport.SctpTransport`."""

    buffer_messages: ClassVar[bool] = True
    """Queue received messages for :meth:`recv` (the detached API); a subclass that hands
    messages to callbacks sets this to False."""

    def __init__(
        self, transport: SctpTransport, stream_id: int | None, params: ChannelParameters
    ) -> None:
        self._transport = transport
        self._id = stream_id
        self._params = params
        self._ready_state = "connecting"
        self._low_threshold = 0
        self._messages: deque[bytes | str] = deque()
        self._readers: deque[asyncio.Future[None]] = deque()
        self._writers: deque[asyncio.Future[None]] = deque()
        self._opened: asyncio.Future[None] | None = None
        self.error: SctpError | None = None
        """Why the channel failed, if it did."""
        self.write_high_water = 1024 * 1024
        """``write`` waits while ``bufferedAmount`` is above this many bytes."""
        self.write_low_water = 256 * 1024
        """…and resumes once it is at or below this."""
        self.messages_sent = 0
        self.bytes_sent = 0
        self.messages_received = 0
        self.bytes_received = 0

    # --- W3C attributes ---------------------------------------------------------------------

    @property
    def id(self) -> int | None:
        """The SCTP stream id; None until the DTLS role is known (W3C)."""
        return self._id

    @property
    def label(self) -> str:
        return self._params.label

    @property
    def protocol(self) -> str:
        return self._params.protocol

    @property
    def ordered(self) -> bool:
        return self._params.ordered

    @property
    def maxPacketLifeTime(self) -> int | None:
        return self._params.max_packet_lifetime

    @property
    def maxRetransmits(self) -> int | None:
        return self._params.max_retransmits

    @property
    def negotiated(self) -> bool:
        return self._params.negotiated

    @property
    def priority(self) -> str:
        return priority_name(self._params.priority)

    @property
    def readyState(self) -> str:
        """One of: connecting, open, closing, closed."""
        return self._ready_state

    @property
    def bufferedAmount(self) -> int:
        """Bytes of user data queued by ``send`` and not yet handed to the network."""
        if self._ready_state == "closed" or self._id is None:
            return 0
        return self._transport._buffered_amount(self._id)

    @property
    def bufferedAmountLowThreshold(self) -> int:
        return self._low_threshold

    @bufferedAmountLowThreshold.setter
    def bufferedAmountLowThreshold(self, value: int) -> None:
        if not 0 <= value <= 0xFFFFFFFF:
            raise ValueError("bufferedAmountLowThreshold must be in 0..2**32-1")
        self._low_threshold = value
        if self._ready_state != "closed" and self._id is not None:
            self._transport._set_low_threshold(self._id, value)

    @property
    def transport(self) -> SctpTransport:
        return self._transport

    # --- W3C methods ------------------------------------------------------------------------

    def send(self, data: bytes | bytearray | memoryview | str) -> None:
        """Queue one message. Strings go as UTF-8 (PPID 51), bytes as binary (PPID 53), empty
        ones as a single zero byte with PPID 56/57 (RFC 8831 §6.6)."""
        if self._ready_state != "open":
            raise InvalidStateError(f"data channel is {self._ready_state}, not open")
        message: bytes | str
        if isinstance(data, str):
            message = data
            size = len(data.encode())
        elif isinstance(data, bytes | bytearray | memoryview):
            message = bytes(data)
            size = len(message)
        else:
            raise TypeError(f"cannot send {type(data).__name__}: need str or bytes")
        sid = self._id
        assert sid is not None  # open channels have their id
        self._transport._send(sid, message)
        self.messages_sent += 1
        self.bytes_sent += size

    def close(self) -> None:
        """Start the closing procedure (W3C; RFC 8831 §6.7 resets the stream)."""
        if self._ready_state in ("closing", "closed"):
            return
        self._ready_state = "closing"
        self._transport._close_channel(self._id, self)

    # --- the detached API -------------------------------------------------------------------

    async def wait_open(self) -> None:
        """Return once the channel is open; raises if it closed first."""
        if self._ready_state == "open":
            return
        if self._ready_state == "closed":
            raise ChannelClosedError("data channel closed before it opened")
        if self._opened is None:
            self._opened = asyncio.get_running_loop().create_future()
        await asyncio.shield(self._opened)

    async def recv(self) -> bytes | str:
        """The next message; raises :class:`ChannelClosedError` once closed and drained."""
        while not self._messages:
            if self._ready_state == "closed":
                raise ChannelClosedError("data channel is closed")
            waiter = asyncio.get_running_loop().create_future()
            self._readers.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._readers:
                    self._readers.remove(waiter)
        return self._messages.popleft()

    def __aiter__(self) -> DataChannel:
        return self

    async def __anext__(self) -> bytes | str:
        try:
            return await self.recv()
        except ChannelClosedError:
            raise StopAsyncIteration from None

    async def write(self, data: bytes | bytearray | memoryview | str) -> None:
        """Send once there is room: waits while ``bufferedAmount`` > ``write_high_water``."""
        while self._ready_state == "open" and self.bufferedAmount > self.write_high_water:
            waiter = asyncio.get_running_loop().create_future()
            self._writers.append(waiter)
            self._transport._watch_writer(self)
            try:
                await waiter
            finally:
                if waiter in self._writers:
                    self._writers.remove(waiter)
        self.send(data)

    async def drain(self) -> None:
        """Wait until everything queued has been handed to the network."""
        while self._ready_state in ("open", "closing") and self.bufferedAmount > 0:
            waiter = asyncio.get_running_loop().create_future()
            self._writers.append(waiter)
            self._transport._watch_writer(self, low_water=0)
            try:
                await waiter
            finally:
                if waiter in self._writers:
                    self._writers.remove(waiter)

    # --- events (from the transport) ----------------------------------------------------------

    def _event(self, name: str, *args: object) -> None:
        """The one place every channel event goes through; subclasses extend it.

        Events: "open", "message" (with the message), "bufferedamountlow", "closing",
        "close", "error" (with the :class:`SctpError`).
        """
        if name == "message":
            if self.buffer_messages:
                message = args[0]
                assert isinstance(message, bytes | str)
                self._messages.append(message)
                if self._readers:
                    _wake(self._readers.popleft())
        elif name == "open":
            if self._opened is not None and not self._opened.done():
                self._opened.set_result(None)
        elif name == "close":
            for waiter in (*self._readers, *self._writers):
                _wake(waiter)
            if self._opened is not None and not self._opened.done():
                self._opened.set_exception(ChannelClosedError("data channel closed"))
                self._opened.exception()  # retrieved: nobody may be waiting
        elif name == "error":
            error = args[0]
            assert isinstance(error, SctpError)
            self.error = error

    def _wake_writers(self) -> None:
        while self._writers:
            _wake(self._writers.popleft())

    # --- state changes, driven by the transport -----------------------------------------------

    def _set_state(self, state: str) -> None:
        self._ready_state = state

    def _deliver(self, message: bytes | str, size: int) -> None:
        self.messages_received += 1
        self.bytes_received += size
        self._event("message", message)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} id={self._id} label={self.label!r} state={self._ready_state}>"
        )


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
