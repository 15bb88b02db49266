"""Data channels over one association: DCEP, stream ids, and the close handshake (sans-IO).

Theory of operation
-------------------
:class:`ChannelManager` owns an :class:`~sctp.association.Association` and is driven exactly
like it (``handle_datagram``, ``handle_timeout``, ``poll_*``). After every input it pumps the
association's events: DCEP messages (PPID 50) are consumed here, user messages, buffer and
association events pass through, and stream resets become channel closes. A driver therefore
sees one ordered stream of :mod:`sctp.events`.

Stream ids follow the DTLS role (RFC 8832 §6): the DTLS client takes even ids, the server odd
ones. A channel opened before the association is up waits; once it is up, DATA_CHANNEL_OPEN
goes out and the channel is open at once (messages sent before the peer's DATA_CHANNEL_ACK go
ordered, so the OPEN always arrives first, RFC 8832 §6). Negotiated channels send no DCEP.

Closing (RFC 8831 §6.7) resets our outgoing stream after its queued messages are sent; the peer
answers by resetting its own outgoing stream. When both directions are reset the channel is
closed and its id is free again. A peer that starts the close gets the same treatment in
mirror. Nothing is kept per channel after that, so opening and closing channels forever does
not grow memory.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from itertools import chain
from typing import Final

from .association import Association
from .dcep import (
    ACK_MESSAGE,
    MSG_ACK,
    MSG_OPEN,
    PPID_DCEP,
    ChannelParameters,
    decode_open,
    encode_message,
    encode_open,
)
from .errors import ChannelIdError, InvalidStateError, SctpParseError
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
    StreamsReset,
)

MAX_STREAM_ID: Final = 65534
"""Stream 65535 is reserved (RFC 8832 §6: "the stream identifier 65535 is reserved")."""

CONNECTING: Final = "connecting"
OPEN: Final = "open"
CLOSING: Final = "closing"


@dataclass(slots=True)
class _Channel:
    params: ChannelParameters
    state: str = CONNECTING
    acked: bool = False
    """DATA_CHANNEL_ACK seen (or not needed): until then messages go ordered."""
    outgoing_reset: bool = False
    incoming_reset: bool = False
    local: bool = True


class ChannelManager:
    """Data channels (RFC 8831/8832) on top of one association; the core the adapter drives."""

    def __init__(self, association: Association, *, dtls_client: bool | None) -> None:
        self.association = association
        self.dtls_client = dtls_client
        self._channels: dict[int, _Channel] = {}
        self._next_id = 0
        """Where :meth:`_allocate` looks first."""
        self.events: deque[SctpEvent] = deque()
        """Pending events (``poll_event`` pops them; drivers may drain it directly)."""

    # --- channels API ----------------------------------------------------------------------

    def open_channel(
        self, params: ChannelParameters, *, now: float, stream_id: int | None = None
    ) -> int:
        """Create a channel and return its stream id; it opens once the association is up."""
        channels = self._channels
        if stream_id is None:
            if params.negotiated:
                raise ChannelIdError("a negotiated channel needs an id")
            stream_id = self._allocate()
        elif not 0 <= stream_id <= MAX_STREAM_ID:
            raise ChannelIdError(f"channel id {stream_id} is outside 0..{MAX_STREAM_ID}")
        elif stream_id in channels:
            raise ChannelIdError(f"channel id {stream_id} is in use")
        assoc = self.association
        if assoc.ended:
            raise InvalidStateError("the SCTP association is closed")
        if assoc.connected and stream_id >= self._stream_limit():
            raise ChannelIdError(
                f"channel id {stream_id} exceeds the {self._stream_limit()} streams negotiated"
            )
        channel = _Channel(params, acked=params.negotiated)
        channels[stream_id] = channel
        if assoc.connected:
            self._announce(stream_id, channel, now)
        return stream_id

    def send(self, stream_id: int, data: bytes | str, *, now: float) -> None:
        """Send one user message; raises if the channel is not open or the message too big."""
        channel = self._channels.get(stream_id)
        if channel is None or channel.state != OPEN:
            raise InvalidStateError(f"channel {stream_id} is not open")
        ppid, payload = encode_message(data)
        params = channel.params
        self.association.send(
            stream_id,
            ppid,
            payload,
            now=now,
            ordered=params.ordered or not channel.acked,
            max_retransmits=params.max_retransmits,
            lifetime=params.lifetime_seconds,
        )
        self.pump(now)

    def close_channel(self, stream_id: int, *, now: float) -> None:
        """Start closing: reset our outgoing stream once its queue is sent (RFC 8831 §6.7)."""
        channel = self._channels.get(stream_id)
        if channel is None or channel.state == CLOSING:
            return
        assoc = self.association
        if channel.state == CONNECTING or not assoc.connected:
            del self._channels[stream_id]
            self.events.append(ChannelClosed(stream_id))
            return
        channel.state = CLOSING
        self._reset_outgoing(stream_id, channel, now)
        self.pump(now)

    def channel_state(self, stream_id: int) -> str | None:
        channel = self._channels.get(stream_id)
        return None if channel is None else channel.state

    def channel_count(self) -> int:
        return len(self._channels)

    def buffered_amount(self, stream_id: int) -> int:
        return self.association.buffered_amount(stream_id)

    def set_buffered_amount_low_threshold(self, stream_id: int, threshold: int) -> None:
        self.association.set_buffered_amount_low_threshold(stream_id, threshold)

    # --- the core contract, forwarded -----------------------------------------------------------

    def connect(self, *, now: float) -> None:
        self.association.connect(now=now)
        self.pump(now)

    def close(self, *, now: float) -> None:
        self.association.close(now=now)
        self.pump(now)

    def abort(self, reason: str = "", *, now: float) -> None:
        self.association.abort(reason, now=now)
        self.pump(now)

    def handle_datagram(self, data: bytes, *, now: float) -> None:
        assoc = self.association
        assoc.handle_datagram(data, now=now)
        if assoc.events:
            self.pump(now)

    def handle_timeout(self, *, now: float) -> None:
        self.association.handle_timeout(now=now)
        self.pump(now)

    def poll_transmit(self) -> bytes | None:
        return self.association.poll_transmit()

    def poll_timeout(self) -> float | None:
        return self.association.poll_timeout()

    def poll_event(self) -> SctpEvent | None:
        events = self.events
        return events.popleft() if events else None

    # --- association events -------------------------------------------------------------------

    def pump(self, now: float) -> None:
        """Take the association's events (after driving the association directly)."""
        assoc = self.association
        out = self.events
        channels = self._channels
        while (event := assoc.poll_event()) is not None:
            kind = type(event)
            if kind is MessageReceived:
                assert isinstance(event, MessageReceived)
                if event.ppid == PPID_DCEP:
                    self._on_dcep(event.stream_id, event.data, now)
                elif event.stream_id in channels:
                    out.append(event)
                else:
                    assoc.stats.dropped_unknown_stream_message += 1
            elif kind is BufferedAmountLow:
                assert isinstance(event, BufferedAmountLow)
                if event.stream_id in channels:
                    out.append(event)
            elif kind is StreamsReset:
                assert isinstance(event, StreamsReset)
                self._on_streams_reset(event, now)
            elif kind is AssociationEstablished:
                out.append(event)
                self._on_established(now)
            elif kind is AssociationClosed:
                assert isinstance(event, AssociationClosed)
                for sid in list(channels):
                    del channels[sid]
                    if event.error:
                        out.append(ChannelFailed(sid, event.reason))
                    out.append(ChannelClosed(sid))
                out.append(event)
            else:
                out.append(event)

    def _on_established(self, now: float) -> None:
        limit = self._stream_limit()
        for sid, channel in list(self._channels.items()):
            if channel.state != CONNECTING:
                continue
            if sid >= limit:
                del self._channels[sid]
                self.events.append(ChannelFailed(sid, "id beyond the negotiated stream count"))
                self.events.append(ChannelClosed(sid))
                continue
            self._announce(sid, channel, now)

    def _announce(self, sid: int, channel: _Channel, now: float) -> None:
        if not channel.params.negotiated:
            self.association.send(sid, PPID_DCEP, encode_open(channel.params), now=now)
        channel.state = OPEN
        self.events.append(ChannelOpened(sid))

    def _on_dcep(self, sid: int, data: bytes, now: float) -> None:
        stats = self.association.stats
        if not data:
            stats.dropped_bad_dcep += 1
            return
        channels = self._channels
        if data[0] == MSG_OPEN:
            if sid in channels and not self._reused(sid, now):
                stats.dropped_bad_dcep += 1
                return
            try:
                params = decode_open(data)
            except (SctpParseError, ValueError, TypeError):
                stats.dropped_bad_dcep += 1
                return
            if sid >= self._stream_limit():
                stats.dropped_bad_dcep += 1
                return
            channels[sid] = _Channel(params, state=OPEN, acked=True, local=False)
            self.association.send(sid, PPID_DCEP, ACK_MESSAGE, now=now)
            self.events.append(
                ChannelRequested(
                    sid,
                    params.label,
                    params.protocol,
                    params.ordered,
                    params.max_retransmits,
                    params.max_packet_lifetime,
                    params.priority,
                )
            )
        elif data[0] == MSG_ACK and len(data) == 1:
            channel = channels.get(sid)
            if channel is None or channel.acked:
                stats.dropped_bad_dcep += 1
                return
            channel.acked = True
        else:
            stats.dropped_bad_dcep += 1

    def _on_streams_reset(self, event: StreamsReset, now: float) -> None:
        channels = self._channels
        for sid in event.stream_ids:
            channel = channels.get(sid)
            if channel is None:
                continue
            if event.incoming:
                channel.incoming_reset = True
                if channel.state == OPEN:
                    channel.state = CLOSING
                    self.events.append(ChannelClosing(sid))
                    self._reset_outgoing(sid, channel, now)
                    if sid not in channels:
                        continue
            else:
                channel.outgoing_reset = True
            if channel.incoming_reset and channel.outgoing_reset:
                del channels[sid]
                self.events.append(ChannelClosed(sid))

    def _reused(self, sid: int, now: float) -> bool:
        """A DATA_CHANNEL_OPEN on the id of a channel still closing: fine if the peer has
        reset its side and our reset request is merely unanswered. The peer reuses an id only
        once both directions are reset (RFC 8831 §6.7), so it performed our request and its
        answer was lost or is late: the old channel is closed now, and the new one starts on
        fresh streams (waiting for the answer would hold it back by a retransmission timeout,
        and answering its OPEN before our SSNs restart would break its ordering)."""
        channel = self._channels[sid]
        if channel.state != CLOSING or not channel.incoming_reset:
            return False
        streams = self.association.settle_reset(sid)
        if not streams:
            return False
        self._on_streams_reset(StreamsReset(streams, incoming=False), now)
        return sid not in self._channels

    def _reset_outgoing(self, sid: int, channel: _Channel, now: float) -> None:
        assoc = self.association
        if assoc.peer_reconfig and assoc.state == "established":
            assoc.reset_streams((sid,), now=now)
        else:
            # No way to tell the peer (no RE-CONFIG, or shutting down): close on our side.
            channel.outgoing_reset = channel.incoming_reset = True
            del self._channels[sid]
            self.events.append(ChannelClosed(sid))

    def _stream_limit(self) -> int:
        assoc = self.association
        if not assoc.connected:
            return MAX_STREAM_ID + 1
        return min(assoc.outbound_streams, assoc.inbound_streams, MAX_STREAM_ID + 1)

    def _allocate(self) -> int:
        """A free id of our parity (RFC 8832 §6), taken round-robin: the next free one after
        the last id handed out, wrapping at the stream limit.

        Not the lowest free id: a channel just closed on our side may still be closing on the
        peer's, whose reset completes only when our answer to its reset request arrives. Were
        that answer lost, a new channel on the same id would reach the peer first; aiortc then
        fails its whole association (an assertion in its DATA_CHANNEL_OPEN handling), seen
        in the lab with 3 % loss. Going round, an id comes back only after every other one
        (aiortc allocates the same way)."""
        if self.dtls_client is None:
            raise InvalidStateError("no channel id before the DTLS role is known")
        first = 0 if self.dtls_client else 1
        limit = self._stream_limit()
        channels = self._channels
        start = self._next_id if first <= self._next_id < limit else first  # our parity
        for sid in chain(range(start, limit, 2), range(first, start, 2)):
            if sid not in channels:
                self._next_id = sid + 2
                return sid
        raise ChannelIdError("no free data channel id left")
