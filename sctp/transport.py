"""The asyncio shell: SCTP data channels over any datagram transport (DTLS in production).

:class:`SctpTransport` owns a :class:`~sctp.channels.ChannelManager` (the sans-IO core) and
the lower transport, which only needs ``send(data)`` and ``set_receiver(callback)``: the DTLS
transport's application-data side in a PeerConnection, an in-memory pair in tests. Each
datagram is handled synchronously in the receive callback, down to the channel events it
causes; then the packets due are sent and the single ``loop.call_at`` timer is re-armed if the
core's deadline moved earlier (a later deadline keeps the armed timer, which then fires early,
finds nothing due and re-arms: far fewer timer handles than re-arming on every SACK).

Channels are made by a factory (``channel_class``), so the ``webrtc`` package can make its
``RTCDataChannel`` subclass with the W3C emitter; the transport reports its own state through
``on_statechange`` and announces the peer's channels through ``on_datachannel``.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from typing import Protocol

from .association import Association
from .channels import ChannelManager
from .datachannel import ChannelClosedError, DataChannel
from .dcep import PRIORITIES, ChannelParameters, decode_message
from .errors import InvalidStateError, SctpError
from .events import (
    AssociationClosed,
    AssociationEstablished,
    BufferedAmountLow,
    ChannelClosed,
    ChannelClosing,
    ChannelFailed,
    ChannelOpened,
    ChannelRequested,
    MessageReceived,
    SctpEvent,
)
from .settings import SctpSettings
from .stats import AssociationStats

logger = logging.getLogger(__name__)


class DatagramTransport(Protocol):
    """What SCTP runs over (the DTLS transport's application-data side, RFC 8261)."""

    def send(self, data: bytes) -> None: ...

    def set_receiver(self, receiver: Callable[[bytes], None] | None) -> None: ...


ChannelFactory = Callable[["SctpTransport", int | None, ChannelParameters], DataChannel]


class SctpTransport:
    """An SCTP association carrying WebRTC data channels (W3C ``RTCSctpTransport`` states).

    ``dtls_client`` is the DTLS role: the client opens even channel ids, the server odd ones
    (RFC 8832 §6). ``settings`` carries the ports and the peer's ``a=max-message-size``.

    ``batched_reads`` says whether the lower transport hands over several datagrams within one
    loop iteration (a socket read in batches: uvloop does, asyncio's datagram protocol does
    not). If so, the packets they call for go out once the batch is done: one SACK and one
    round of DATA per batch. ``None`` (the default) asks the lower transport (its
    ``batched_reads`` attribute: our DTLS over our ICE tells) and otherwise assumes batches on
    uvloop only.

    A PeerConnection makes its SCTP transport before it knows the DTLS role, sometimes before
    the DTLS transport exists (``createDataChannel`` comes first): pass ``None`` for either and
    supply it later with :meth:`set_dtls_role` and :meth:`attach`. Channels created meanwhile
    have no id (W3C: ``id`` is null until the role is known) and get one from
    :meth:`set_dtls_role`; they open once the association is up, as all channels do.
    """

    def __init__(
        self,
        transport: DatagramTransport | None,
        *,
        dtls_client: bool | None,
        settings: SctpSettings | None = None,
        channel_class: ChannelFactory = DataChannel,
        token_bytes: Callable[[int], bytes] = os.urandom,
        batched_reads: bool | None = None,
    ) -> None:
        self._lower = transport
        self.settings = settings or SctpSettings()
        self._assoc = Association(settings=self.settings, token_bytes=token_bytes)
        self._core = ChannelManager(self._assoc, dtls_client=dtls_client)
        self._channel_class = channel_class
        self._channels: dict[int, DataChannel] = {}
        self._pending: list[DataChannel] = []
        """Channels created before the DTLS role was known: they have no stream id yet."""
        self._state = "connecting"
        self._started = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._connected: asyncio.Future[None] | None = None
        self._closed: asyncio.Future[None] | None = None
        self._writers: dict[int, tuple[DataChannel, int]] = {}
        self._flush_scheduled = False
        self._batched_reads = batched_reads
        """Whether the lower transport hands over several datagrams within one loop
        iteration (``None``: find out in :meth:`start`, true on uvloop)."""
        self.close_reason: str | None = None
        """Why the association ended ("shutdown", or the failure)."""
        self.on_datachannel: Callable[[DataChannel], None] | None = None
        """Called with each channel the peer opens, before its "open" event."""
        self.on_statechange: Callable[[str], None] | None = None
        """Called with the new state: "connected" or "closed"."""

    # --- W3C-style attributes -----------------------------------------------------------------

    @property
    def state(self) -> str:
        """One of: connecting, connected, closed (W3C RTCSctpTransportState)."""
        return self._state

    @property
    def maxMessageSize(self) -> float:
        """The largest message ``send`` accepts (RFC 8841 §6; infinity when unlimited)."""
        limit = self._assoc.max_message_size
        return float(limit) if limit else float("inf")

    @property
    def maxChannels(self) -> int | None:
        if not self._assoc.connected:
            return None
        return min(self._assoc.inbound_streams, self._assoc.outbound_streams)

    @property
    def stats(self) -> AssociationStats:
        return self._assoc.stats

    @property
    def association(self) -> Association:
        """The sans-IO core (state, RTO, congestion window) for stats and diagnostics."""
        return self._assoc

    @property
    def channels(self) -> list[DataChannel]:
        return [*self._channels.values(), *self._pending]

    # --- lifecycle ----------------------------------------------------------------------------

    def attach(self, transport: DatagramTransport) -> None:
        """The transport to run over, when it did not exist at construction."""
        if self._started:
            raise InvalidStateError("the SCTP transport already runs over a transport")
        self._lower = transport

    def set_dtls_role(self, *, client: bool) -> None:
        """The DTLS role, once known: channels waiting for an id get one (RFC 8832 §6)."""
        core = self._core
        if core.dtls_client is not None:
            if core.dtls_client != client:
                raise InvalidStateError("the DTLS role cannot change")
            return
        core.dtls_client = client
        pending, self._pending = self._pending, []
        now = self._now()
        for channel in pending:
            if channel.readyState == "closed":
                continue
            sid = core.open_channel(channel._params, now=now)
            channel._id = sid
            self._channels[sid] = channel
            if channel._low_threshold:
                core.set_buffered_amount_low_threshold(sid, channel._low_threshold)
        if self._started:
            self._after_input()

    def set_remote_parameters(self, *, port: int, max_message_size: int) -> None:
        """The peer's ``a=sctp-port`` and ``a=max-message-size`` (RFC 8841), learnt late."""
        self._assoc.set_remote_parameters(port=port, max_message_size=max_message_size)

    def start(self) -> None:
        """Attach to the lower transport and send INIT (both WebRTC ends do, RFC 8841 §9.3)."""
        if self._started:
            return
        if self._lower is None:
            raise InvalidStateError("start() needs a transport to run over (see attach)")
        if self._core.dtls_client is None:
            raise InvalidStateError("start() needs the DTLS role (see set_dtls_role)")
        self._started = True
        limit = getattr(self._lower, "max_application_data", None)
        if isinstance(limit, int) and 256 <= limit < self.settings.mtu:
            self._assoc.limit_mtu(limit)  # e.g. 1200-byte DTLS datagrams minus the record
        self._loop = loop = asyncio.get_running_loop()
        if self._batched_reads is None:
            told = getattr(self._lower, "batched_reads", None)
            if isinstance(told, bool):
                self._batched_reads = told
            else:
                self._batched_reads = type(loop).__module__.startswith("uvloop")
        self._connected = loop.create_future()
        self._closed = loop.create_future()
        self._lower.set_receiver(self._datagram)
        self._run(lambda now: self._core.connect(now=now))

    async def wait_connected(self) -> None:
        """Return once the association is established; raises if it closed first."""
        if self._connected is None:
            raise InvalidStateError("start() the transport first")
        await asyncio.shield(self._connected)

    async def close(self, timeout: float = 5.0) -> None:
        """Graceful SHUTDOWN (queued messages are delivered first), ABORT after ``timeout``."""
        if not self._started or self._closed is None:
            self._finish("closed", error=False)
            return
        if not self._closed.done():
            self._run(lambda now: self._core.close(now=now))
            try:
                await asyncio.wait_for(asyncio.shield(self._closed), timeout)
            except TimeoutError:
                self.abort("shutdown timed out")

    def abort(self, reason: str = "") -> None:
        """ABORT the association at once."""
        if self._started and self._closed is not None and not self._closed.done():
            self._run(lambda now: self._core.abort(reason, now=now))
        self._finish(reason or "aborted", error=False)

    def transport_closed(self, reason: str = "transport closed") -> None:
        """The transport below ended (DTLS closed or failed): close every channel without
        sending anything more (W3C: the RTCSctpTransport follows its RTCDtlsTransport)."""
        if self._state != "closed":
            self._assoc._end(reason, error=False)
            self._finish(reason, error=False)

    async def wait_closed(self) -> None:
        if self._closed is not None:
            await asyncio.shield(self._closed)

    # --- channels -----------------------------------------------------------------------------

    def create_data_channel(
        self,
        label: str = "",
        *,
        ordered: bool = True,
        max_packet_lifetime: int | None = None,
        max_retransmits: int | None = None,
        protocol: str = "",
        negotiated: bool = False,
        id: int | None = None,
        priority: str = "low",
    ) -> DataChannel:
        """A new channel (W3C ``createDataChannel``); "open" fires once the association is up."""
        if self._state == "closed":
            raise InvalidStateError("the SCTP transport is closed")
        if priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {sorted(PRIORITIES)}")
        params = ChannelParameters(
            label=label,
            protocol=protocol,
            ordered=ordered,
            max_retransmits=max_retransmits,
            max_packet_lifetime=max_packet_lifetime,
            priority=PRIORITIES[priority],
            negotiated=negotiated,
        )
        if id is None and not negotiated and self._core.dtls_client is None:
            channel = self._channel_class(self, None, params)
            self._pending.append(channel)
            return channel
        now = self._now()
        sid = self._core.open_channel(params, now=now, stream_id=id)
        channel = self._channel_class(self, sid, params)
        self._channels[sid] = channel
        # The "open" of a channel made on a running association is fired from the loop, never
        # from inside this call: the caller registers its handlers first (W3C queues it too).
        self._schedule_flush()
        return channel

    # --- calls from DataChannel ------------------------------------------------------------------

    def _send(self, sid: int, data: bytes | str) -> None:
        self._core.send(sid, data, now=self._now())
        # Packets are built once per loop iteration, not once per send(): messages sent in a
        # burst share packets (bundling) and the burst costs one flush.
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self._started and not self._flush_scheduled and self._loop is not None:
            self._flush_scheduled = True
            self._loop.call_soon(self._deferred_flush)

    def _deferred_flush(self) -> None:
        self._flush_scheduled = False
        self._after_input()

    def _close_channel(self, sid: int | None, channel: DataChannel) -> None:
        if sid is None:
            if channel in self._pending:
                self._pending.remove(channel)
            channel._set_state("closed")
            channel._event("close")
            return
        self._run(lambda now: self._core.close_channel(sid, now=now))

    def _buffered_amount(self, sid: int) -> int:
        return self._core.buffered_amount(sid)

    def _set_low_threshold(self, sid: int, threshold: int) -> None:
        self._core.set_buffered_amount_low_threshold(sid, threshold)

    def _watch_writer(self, channel: DataChannel, low_water: int | None = None) -> None:
        level = channel.write_low_water if low_water is None else low_water
        sid = channel.id
        if sid is None:
            return
        current = self._writers.get(sid)
        if current is None or level < current[1]:
            self._writers[sid] = (channel, level)

    # --- the driver ---------------------------------------------------------------------------

    def _now(self) -> float:
        return self._loop.time() if self._loop is not None else 0.0

    def _run(self, call: Callable[[float], None]) -> None:
        try:
            call(self._now())
        except SctpError:
            raise
        except Exception:
            logger.exception("SCTP core failed; aborting the association")
            self._fail_internal()
            return
        self._after_input()

    def _datagram(self, data: bytes) -> None:
        """The lower transport's receive callback: one SCTP packet, handled to its events.

        With batched reads (our ICE sockets hand over up to 64 datagrams per wake-up within one
        loop iteration, uvloop's transport up to 32) the packets they call for (SACK, new DATA)
        go out once the batch is done (``call_soon`` runs after it): one SACK for the batch (up
        to 8 packets each, see ``sack_coalesce``) and one round of DATA, like TCP's
        acknowledgement of a GRO batch.
        Asyncio's datagram protocol delivers one datagram per loop iteration, so there the
        packets go out at once: deferring would only cost an extra iteration per datagram."""
        loop = self._loop
        assert loop is not None
        assoc = self._assoc
        try:
            now = loop.time()
            assoc.handle_datagram(data, now=now)
            if assoc.events:
                self._core.pump(now)
        except Exception:
            logger.exception("SCTP core failed on a packet; aborting the association")
            self._fail_internal()
            return
        if self._core.events:
            self._dispatch_events()
        if not self._batched_reads:
            self._after_input()
        elif not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._deferred_flush)

    def _on_timer(self) -> None:
        loop = self._loop
        assert loop is not None
        deadline = self._timer_at or 0.0
        self._timer = None
        self._timer_at = None
        try:
            self._core.handle_timeout(now=max(loop.time(), deadline))
        except Exception:
            logger.exception("SCTP core failed on a timer; aborting the association")
            self._fail_internal()
            return
        self._after_input()

    def _after_input(self) -> None:
        core = self._core
        lower = self._lower
        assert lower is not None  # only driven once started, which needs it
        send = lower.send
        try:
            packet = core.poll_transmit()  # also builds the packets of messages just queued
            if packet is not None:
                send(packet)
                transmits = self._assoc.transmits
                while transmits:
                    send(transmits.popleft())
        except Exception as exc:
            # The transport below is gone (DTLS closed or failed): nothing more can be sent, so
            # the association ends here rather than raising into whoever called us.
            logger.debug("lower transport refused a packet: %s", exc)
            self.transport_closed(f"transport closed: {exc}")
            return
        if core.events:
            self._dispatch_events()
        if self._writers:
            self._check_writers()
        loop = self._loop
        if loop is None:
            return
        deadline = core.poll_timeout()
        if deadline is None:
            if self._state == "closed" and self._timer is not None:
                self._timer.cancel()
                self._timer = self._timer_at = None
            return
        armed = self._timer_at
        if armed is None or deadline < armed:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = loop.call_at(deadline, self._on_timer)
            self._timer_at = deadline

    def _dispatch_events(self) -> None:
        events = self._core.events
        while events:
            event = events.popleft()
            if type(event) is MessageReceived:
                self._on_message(event)
            else:
                self._on_event(event)

    def _on_message(self, event: MessageReceived) -> None:
        channel = self._channels.get(event.stream_id)
        if channel is None:
            return
        message = decode_message(event.ppid, event.data)
        if message is None:
            self._assoc.stats.dropped_unknown_stream_message += 1
            return
        channel._deliver(message, len(event.data) if message else 0)

    def _on_event(self, event: SctpEvent) -> None:
        if isinstance(event, BufferedAmountLow):
            channel = self._channels.get(event.stream_id)
            if channel is not None:
                channel._event("bufferedamountlow")
        elif isinstance(event, ChannelOpened):
            channel = self._channels.get(event.stream_id)
            if channel is not None and channel.readyState == "connecting":
                channel._set_state("open")
                channel._event("open")
        elif isinstance(event, ChannelRequested):
            params = ChannelParameters(
                label=event.label,
                protocol=event.protocol,
                ordered=event.ordered,
                max_retransmits=event.max_retransmits,
                max_packet_lifetime=event.max_packet_lifetime,
                priority=event.priority,
            )
            channel = self._channel_class(self, event.stream_id, params)
            self._channels[event.stream_id] = channel
            channel._set_state("open")
            if self.on_datachannel is not None:
                self.on_datachannel(channel)
            if channel.readyState == "open":
                channel._event("open")
        elif isinstance(event, ChannelClosing):
            channel = self._channels.get(event.stream_id)
            if channel is not None and channel.readyState != "closed":
                channel._set_state("closing")
                channel._event("closing")
        elif isinstance(event, ChannelFailed):
            channel = self._channels.get(event.stream_id)
            if channel is not None:
                channel._event("error", SctpError(event.reason))
        elif isinstance(event, ChannelClosed):
            channel = self._channels.pop(event.stream_id, None)
            self._writers.pop(event.stream_id, None)
            if channel is not None:
                channel._set_state("closed")
                channel._event("close")
        elif isinstance(event, AssociationEstablished):
            self._set_state("connected")
            if self._connected is not None and not self._connected.done():
                self._connected.set_result(None)
        elif isinstance(event, AssociationClosed):
            self._finish(event.reason, error=event.error)

    def _check_writers(self) -> None:
        core = self._core
        for sid, (channel, level) in list(self._writers.items()):
            if channel.readyState != "open" or core.buffered_amount(sid) <= level:
                del self._writers[sid]
                channel._wake_writers()

    def _set_state(self, state: str) -> None:
        if state == self._state:
            return
        self._state = state
        if self.on_statechange is not None:
            self.on_statechange(state)

    def _fail_internal(self) -> None:
        try:
            self._core.abort("internal error", now=self._now())
            lower = self._lower
            while lower is not None and (packet := self._core.poll_transmit()) is not None:
                lower.send(packet)
        except Exception:
            logger.exception("SCTP core failed while aborting")
        self._finish("internal error", error=True)

    def _finish(self, reason: str, *, error: bool) -> None:
        """The association is over: close every channel, release the lower transport."""
        if self.close_reason is None:
            self.close_reason = reason
        pending, self._pending = self._pending, []
        for channel in pending:
            channel._set_state("closed")
            channel._event("close")
        for sid, channel in list(self._channels.items()):
            del self._channels[sid]
            if error:
                channel._event("error", SctpError(reason))
            channel._set_state("closed")
            channel._event("close")
        self._writers.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = self._timer_at = None
        if self._started and self._lower is not None:
            # The last packets (SHUTDOWN COMPLETE, ABORT) still go out, if the transport can.
            transmits = self._assoc.transmits
            try:
                while transmits:
                    self._lower.send(transmits.popleft())
            except Exception as exc:
                transmits.clear()
                logger.debug("lower transport refused a final packet: %s", exc)
            self._lower.set_receiver(None)
        self._set_state("closed")
        if self._connected is not None and not self._connected.done():
            self._connected.set_exception(ChannelClosedError(f"SCTP closed: {reason}"))
            self._connected.exception()
        if self._closed is not None and not self._closed.done():
            self._closed.set_result(None)
