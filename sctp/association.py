"""The SCTP association (RFC 9260) as a sans-IO core.

Theory of operation
-------------------
Three kinds of input: API calls (``connect``, ``send``, ``reset_streams``, ``close``,
``abort``), datagrams from the peer (``handle_datagram``) and time (``handle_timeout``). Each
input runs to completion, then :meth:`_flush` turns whatever became due into packets. The
driver drains ``poll_transmit`` and ``poll_event`` and re-arms one timer at ``poll_timeout``.
Time comes only from the ``now`` arguments; randomness (tags, initial TSN, the cookie key, the
heartbeat nonce) only from the injected ``token_bytes``.

The data path lives in two helpers: :class:`~sctp.outbound.Outbound` (send queues,
retransmission, congestion and flow control, PR-SCTP) and :class:`~sctp.reassembly.Reassembly`
(TSN tracking, SACK contents, reassembly and ordering). This module holds the state machine
(RFC 9260 §4), the handshake with its collision cases (§5.1-5.2), the chunk dispatch with the
verification-tag rules (§8.5), SACK timing (§6.2), the timers (T1-init, T1-cookie, T2-shutdown,
T3-rtx, delayed SACK, heartbeat, re-configuration), shutdown (§9.2), ABORT and ERROR, and the
stream-reset glue (RFC 6525).

Peer input never raises out of ``handle_datagram``: a packet or chunk that cannot be used is
dropped and counted in :attr:`stats` (one counter per reason); only a well-formed ABORT or a
broken association (too many retransmissions) ends it, with an :class:`AssociationClosed`
event saying why. DATA chunks are unpacked in place, without per-chunk objects.
"""

from __future__ import annotations

import dataclasses
import logging
import struct
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from enum import StrEnum
from typing import Final

from . import chunks as C
from .chunks import CHUNK_HEADER, DATA_HEADER, InitChunk
from .congestion import CongestionControl
from .errors import (
    InvalidStateError,
    MessageTooLarge,
    SctpParseError,
    SendBufferFull,
    StreamClosedError,
)
from .events import (
    AssociationClosed,
    AssociationEstablished,
    SctpEvent,
    StreamsReset,
)
from .handshake import COOKIE_STALE, CookieJar, CookieState
from .outbound import SACK_INVALID, SACK_STALE, Outbound
from .packet import FULL_HEADER, checksum_ok, header_crc, header_prefix, seal
from .reassembly import DUPLICATE, NEW, Reassembly
from .rto import RtoEstimator
from .settings import SctpSettings
from .stats import AssociationStats
from .stream_reset import RESET_DONE, RESET_FAILED, StreamResetter

logger = logging.getLogger(__name__)

M32: Final = 0xFFFFFFFF
_HB_INFO: Final = struct.Struct("!d8s")
_DATA_PACKET: Final = struct.Struct("!HHIIBBHIHHI")
"""A packet holding one DATA chunk: common header and DATA header in one unpack (28 bytes)."""
_SACK_PACKET: Final = struct.Struct("!HHIIBBHIIHH")
"""A packet holding one SACK chunk without gap blocks or duplicates (28 bytes)."""
_UNCOUNTED_PPIDS: Final = frozenset({50, 56, 57})
"""Not user data for bufferedAmount: DCEP (RFC 8832), and WebRTC String Empty and Binary Empty
(RFC 8831 §8), whose one placeholder byte stands for an empty message."""


class AssociationState(StrEnum):
    """RFC 9260 §4 states; the W3C RTCSctpTransportState is derived from these."""

    CLOSED = "closed"
    COOKIE_WAIT = "cookie-wait"
    COOKIE_ECHOED = "cookie-echoed"
    ESTABLISHED = "established"
    SHUTDOWN_PENDING = "shutdown-pending"
    SHUTDOWN_SENT = "shutdown-sent"
    SHUTDOWN_RECEIVED = "shutdown-received"
    SHUTDOWN_ACK_SENT = "shutdown-ack-sent"


S = AssociationState
_ALLOWED: Final[dict[AssociationState, frozenset[AssociationState]]] = {
    S.CLOSED: frozenset({S.COOKIE_WAIT, S.ESTABLISHED, S.CLOSED}),
    S.COOKIE_WAIT: frozenset({S.COOKIE_ECHOED, S.ESTABLISHED, S.CLOSED}),
    S.COOKIE_ECHOED: frozenset({S.ESTABLISHED, S.COOKIE_WAIT, S.CLOSED}),
    S.ESTABLISHED: frozenset({S.SHUTDOWN_PENDING, S.SHUTDOWN_RECEIVED, S.CLOSED}),
    S.SHUTDOWN_PENDING: frozenset({S.SHUTDOWN_SENT, S.SHUTDOWN_RECEIVED, S.CLOSED}),
    S.SHUTDOWN_SENT: frozenset({S.SHUTDOWN_ACK_SENT, S.CLOSED}),
    S.SHUTDOWN_RECEIVED: frozenset({S.SHUTDOWN_ACK_SENT, S.CLOSED}),
    S.SHUTDOWN_ACK_SENT: frozenset({S.CLOSED}),
}
_CAN_SEND_DATA: Final = frozenset({S.ESTABLISHED, S.SHUTDOWN_PENDING, S.SHUTDOWN_RECEIVED})
_CAN_RECEIVE_DATA: Final = frozenset({S.ESTABLISHED, S.SHUTDOWN_PENDING, S.SHUTDOWN_SENT})
_CONNECTED: Final = frozenset(
    {S.ESTABLISHED, S.SHUTDOWN_PENDING, S.SHUTDOWN_SENT, S.SHUTDOWN_RECEIVED, S.SHUTDOWN_ACK_SENT}
)


class Association:
    """One SCTP association over a datagram transport that owns addressing (DTLS)."""

    def __init__(
        self,
        *,
        settings: SctpSettings | None = None,
        token_bytes: Callable[[int], bytes],
        name: str = "",
    ) -> None:
        self.settings = s = settings or SctpSettings()
        self._token_bytes = token_bytes
        self.log = logging.LoggerAdapter(logger, {"association": name})
        seed = token_bytes(40)
        self.local_tag = int.from_bytes(seed[0:4], "big") or 1
        self.local_tsn = int.from_bytes(seed[4:8], "big")
        self._cookies = CookieJar(seed[8:40])
        self.peer_tag = 0
        self.peer_tsn = 0
        self.state = S.CLOSED
        self.ended = False
        """True once the association has closed for good (after having started)."""
        self.stats = AssociationStats()
        self.inbound_streams = s.inbound_streams
        self.outbound_streams = s.outbound_streams
        self.partial_reliability = False
        self.peer_reconfig = False
        self.remote_max_message_size = s.remote_max_message_size
        self.zero_checksum = False
        """Both ends accept zero checksums (RFC 9653): ours go out without CRC32c."""
        self._receiving = False
        """DATA is accepted in this state (cached from ``state`` for the hot path)."""
        self._established = False
        """ESTABLISHED exactly: single-chunk DATA and SACK packets take the fast path."""
        self._sending = False
        """DATA may be sent in this state."""

        self.events: deque[SctpEvent] = deque()
        """Pending events (``poll_event`` pops them; drivers may also test it for emptiness)."""
        self._tx: deque[bytes] = deque()
        self.transmits = self._tx
        """Packets ready to go (``poll_transmit`` pops them; drivers may drain it directly after
        one ``poll_transmit`` call, which builds what ``send`` queued)."""
        self._control: deque[bytes] = deque()
        self._room = s.mtu - 12
        self._prefix = header_prefix(s.local_port, s.remote_port, 0)
        self._prefix_crc = header_crc(self._prefix)
        self._zero_head = self._prefix + b"\x00\x00\x00\x00"
        """The 12-byte common header with a zero checksum (RFC 9653), first part of a packet."""

        self.rto = RtoEstimator(
            initial=s.rto_initial,
            minimum=s.rto_min,
            maximum=s.rto_max,
            backoff_cap=s.max_timer_backoff,
        )
        self.cc = CongestionControl(
            mtu=s.mtu, initial_cwnd_mtus=s.initial_cwnd_mtus, peer_rwnd=s.receive_window
        )
        self.outbound = Outbound(
            initial_tsn=self.local_tsn,
            mtu=s.mtu,
            peer_rwnd=s.receive_window,
            cc=self.cc,
            rto=self.rto,
            stats=self.stats,
            emit=self.events.append,
            partial_reliability=s.partial_reliability,
        )
        self.inbound: Reassembly | None = None
        self.resetter: StreamResetter | None = None

        self._errors = 0
        """Consecutive timeouts (Association.Max.Retrans counter, RFC 9260 §8.1)."""
        self._t1_at: float | None = None
        self._t1_chunk = b""
        self._t1_count = 0
        self._t1_rto = s.rto_initial
        self._t2_at: float | None = None
        self._t2_chunk = b""
        self._t2_count = 0
        self._sack_at: float | None = None
        self._sack_now = False
        self._unacked_packets = 0
        self._sack_every = s.sack_every
        self._sack_coalesce = max(s.sack_every, s.sack_coalesce)
        self._hb_at: float | None = None
        self._hb_nonce: bytes | None = None
        self._hb_sent_at = 0.0
        self._hb_timeout_at: float | None = None
        self._now = 0.0
        self._flush_pending = False
        """Messages were queued by ``send``; ``poll_transmit`` builds their packets."""
        self._soonest: float | None = None
        """A deadline no later than every timer's but T3 (which Outbound keeps): exact after
        ``handle_timeout``, possibly early after a timer was stopped (an early wake-up is
        harmless; it is cheaper than recomputing on every packet)."""

    # --- state ------------------------------------------------------------------------------

    def _set_state(self, new: AssociationState) -> None:
        """The only writer of ``state`` (RFC 9260 §4 transitions)."""
        old = self.state
        if new not in _ALLOWED[old]:
            raise AssertionError(f"illegal SCTP state transition {old} -> {new}")
        self.state = new
        self._receiving = new in _CAN_RECEIVE_DATA
        self._sending = new in _CAN_SEND_DATA
        self._established = new is S.ESTABLISHED
        self.log.debug("state %s -> %s", old, new)

    def _gone(self) -> bool:
        """``ended``, read through a call so type narrowing does not assume it is unchanged."""
        return self.ended

    @property
    def connected(self) -> bool:
        """Established, possibly shutting down: the W3C "connected"."""
        return self.state in _CONNECTED

    @property
    def max_message_size(self) -> int:
        """What ``send`` accepts: the peer's limit, 0 meaning none (RFC 8841 §6)."""
        return self.remote_max_message_size

    def set_remote_parameters(self, *, port: int, max_message_size: int) -> None:
        """What the peer's SDP says (``a=sctp-port``, ``a=max-message-size``), learnt after
        this association was made. The port is fixed once the handshake has begun; the size
        limit may change with every negotiation (RFC 8841 §6)."""
        if port != self.settings.remote_port:
            if self.state is not S.CLOSED or self.ended:
                raise InvalidStateError("the remote SCTP port cannot change once started")
            self.settings = replace(self.settings, remote_port=port)
            self._prefix = header_prefix(self.settings.local_port, port, 0)
            self._prefix_crc = header_crc(self._prefix)
        self.remote_max_message_size = max_message_size

    def _end(self, reason: str, *, error: bool) -> None:
        if self.ended:
            return
        if self.state is not S.CLOSED:
            self._set_state(S.CLOSED)
        self.ended = True
        self._t1_at = self._t2_at = self._sack_at = self._hb_at = self._hb_timeout_at = None
        self._soonest = None
        self.outbound.t3_at = None
        self.outbound.tlp_at = None
        if self.resetter is not None:
            self.resetter.timer_at = None
        self.events.append(AssociationClosed(reason, error))

    # --- API --------------------------------------------------------------------------------

    def limit_mtu(self, mtu: int) -> None:
        """Build packets of at most ``mtu`` bytes: what the transport below can carry in one
        datagram (DTLS's ``max_application_data``). Only before the association starts."""
        if self.state is not S.CLOSED or self.ended:
            raise InvalidStateError("the packet size can only change before connecting")
        if mtu >= self.settings.mtu:
            return
        self.settings = dataclasses.replace(self.settings, mtu=mtu)
        self._room = mtu - 12
        self.outbound.max_payload = mtu - 12 - 16
        self.cc.mtu = mtu
        self.cc.cwnd = self.settings.initial_cwnd_mtus * mtu

    def connect(self, *, now: float) -> None:
        """Send INIT (RFC 9260 §5.1 A). Both WebRTC ends connect; collisions are handled."""
        self._now = now
        if self.state is not S.CLOSED or self.ended:
            raise InvalidStateError(f"cannot connect in state {self.state}")
        self._t1_chunk = C.encode_init(C.INIT, self._our_init())
        self._set_state(S.COOKIE_WAIT)
        self._send_init(now)

    def send(
        self,
        stream_id: int,
        ppid: int,
        data: bytes,
        *,
        now: float,
        ordered: bool = True,
        max_retransmits: int | None = None,
        lifetime: float | None = None,
    ) -> None:
        """Queue one message. Allowed before the association is up (it waits in the queue)."""
        self._now = now
        if self.ended or self.state not in (
            S.CLOSED,
            S.COOKIE_WAIT,
            S.COOKIE_ECHOED,
            S.ESTABLISHED,
        ):
            raise InvalidStateError(f"cannot send in state {self.state}")
        if not 0 <= stream_id < 65535:
            raise StreamClosedError(stream_id, "is not a valid stream id")
        if self.connected and stream_id >= self.outbound_streams:
            raise StreamClosedError(stream_id, "is beyond the negotiated stream count")
        size = len(data)
        limit = self.remote_max_message_size
        if limit and size > limit:
            raise MessageTooLarge(size, limit)
        if size == 0:
            raise ValueError("SCTP cannot carry an empty message (use PPID 56/57 and one byte)")
        out = self.outbound
        if out.buffered_total + size > self.settings.send_buffer_limit:
            raise SendBufferFull(size, out.buffered_total, self.settings.send_buffer_limit)
        if out.is_paused(stream_id):
            raise StreamClosedError(stream_id)
        out.enqueue(
            stream_id,
            ppid,
            data,
            unordered=not ordered,
            max_rtx=max_retransmits,
            expires=None if lifetime is None else now + lifetime,
            counted=0 if ppid in _UNCOUNTED_PPIDS else size,
        )
        self.stats.messages_sent += 1
        # Packets are built when the driver next polls: messages sent in a burst share packets
        # (bundling, RFC 9260 §6.10) and a burst costs one flush instead of one per message.
        self._flush_pending = self._sending

    def buffered_amount(self, stream_id: int) -> int:
        return self.outbound.buffered_amount(stream_id)

    def set_buffered_amount_low_threshold(self, stream_id: int, threshold: int) -> None:
        self.outbound.set_low_threshold(stream_id, threshold)

    def reset_streams(self, stream_ids: Sequence[int], *, now: float) -> None:
        """Reset our outgoing streams once their queued data is sent (RFC 6525 §5.1.2)."""
        self._now = now
        if not self.connected or self.state is not S.ESTABLISHED:
            raise InvalidStateError(f"cannot reset streams in state {self.state}")
        if not self.peer_reconfig or self.resetter is None:
            raise InvalidStateError("the peer does not support stream reset (RFC 6525)")
        ids = tuple(dict.fromkeys(stream_ids))
        self.outbound.pause(ids)
        self.resetter.request(ids)
        self._flush(now)

    def close(self, *, now: float) -> None:
        """Graceful shutdown (RFC 9260 §9.2): send what is queued, then SHUTDOWN."""
        self._now = now
        if self.ended:
            return
        state = self.state
        if state in (S.CLOSED, S.COOKIE_WAIT, S.COOKIE_ECHOED):
            if state is not S.CLOSED and self.peer_tag:
                self._send_abort(b"", now)
            self._end("closed before it was established", error=False)
            return
        if state is S.ESTABLISHED:
            self._set_state(S.SHUTDOWN_PENDING)
            self._shutdown_progress(now)
            self._flush(now)

    def abort(self, reason: str = "", *, now: float) -> None:
        """Send ABORT with a User-Initiated Abort cause and end at once (RFC 9260 §9.1)."""
        self._now = now
        if self.ended:
            return
        if self.peer_tag and self.state is not S.CLOSED:
            self._send_abort(C.cause(C.CAUSE_USER_ABORT, reason.encode()[:512]), now)
        self._end(reason or "aborted", error=False)

    # --- outputs ----------------------------------------------------------------------------

    def poll_transmit(self) -> bytes | None:
        if self._flush_pending:
            self._flush(self._now)
        tx = self._tx
        return tx.popleft() if tx else None

    def poll_event(self) -> SctpEvent | None:
        events = self.events
        return events.popleft() if events else None

    def poll_timeout(self) -> float | None:
        """The earliest deadline (possibly a little early: see ``_soonest``)."""
        deadline = self._soonest
        out = self.outbound
        t3 = out.t3_at
        if t3 is not None and (deadline is None or t3 < deadline):
            deadline = t3
        tlp = out.tlp_at
        if tlp is not None and (deadline is None or tlp < deadline):
            deadline = tlp
        return deadline

    # --- time -------------------------------------------------------------------------------

    def handle_timeout(self, *, now: float) -> None:
        """Fire every timer that is due; harmless when called early or twice."""
        self._now = now
        if self.ended:
            return
        out = self.outbound
        if self._t1_at is not None and now >= self._t1_at:
            self._on_t1(now)
        if self._t2_at is not None and now >= self._t2_at:
            self._on_t2(now)
        if out.t3_at is not None and now >= out.t3_at and out.on_t3(now):
            self._count_error("T3-rtx expired", now)
        if out.tlp_at is not None and now >= out.tlp_at and self._sending:
            out.on_tlp(now)
        if self._sack_at is not None and now >= self._sack_at:
            self._sack_now = True
        if self._hb_timeout_at is not None and now >= self._hb_timeout_at:
            self._hb_timeout_at = None
            self._hb_nonce = None
            self.rto.back_off()
            self._count_error("heartbeat unanswered", now)
        if self._hb_at is not None and now >= self._hb_at:
            self._on_heartbeat_timer(now)
        resetter = self.resetter
        if resetter is not None and resetter.timer_at is not None and now >= resetter.timer_at:
            request = resetter.on_timer(now, self.rto.rto, (out.next_tsn - 1) & M32)
            if request is not None:
                if resetter.failures:
                    self._count_error("RE-CONFIG unanswered", now)
                self._control.append(request)
        if not self.ended:
            self._flush(now)
        self._soonest = None if self.ended else self._exact_deadline()

    def _arm(self, deadline: float) -> None:
        soonest = self._soonest
        if soonest is None or deadline < soonest:
            self._soonest = deadline

    def _exact_deadline(self) -> float | None:
        deadline: float | None = None
        for t in (
            self._sack_at,
            self._t1_at,
            self._t2_at,
            self._hb_at,
            self._hb_timeout_at,
            None if self.resetter is None else self.resetter.timer_at,
        ):
            if t is not None and (deadline is None or t < deadline):
                deadline = t
        return deadline

    def _count_error(self, what: str, now: float) -> None:
        self._errors += 1
        limit = self.settings.max_association_retransmits
        if limit is not None and self._errors > limit:
            self.log.info("association failed: %s %d times", what, self._errors)
            self._send_abort(C.cause(C.CAUSE_PROTOCOL_VIOLATION, b"too many retransmissions"), now)
            self._end(f"too many retransmissions ({what})", error=True)

    def _on_t1(self, now: float) -> None:
        self._t1_count += 1
        limit = self.settings.max_init_retransmits
        if limit is not None and self._t1_count > limit:
            self._end("handshake timed out", error=True)
            return
        self._t1_rto = self.rto.backed_off(self._t1_rto)
        if self.state is S.COOKIE_WAIT:
            self._send_init(now)
        elif self.state is S.COOKIE_ECHOED:
            self._control.append(self._t1_chunk)
            self._t1_at = now + self._t1_rto
            self._arm(self._t1_at)
        else:
            self._t1_at = None

    def _on_t2(self, now: float) -> None:
        self._t2_count += 1
        limit = self.settings.max_association_retransmits
        if limit is not None and self._t2_count > limit:
            self._send_abort(b"", now)
            self._end("shutdown timed out", error=True)
            return
        self.rto.back_off()
        self._control.append(self._t2_chunk)
        self._t2_at = now + self.rto.rto
        self._arm(self._t2_at)

    def _on_heartbeat_timer(self, now: float) -> None:
        interval = self.settings.heartbeat_interval
        idle_since = max(self.outbound.last_sent_at, self._hb_sent_at)
        if self.outbound.has_outstanding:
            idle_since = now  # data in flight: T3-rtx watches the path, no heartbeat needed
        if now - idle_since < interval:
            self._hb_at = idle_since + interval + self.rto.rto
            self._arm(self._hb_at)
            return
        if self._hb_timeout_at is None:
            nonce = self._token_bytes(8)
            self._hb_nonce = nonce
            self._hb_sent_at = now
            info = C.param(C.PARAM_HEARTBEAT_INFO, _HB_INFO.pack(now, nonce))
            self._control.append(C.chunk(C.HEARTBEAT, 0, info))
            self._hb_timeout_at = now + self.rto.rto
            self._arm(self._hb_timeout_at)
        self._hb_at = now + interval + self.rto.rto
        self._arm(self._hb_at)

    # --- the wire -----------------------------------------------------------------------------

    def handle_datagram(self, data: bytes, *, now: float) -> None:
        """One SCTP packet from the peer. Never raises on peer input."""
        self._now = now
        stats = self.stats
        stats.packets_received += 1
        n = len(data)
        stats.bytes_received += n
        if n >= 28 and self._established and self._fast_path(data, n, now):
            return
        if n < 16:
            stats.dropped_too_short += 1
            return
        src, dst, vtag, checksum = FULL_HEADER.unpack_from(data, 0)
        settings = self.settings
        if (checksum or not settings.zero_checksum) and not checksum_ok(data):
            stats.dropped_bad_checksum += 1
            return
        if dst != settings.local_port or src != settings.remote_port:
            stats.dropped_bad_port += 1
            return
        if self.ended:
            self._handle_after_end(data, vtag)
            return
        if (
            vtag != self.local_tag or data[12] in (C.INIT, C.ABORT, C.SHUTDOWN_COMPLETE)
        ) and not self._vtag_ok(data[12], data[13], vtag):
            stats.dropped_bad_vtag += 1
            return

        inbound = self.inbound
        receive_data = None if inbound is None else inbound.receive
        got_data = got_dup = immediate = False
        offset = 12
        unpack_header = CHUNK_HEADER.unpack_from
        while offset + 4 <= n:
            ctype, flags, length = unpack_header(data, offset)
            end = offset + length
            if length < 4 or end > n:
                stats.dropped_malformed += 1
                break
            if ctype == 0:  # DATA, the hot path: unpacked in place
                if receive_data is None or not self._receiving:
                    stats.dropped_unexpected += 1
                elif length <= 16:
                    stats.dropped_data_empty += 1
                else:
                    _, _, _, tsn, sid, ssn, ppid = DATA_HEADER.unpack_from(data, offset)
                    if sid >= self.inbound_streams:
                        stats.dropped_data_invalid_stream += 1
                        result = receive_data(tsn, sid, ssn, flags, ppid, None)
                        if result == NEW:
                            self._control.append(
                                C.chunk(
                                    C.ERROR,
                                    0,
                                    C.cause(C.CAUSE_INVALID_STREAM, struct.pack("!HH", sid, 0)),
                                )
                            )
                    else:
                        result = receive_data(tsn, sid, ssn, flags, ppid, data[offset + 16 : end])
                    got_data = True
                    if result == NEW:
                        stats.data_chunks_received += 1
                    elif result == DUPLICATE:
                        stats.dropped_duplicate_data += 1
                        got_dup = True
                    else:
                        stats.dropped_data_out_of_window += 1
                        got_dup = True
                    if flags & C.FLAG_IMMEDIATE:
                        immediate = True
            else:
                try:
                    if not self._handle_control(ctype, flags, data, offset, length, now):
                        break
                except SctpParseError:
                    stats.dropped_malformed += 1
                if self._gone():
                    return
            offset = (end + 3) & ~3

        if got_data:
            self._after_data(got_dup or immediate, now)
        self._flush_if_needed(now)

    def _flush_if_needed(self, now: float) -> None:
        """Packets are built when the driver polls (``poll_transmit``), not here: a driver that
        handles a batch of datagrams before polling sends one SACK for the batch, reflecting
        all of it, and one round of new DATA (see ``sctp.transport``)."""
        out = self.outbound
        if (
            self._sack_now
            or self._control
            or out.forward_tsn_pending
            or (self._sending and out.has_pending)
            or (self.resetter is not None and self.resetter.pending)
        ):
            self._flush_pending = True

    def _fast_path(self, data: bytes, n: int, now: float) -> bool:
        """A packet with exactly one DATA chunk, or one plain SACK, while ESTABLISHED: the bulk
        of a transfer. Anything unusual returns False and takes the general path."""
        kind = data[12]
        settings = self.settings
        if kind == 0:
            src, dst, vtag, checksum, _, flags, length, tsn, sid, ssn, ppid = (
                _DATA_PACKET.unpack_from(data, 0)
            )
            if (
                vtag != self.local_tag
                or 12 + ((length + 3) & ~3) != n
                or length <= 16
                or sid >= self.inbound_streams
                or dst != settings.local_port
                or src != settings.remote_port
                or not ((not checksum and settings.zero_checksum) or checksum_ok(data))
            ):
                return False
            inbound = self.inbound
            assert inbound is not None
            result = inbound.receive(tsn, sid, ssn, flags, ppid, data[28 : 12 + length])
            stats = self.stats
            if result == NEW:
                stats.data_chunks_received += 1
                self._after_data(bool(flags & C.FLAG_IMMEDIATE), now)
            elif result == DUPLICATE:
                stats.dropped_duplicate_data += 1
                self._after_data(True, now)
            else:
                stats.dropped_data_out_of_window += 1
                self._after_data(True, now)
        elif kind == C.SACK and n == 28:
            src, dst, vtag, checksum, _, _, length, cum, a_rwnd, _, _ = _SACK_PACKET.unpack_from(
                data, 0
            )
            if (
                vtag != self.local_tag
                or length != 16
                or dst != settings.local_port
                or src != settings.remote_port
                or not ((not checksum and settings.zero_checksum) or checksum_ok(data))
            ):
                return False
            self._on_sack(cum, a_rwnd, C.NO_GAPS, now)
        else:
            return False
        self._flush_if_needed(now)
        return True

    def _on_sack(self, cum: int, a_rwnd: int, gaps: list[int], now: float) -> None:
        stats = self.stats
        stats.sacks_received += 1
        out = self.outbound
        result = out.on_sack(cum, a_rwnd, gaps, now)
        if result == SACK_STALE:
            stats.dropped_sack_stale += 1
        elif result == SACK_INVALID:
            stats.dropped_sack_invalid += 1
        elif out.newly_acked:
            self._errors = 0  # the peer acknowledged data: it is alive (RFC 9260 §8.1)
        if not self._established:
            self._shutdown_progress(now)

    def _vtag_ok(self, first: int, flags: int, vtag: int) -> bool:
        """RFC 9260 §8.5 and §8.5.1: which verification tag each packet must carry."""
        if first == C.INIT:
            return vtag == 0
        if first in (C.ABORT, C.SHUTDOWN_COMPLETE) and flags & C.FLAG_T:
            return self.peer_tag != 0 and vtag == self.peer_tag
        return vtag == self.local_tag

    def _handle_after_end(self, data: bytes, vtag: int) -> None:
        """Out of the blue (RFC 9260 §8.4): only a SHUTDOWN ACK gets a reply."""
        if data[12] == C.SHUTDOWN_ACK:
            self._send_alone(C.chunk(C.SHUTDOWN_COMPLETE, C.FLAG_T), vtag)
        else:
            self.stats.dropped_unexpected += 1

    def _send_alone(self, chunk: bytes, vtag: int) -> None:
        """A packet with one chunk that must not be bundled (INIT, INIT ACK, ABORT, ...)."""
        s = self.settings
        prefix = header_prefix(s.local_port, s.remote_port, vtag)
        packet = seal(prefix, header_crc(prefix), chunk)
        self._tx.append(packet)
        self.stats.packets_sent += 1
        self.stats.bytes_sent += len(packet)

    def _after_data(self, urgent: bool, now: float) -> None:
        """SACK timing (RFC 9260 §6.2): at least every ``sack_every`` packets, at once on
        gaps or duplicates, otherwise within the delayed-ack timeout."""
        inbound = self.inbound
        assert inbound is not None
        resetter = self.resetter
        if resetter is not None and resetter.deferred:
            for streams in resetter.take_due_deferred(inbound.reached):
                self._reset_incoming(streams)
        self._unacked_packets += 1
        if urgent or inbound.above or self.state is S.SHUTDOWN_SENT:
            # Gaps and duplicates are reported at once, one SACK per packet: the sender counts
            # miss indications per SACK for fast retransmit (§7.2.4), so they are not batched.
            self._sack_now = True
            self._flush(now)
        elif self._unacked_packets >= self._sack_every:
            self._sack_now = True
            if self._unacked_packets >= self._sack_coalesce:
                self._flush(now)
        elif self._sack_at is None:
            self._sack_at = at = now + min(self.settings.delayed_ack_timeout, self.rto.rto / 2)
            soonest = self._soonest
            if soonest is None or at < soonest:
                self._soonest = at

    # --- control chunks -----------------------------------------------------------------------

    def _handle_control(
        self, ctype: int, flags: int, data: bytes, offset: int, length: int, now: float
    ) -> bool:
        """Handle one non-DATA chunk; False means: stop processing this packet."""
        stats = self.stats
        state = self.state
        if ctype == C.SACK:
            if state not in _CONNECTED:
                stats.dropped_unexpected += 1
                return True
            cum, a_rwnd, gaps, _ = C.decode_sack(data, offset, length)
            self._on_sack(cum, a_rwnd, gaps, now)
            return True
        body = data[offset + 4 : offset + length]
        if ctype == C.INIT:
            self._on_init(body, now)
            return False
        if ctype == C.INIT_ACK:
            self._on_init_ack(body, now)
            return False
        if ctype == C.COOKIE_ECHO:
            self._on_cookie_echo(body, now)
        elif ctype == C.COOKIE_ACK:
            if state is S.COOKIE_ECHOED:
                self._establish(now)
            else:
                stats.dropped_unexpected += 1
        elif ctype == C.HEARTBEAT:
            if self.peer_tag:
                self._control.append(C.chunk(C.HEARTBEAT_ACK, 0, body))
        elif ctype == C.HEARTBEAT_ACK:
            self._on_heartbeat_ack(body, now)
        elif ctype == C.ABORT:
            self._end(f"aborted by peer: {C.describe_causes(body)}", error=True)
            return False
        elif ctype == C.SHUTDOWN:
            self._on_shutdown(body, now)
        elif ctype == C.SHUTDOWN_ACK:
            self._on_shutdown_ack(now)
        elif ctype == C.SHUTDOWN_COMPLETE:
            if state is S.SHUTDOWN_ACK_SENT:
                self._end("shutdown", error=False)
                return False
            stats.dropped_unexpected += 1
        elif ctype == C.ERROR:
            self._on_error(body, now)
        elif ctype == C.FORWARD_TSN:
            self._on_forward_tsn(body)
        elif ctype == C.RECONFIG:
            self._on_reconfig(body, now)
        else:
            # RFC 9260 §3.2: the two high bits of an unknown type say what to do.
            stats.dropped_unknown_chunk += 1
            if ctype & 0x40 and self.peer_tag:
                report = data[offset : offset + length]
                self._control.append(
                    C.chunk(C.ERROR, 0, C.cause(C.CAUSE_UNRECOGNIZED_CHUNK, report[:1024]))
                )
            return bool(ctype & 0x80)
        return True

    def _our_init(self, cookie: bytes | None = None) -> InitChunk:
        s = self.settings
        return InitChunk(
            initiate_tag=self.local_tag,
            a_rwnd=s.receive_window,
            outbound_streams=s.outbound_streams,
            inbound_streams=s.inbound_streams,
            initial_tsn=self.local_tsn,
            cookie=cookie,
            forward_tsn=s.partial_reliability,
            reconfig=True,
            zero_checksum=s.zero_checksum,
        )

    def _send_init(self, now: float) -> None:
        self._send_alone(self._t1_chunk, 0)
        self._t1_at = now + self._t1_rto
        self._arm(self._t1_at)

    def _on_init(self, body: bytes, now: float) -> None:
        """RFC 9260 §5.1 B, §5.2.1 (collision in COOKIE-WAIT/ECHOED), §5.2.2 (established)."""
        init = C.decode_init(body)
        if init.initiate_tag == 0 or init.outbound_streams == 0 or init.inbound_streams == 0:
            self.stats.dropped_malformed += 1
            return
        s = self.settings
        local_tie = peer_tie = 0
        if self.state in _CONNECTED:
            # A peer that restarted (or a stray INIT): answer with tie-tags, §5.2.2.
            local_tie, peer_tie = self.local_tag, self.peer_tag
        flags = (
            (1 if init.forward_tsn else 0)
            | (2 if init.reconfig else 0)
            | (4 if init.zero_checksum else 0)
        )
        cookie = self._cookies.mint(
            CookieState(
                created=now,
                local_tag=self.local_tag,
                peer_tag=init.initiate_tag,
                local_tsn=self.local_tsn,
                peer_tsn=init.initial_tsn,
                peer_rwnd=init.a_rwnd,
                inbound_streams=min(s.inbound_streams, init.outbound_streams),
                outbound_streams=min(s.outbound_streams, init.inbound_streams),
                flags=flags,
                local_tie_tag=local_tie,
                peer_tie_tag=peer_tie,
            )
        )
        extra = [C.param(C.PARAM_UNRECOGNIZED, p) for p in init.unrecognized]
        self._send_alone(
            C.encode_init(C.INIT_ACK, self._our_init(cookie), extra=extra), init.initiate_tag
        )

    def _on_init_ack(self, body: bytes, now: float) -> None:
        if self.state is not S.COOKIE_WAIT:
            self.stats.dropped_unexpected += 1  # §5.2.3: discard in any other state
            return
        init = C.decode_init(body)
        if (
            init.initiate_tag == 0
            or init.cookie is None
            or init.outbound_streams == 0
            or init.inbound_streams == 0
        ):
            self.stats.dropped_malformed += 1
            return
        s = self.settings
        self._adopt_peer(
            init.initiate_tag,
            init.initial_tsn,
            init.a_rwnd,
            min(s.inbound_streams, init.outbound_streams),
            min(s.outbound_streams, init.inbound_streams),
            init.forward_tsn,
            init.reconfig,
            init.zero_checksum,
        )
        self._t1_chunk = C.chunk(C.COOKIE_ECHO, 0, init.cookie)
        self._set_state(S.COOKIE_ECHOED)
        self._t1_count = 0
        self._t1_rto = s.rto_initial
        self._control.append(self._t1_chunk)
        self._t1_at = now + self._t1_rto
        self._arm(self._t1_at)

    def _on_cookie_echo(self, body: bytes, now: float) -> None:
        """RFC 9260 §5.1 D and the four cases of §5.2.4."""
        status, cookie = self._cookies.open(body, now=now, lifetime=self.settings.cookie_lifetime)
        if cookie is None:
            self.stats.dropped_bad_cookie += 1
            return
        state = self.state
        if state in _CONNECTED:
            if cookie.local_tag == self.local_tag and cookie.peer_tag == self.peer_tag:
                # Case D: our COOKIE ACK was lost and this is the COOKIE ECHO that set the
                # association up, resent; its age does not matter any more.
                self._control.append(C.chunk(C.COOKIE_ACK))
            elif status == COOKIE_STALE:
                self.stats.dropped_bad_cookie += 1
            elif cookie.local_tie_tag == self.local_tag and cookie.peer_tie_tag == self.peer_tag:
                self._send_abort(C.cause(C.CAUSE_PROTOCOL_VIOLATION, b"restart"), now)
                self._end("the peer restarted the association", error=True)  # case A
            else:
                self.stats.dropped_bad_cookie += 1  # case C, or a cookie of another time
            return
        if status == COOKIE_STALE:
            self.stats.dropped_bad_cookie += 1
            if self.peer_tag or cookie.peer_tag:
                stale = C.chunk(C.ERROR, 0, C.cause(C.CAUSE_STALE_COOKIE, struct.pack("!I", 0)))
                self._send_alone(stale, cookie.peer_tag)
            return
        if cookie.local_tag != self.local_tag or cookie.local_tsn != self.local_tsn:
            self.stats.dropped_bad_cookie += 1
            return
        # CLOSED, COOKIE-WAIT or COOKIE-ECHOED: cases B and D, or the normal passive open.
        self._adopt_peer(
            cookie.peer_tag,
            cookie.peer_tsn,
            cookie.peer_rwnd,
            cookie.inbound_streams,
            cookie.outbound_streams,
            cookie.peer_forward_tsn,
            cookie.peer_reconfig,
            cookie.peer_zero_checksum,
        )
        self._control.append(C.chunk(C.COOKIE_ACK))
        self._establish(now)

    def _adopt_peer(
        self,
        tag: int,
        tsn: int,
        rwnd: int,
        inbound: int,
        outbound: int,
        forward_tsn: bool,
        reconfig: bool,
        zero_checksum: bool,
    ) -> None:
        s = self.settings
        self.zero_checksum = s.zero_checksum and zero_checksum
        self.peer_tag = tag
        self.peer_tsn = tsn
        self.inbound_streams = inbound
        self.outbound_streams = outbound
        self.partial_reliability = s.partial_reliability and forward_tsn
        self.peer_reconfig = reconfig
        self.outbound.partial_reliability = self.partial_reliability
        self.outbound.rwnd = self.outbound.peer_a_rwnd = rwnd
        self.cc.ssthresh = max(rwnd, 4 * s.mtu)
        self._prefix = header_prefix(s.local_port, s.remote_port, tag)
        self._prefix_crc = header_crc(self._prefix)
        self._zero_head = self._prefix + b"\x00\x00\x00\x00"

    def _establish(self, now: float) -> None:
        s = self.settings
        self._set_state(S.ESTABLISHED)
        self._t1_at = None
        self.inbound = Reassembly(
            initial_tsn=self.peer_tsn,
            window=s.receive_window,
            max_message_size=s.max_message_size,
            deliver=self.events.append,
            stats=self.stats,
        )
        self.resetter = StreamResetter(
            local_initial_tsn=self.local_tsn, peer_initial_tsn=self.peer_tsn
        )
        if s.heartbeat_interval > 0:
            self._hb_at = now + s.heartbeat_interval + self.rto.rto
            self._arm(self._hb_at)
        self.events.append(
            AssociationEstablished(
                self.inbound_streams,
                self.outbound_streams,
                self.partial_reliability,
                self.peer_reconfig,
            )
        )

    def _on_heartbeat_ack(self, body: bytes, now: float) -> None:
        for ptype, value in C.iter_params(body):
            if ptype != C.PARAM_HEARTBEAT_INFO or len(value) != _HB_INFO.size:
                continue
            sent_at, nonce = _HB_INFO.unpack(value)
            if self._hb_nonce is not None and nonce == self._hb_nonce:
                self._hb_nonce = None
                self._hb_timeout_at = None
                self._errors = 0
                self.rto.on_measurement(now - sent_at)
                self.stats.rtt_samples += 1
                return
        self.stats.dropped_unexpected += 1

    def _on_error(self, body: bytes, now: float) -> None:
        causes = C.decode_causes(body)
        self.log.info("peer reported: %s", C.describe_causes(body))
        if self.state is S.COOKIE_ECHOED and any(c == C.CAUSE_STALE_COOKIE for c, _ in causes):
            # §5.2.6: start over with a fresh INIT.
            self._set_state(S.COOKIE_WAIT)
            self._t1_chunk = C.encode_init(C.INIT, self._our_init())
            self._send_init(now)

    def _on_forward_tsn(self, body: bytes) -> None:
        inbound = self.inbound
        if inbound is None or self.state not in _CAN_RECEIVE_DATA:
            self.stats.dropped_unexpected += 1
            return
        new_cum, streams = C.decode_forward_tsn(body)
        if not inbound.forward(new_cum, streams):
            d = (new_cum - inbound.cum) & M32
            if d and d < 0x80000000:
                self.stats.dropped_data_out_of_window += 1
        self._sack_now = True
        resetter = self.resetter
        if resetter is not None and resetter.deferred:
            for ids in resetter.take_due_deferred(inbound.reached):
                self._reset_incoming(ids)

    def _on_reconfig(self, body: bytes, now: float) -> None:
        resetter, inbound = self.resetter, self.inbound
        if resetter is None or inbound is None or self.state not in _CONNECTED:
            self.stats.dropped_unexpected += 1
            return
        responses: list[bytes] = []
        for item in C.decode_reconfig(body):
            if isinstance(item, C.OutgoingResetRequest):
                response, streams = resetter.on_outgoing_request(item, inbound.reached)
                responses.append(response)
                if streams is not None:
                    self._reset_incoming(streams)
            elif isinstance(item, C.ReconfigResponse):
                outcome = resetter.on_response(item, now, self.rto.rto)
                if resetter.timer_at is not None:
                    self._arm(resetter.timer_at)
                if outcome is not None:
                    kind, streams = outcome
                    if kind == RESET_DONE:
                        self.outbound.reset_done(streams)
                        self.events.append(StreamsReset(streams, incoming=False))
                    elif kind == RESET_FAILED:
                        # The peer refused: the streams stay usable, report them as reset so
                        # the channel layer can release them (nothing better can be done).
                        self.outbound.reset_done(streams)
                        self.events.append(StreamsReset(streams, incoming=False))
            else:
                responses.append(resetter.on_other_request(item))
        if responses:
            self._control.append(C.chunk(C.RECONFIG, 0, b"".join(responses)))

    def _reset_incoming(self, streams: tuple[int, ...]) -> None:
        assert self.inbound is not None
        self.inbound.reset_streams(streams)
        self.events.append(StreamsReset(streams, incoming=True))

    # --- shutdown (RFC 9260 §9.2) ---------------------------------------------------------------

    def _on_shutdown(self, body: bytes, now: float) -> None:
        state = self.state
        if len(body) < 4:
            raise SctpParseError("SHUTDOWN without a cumulative TSN ack", 0)
        if state in (S.ESTABLISHED, S.SHUTDOWN_PENDING, S.SHUTDOWN_RECEIVED):
            cum = struct.unpack_from("!I", body)[0]
            self.outbound.on_sack(cum, self.outbound.peer_a_rwnd, [], now)
            if state is not S.SHUTDOWN_RECEIVED:
                self._set_state(S.SHUTDOWN_RECEIVED)
            self._shutdown_progress(now)
        elif state is S.SHUTDOWN_SENT:
            self._send_shutdown_ack(now)
        else:
            self.stats.dropped_unexpected += 1

    def _on_shutdown_ack(self, now: float) -> None:
        if self.state in (S.SHUTDOWN_SENT, S.SHUTDOWN_ACK_SENT):
            self._send_alone(C.chunk(C.SHUTDOWN_COMPLETE), self.peer_tag)
            self._end("shutdown", error=False)
        else:
            self.stats.dropped_unexpected += 1

    def _shutdown_progress(self, now: float) -> None:
        """Move on once every queued message has been sent and acknowledged."""
        if not self.outbound.idle:
            return
        inbound = self.inbound
        cum = 0 if inbound is None else inbound.cum_tsn32
        if self.state is S.SHUTDOWN_PENDING:
            self._set_state(S.SHUTDOWN_SENT)
            self._t2_chunk = C.chunk(C.SHUTDOWN, 0, struct.pack("!I", cum))
            self._control.append(self._t2_chunk)
            self._t2_at = now + self.rto.rto
            self._arm(self._t2_at)
            self._sack_at = None
        elif self.state is S.SHUTDOWN_RECEIVED:
            self._send_shutdown_ack(now)

    def _send_shutdown_ack(self, now: float) -> None:
        self._set_state(S.SHUTDOWN_ACK_SENT)
        self._t2_chunk = C.chunk(C.SHUTDOWN_ACK)
        self._control.append(self._t2_chunk)
        self._t2_count = 0
        self._t2_at = now + self.rto.rto
        self._arm(self._t2_at)
        self.outbound.t3_at = None

    def _send_abort(self, causes: bytes, now: float) -> None:
        self._control.clear()
        self._send_alone(C.chunk(C.ABORT, 0, causes), self.peer_tag)

    # --- building packets -----------------------------------------------------------------------

    def _flush(self, now: float) -> None:
        """Bundle everything due into packets of at most ``mtu`` bytes (RFC 9260 §6.10)."""
        self._flush_pending = False
        if self.ended:
            self._control.clear()
            return
        control = self._control
        out = self.outbound
        sending = self._sending
        resetter = self.resetter
        if resetter is not None and resetter.pending and self._established:
            streams = resetter.ready(lambda sid: out.drained((sid,)))
            if streams:
                control.append(
                    resetter.make_request(streams, (out.next_tsn - 1) & M32, now, self.rto.rto)
                )
                if resetter.timer_at is not None:
                    self._arm(resetter.timer_at)
        room = self._room
        tx = self._tx
        stats = self.stats
        head = self._zero_head if self.zero_checksum else b""
        # Packets with control chunks first (RFC 9260 §6.10: control before DATA), data
        # filling whatever room they leave.
        while control or self._sack_now or (out.forward_tsn_pending and self.partial_reliability):
            parts: list[bytes] = [head] if head else []
            used = 0
            while control and (used + len(control[0]) <= room or not used):
                item = control.popleft()
                parts.append(item)
                used += len(item)
            if self._sack_now:
                sack = self._make_sack()
                if sack is not None:
                    parts.append(sack)
                    used += len(sack)
            if out.forward_tsn_pending and self.partial_reliability and self.connected:
                fwd = out.forward_tsn_chunk()
                if used + len(fwd) <= room:
                    parts.append(fwd)
                    used += len(fwd)
                else:
                    out.forward_tsn_pending = True
            else:
                out.forward_tsn_pending = False
            if sending and used < room:
                used += out.fill(parts, room - used, now)
            if not used:
                break
            self._emit_packet(parts, head)
        if not sending:
            return
        # Then packets of DATA only, as long as the windows allow. A delayed SACK (no gaps, no
        # duplicates: exactly 16 bytes) rides along with the first (RFC 9260 §6.2).
        fill = out.fill
        piggyback = self._sack_at is not None
        while True:
            parts = [head] if head else []
            used = fill(parts, room - 16 if piggyback else room, now)
            if not used:
                return
            if piggyback:
                piggyback = False
                sack = self._make_sack()
                if sack is not None:
                    parts.insert(1 if head else 0, sack)
            if head:
                packet = b"".join(parts)
            else:
                packet = seal(self._prefix, self._prefix_crc, b"".join(parts))
            tx.append(packet)
            stats.packets_sent += 1
            stats.bytes_sent += len(packet)

    def _emit_packet(self, parts: list[bytes], head: bytes) -> None:
        if head:
            packet = b"".join(parts)
        else:
            packet = seal(self._prefix, self._prefix_crc, b"".join(parts))
        self._tx.append(packet)
        self.stats.packets_sent += 1
        self.stats.bytes_sent += len(packet)

    def _make_sack(self) -> bytes | None:
        inbound = self.inbound
        self._sack_now = False
        self._sack_at = None
        self._unacked_packets = 0
        if inbound is None:
            return None
        self.stats.sacks_sent += 1
        if not inbound.above and not inbound.dups:
            return C.encode_sack(inbound.cum & M32, inbound.a_rwnd, (), ())
        max_blocks = (self._room - 16) // 4 - 1
        gaps = inbound.gap_blocks(min(200, max_blocks))
        dups = inbound.take_dups(min(max(0, max_blocks - len(gaps)), 64))
        return C.encode_sack(inbound.cum_tsn32, inbound.a_rwnd, gaps, dups)

    # --- introspection (tests, stats, memory checks) -----------------------------------------

    def stream_state_count(self) -> tuple[int, int]:
        """Streams with state kept (outbound, inbound): must not grow with closed channels."""
        inbound = 0 if self.inbound is None else self.inbound.stream_count()
        return self.outbound.stream_count(), inbound
