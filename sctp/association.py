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
(TSN tracking, SACK contents, reassembly and ordering). The class is assembled from parts:
this module holds the state machine (RFC 9260 §4), the API and the timers (T1-init,
T1-cookie, T2-shutdown, T3-rtx, tail loss probe, delayed SACK, heartbeat, re-configuration);
:mod:`sctp.receive` the packets from the peer (chunk dispatch with the verification-tag rules
of §8.5, SACK timing of §6.2); :mod:`sctp.handshake` the handshake and its collision cases
(§5.1-5.2); :mod:`sctp.control` shutdown, heartbeat, ERROR, FORWARD TSN and RE-CONFIG;
:mod:`sctp.bundling` packet building. Their shared variables are declared in :mod:`sctp.tcb`.

Peer input never raises out of ``handle_datagram``: a packet or chunk that cannot be used is
dropped and counted in :attr:`stats` (one counter per reason); only a well-formed ABORT or a
broken association (too many retransmissions) ends it, with an :class:`AssociationClosed`
event saying why. DATA chunks are unpacked in place, without per-chunk objects.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Final

from . import chunks as C
from .bundling import BundlingMixin
from .congestion import CongestionControl
from .errors import (
    InvalidStateError,
    MessageTooLarge,
    SendBufferFull,
    StreamClosedError,
)
from .events import (
    AssociationClosed,
    SctpEvent,
)
from .handshake import CookieJar
from .outbound import Outbound, max_payload
from .packet import header_crc, header_prefix
from .reassembly import Reassembly
from .receive import ReceiveMixin
from .rto import RtoEstimator
from .settings import SctpSettings
from .stats import AssociationStats
from .stream_reset import StreamResetter
from .tcb import ALLOWED, CAN_RECEIVE_DATA, CAN_SEND_DATA, CONNECTED, M32, AssociationState, S

logger = logging.getLogger(__name__)

_UNCOUNTED_PPIDS: Final = frozenset({50, 56, 57})
"""Not user data for bufferedAmount: DCEP (RFC 8832), and WebRTC String Empty and Binary Empty
(RFC 8831 §8), whose one placeholder byte stands for an empty message."""


class Association(ReceiveMixin, BundlingMixin):
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
        if new not in ALLOWED[old]:
            raise AssertionError(f"illegal SCTP state transition {old} -> {new}")
        self.state = new
        self._receiving = new in CAN_RECEIVE_DATA
        self._sending = new in CAN_SEND_DATA
        self._established = new is S.ESTABLISHED
        self.log.debug("state %s -> %s", old, new)

    @property
    def connected(self) -> bool:
        """Established, possibly shutting down: the W3C "connected"."""
        return self.state in CONNECTED

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
        self.outbound.max_payload = max_payload(mtu)
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

    def settle_reset(self, stream_id: int) -> tuple[int, ...]:
        """Our unanswered request to reset ``stream_id`` is known to be performed (see
        :meth:`StreamResetter.settle`): its streams restart at SSN 0. Returns those streams
        (``()`` if no request in flight covers the stream); no ``StreamsReset`` event follows,
        the caller acts on the answer."""
        resetter = self.resetter
        streams = () if resetter is None else resetter.settle(stream_id)
        if streams:
            self.outbound.reset_done(streams)
        return streams

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

    # --- introspection (tests, stats, memory checks) -----------------------------------------

    def stream_state_count(self) -> tuple[int, int]:
        """Streams with state kept (outbound, inbound): must not grow with closed channels."""
        inbound = 0 if self.inbound is None else self.inbound.stream_count()
        return self.outbound.stream_count(), inbound
