"""Outbound DATA: send queues, fragmentation, SACK processing, retransmission, PR-SCTP.

Theory of operation
-------------------
``enqueue`` puts a whole user message on its stream's queue; nothing is encoded yet. When the
association builds a packet it calls :meth:`Outbound.fill`, which first resends chunks marked
for retransmission, then cuts new fragments off the current message until the packet, the
congestion window (RFC 9260 §7.2) or the peer's receive window (§6.1) is full. TSNs and SSNs are
assigned only then, at first transmission, so a partial-reliable message that expires while
queued simply disappears without leaving a hole in the stream's SSN sequence.

Messages are not interleaved (no I-DATA): once a message starts, its fragments take
consecutive TSNs (§6.9), and the scheduler moves round-robin to the next stream with data only
at message boundaries.

Every chunk sent lives in ``_sent`` (keyed by unwrapped TSN, in TSN order) until the
cumulative TSN ack passes it, as a plain tuple (:mod:`sctp.sent`): the loss-free path allocates
no object per chunk, and ``_marks`` stays empty while nothing is lost.

A SACK pops the cumulatively acknowledged chunks here; gap blocks, miss indications, fast
retransmit, lost-retransmission detection, the tail loss probe and T3-rtx are the loss-recovery
part (:mod:`sctp.recovery`). A chunk of a
partial-reliable message that would exceed its retransmission limit or lifetime is abandoned
instead (RFC 3758 §3.5), with the rest of its message, and the Advanced.Peer.Ack.Point moves
over abandoned chunks so a FORWARD TSN can tell the peer to skip them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Final

from .chunks import (
    DATA,
    DATA_HEADER,
    FLAG_BEGIN,
    FLAG_END,
    FLAG_UNORDERED,
    encode_forward_tsn,
    padding,
)
from .congestion import CongestionControl
from .events import BufferedAmountLow
from .recovery import LossRecovery
from .rto import RtoEstimator
from .sent import FLAGS, MSG, PAYLOAD, SENT_AT, SSN, Mark, OutMessage, OutStream, SentChunk
from .stats import AssociationStats

M32: Final = 0xFFFFFFFF
_HALF32: Final = 0x80000000
_MIN_FRAGMENT: Final = 128
"""Do not start a fragment with less payload room than this; close the packet instead."""


def max_payload(mtu: int) -> int:
    """The largest DATA payload one packet of ``mtu`` bytes carries: common header (12), DATA
    header (16), and a multiple of 4 so that the chunk's padding fits as well."""
    return (mtu - 12 - 16) & ~3


# Outcomes of Outbound.on_sack().
SACK_OK: Final = 0
SACK_STALE: Final = 1
SACK_INVALID: Final = 2


class Outbound(LossRecovery):
    """The sending half of an association's data path."""

    def __init__(
        self,
        *,
        initial_tsn: int,
        mtu: int,
        peer_rwnd: int,
        cc: CongestionControl,
        rto: RtoEstimator,
        stats: AssociationStats,
        emit: Callable[[BufferedAmountLow], None],
        partial_reliability: bool,
    ) -> None:
        self.next_tsn = initial_tsn
        """The TSN the next new chunk gets, unwrapped."""
        self.cum_ack = initial_tsn - 1
        """The peer's cumulative TSN ack, unwrapped."""
        self.apap = self.cum_ack
        """Advanced.Peer.Ack.Point (RFC 3758 §3.5)."""
        self.max_payload = max_payload(mtu)
        self.rwnd = peer_rwnd
        self.peer_a_rwnd = peer_rwnd
        self.flight = 0
        """Bytes of chunks sent and neither acked, abandoned, nor marked for retransmission."""
        self.outstanding = 0
        """Payload bytes sent and not yet acked or abandoned (for the peer's rwnd, §6.2.1)."""
        self.cc = cc
        self.rto = rto
        self.stats = stats
        self.partial_reliability = partial_reliability
        self.t3_at: float | None = None
        self.forward_tsn_pending = False
        self.newly_acked = 0
        self.window_full = False
        """The last round of new DATA stopped at the congestion window, with data left."""
        """Bytes the last SACK acknowledged for the first time (cumulatively or in gaps)."""
        self.buffered_total = 0
        self.last_sent_at = 0.0
        self._emit = emit
        self._streams: dict[int, OutStream] = {}
        self._active: deque[tuple[int, OutStream]] = deque()
        self._current: OutMessage | None = None
        self._current_stream: OutStream | None = None
        self._sent: dict[int, SentChunk] = {}
        self._marks: dict[int, Mark] = {}
        self._rtx: dict[int, SentChunk] = {}
        self._rtx_order: list[int] | None = None
        """``_rtx`` keys in TSN order, kept between packets (rebuilt when a chunk is marked)."""
        self._gap_seen: list[tuple[int, int]] = []
        self._miss_settled: list[tuple[int, int]] = []
        """TSNs that need no more miss indications (marked, acked, abandoned), as ranges."""
        """Gap-acknowledged TSN ranges already processed (absolute, sorted, disjoint)."""
        self._fast_rtx_budget = False
        self.tlp_at: float | None = None
        """Tail loss probe deadline (see :meth:`on_tlp`)."""
        self._tlp_out = False
        """A probe was sent and nothing new has been acknowledged since."""
        self._rexmit_at: dict[int, float] = {}
        """Retransmitted, not yet acknowledged TSNs and when they last went out."""
        self._newest_acked_sent_at = 0.0
        self._rtt_tsn: int | None = None
        """A chunk timed for an RTT sample (one per round trip, never a retransmitted one)."""
        self._rtt_sent_at = 0.0

    # --- the API side -------------------------------------------------------------------------

    def enqueue(
        self,
        sid: int,
        ppid: int,
        data: bytes,
        *,
        unordered: bool,
        max_rtx: int | None,
        expires: float | None,
        counted: int,
    ) -> None:
        stream = self._streams.get(sid)
        if stream is None:
            stream = self._streams[sid] = OutStream()
        if not self.partial_reliability:
            max_rtx = expires = None
        msg = OutMessage(sid, ppid, data, unordered, max_rtx, expires, counted)
        if not stream.queue:
            self._active.append((sid, stream))
        stream.queue.append(msg)
        stream.buffered += counted
        self.buffered_total += counted

    def is_paused(self, sid: int) -> bool:
        stream = self._streams.get(sid)
        return stream is not None and stream.paused

    def buffered_amount(self, sid: int) -> int:
        stream = self._streams.get(sid)
        return 0 if stream is None else stream.buffered

    def set_low_threshold(self, sid: int, threshold: int) -> None:
        stream = self._streams.get(sid)
        if stream is None:
            stream = self._streams[sid] = OutStream()
        stream.low_threshold = threshold

    def pause(self, sids: Iterable[int]) -> None:
        """No new messages on these streams: they are about to be reset."""
        for sid in sids:
            stream = self._streams.get(sid)
            if stream is None:
                stream = self._streams[sid] = OutStream()
            stream.paused = True

    def drained(self, sids: Iterable[int]) -> bool:
        """True when every message queued on these streams has all its TSNs assigned."""
        for sid in sids:
            stream = self._streams.get(sid)
            if stream is not None and stream.queue:
                return False
        return True

    def reset_done(self, sids: Iterable[int]) -> None:
        """Our outgoing reset of these streams succeeded: forget them (SSNs restart at 0)."""
        for sid in sids:
            stream = self._streams.get(sid)
            if stream is not None and not stream.queue:
                del self._streams[sid]

    def stream_count(self) -> int:
        return len(self._streams)

    @property
    def idle(self) -> bool:
        """Nothing queued, nothing in flight: what SHUTDOWN waits for (RFC 9260 §9.2)."""
        return not self._sent and self._current is None and not self._active

    @property
    def has_outstanding(self) -> bool:
        """Chunks were sent and are not yet cumulatively acknowledged."""
        return bool(self._sent)

    @property
    def has_pending(self) -> bool:
        """Something could be sent if the windows allowed it."""
        return bool(self._rtx or self._current is not None or self._active)

    # --- building packets --------------------------------------------------------------------

    def fill(self, parts: list[bytes], room: int, now: float) -> int:
        """Append DATA chunks (retransmissions first) for one packet; returns the bytes used."""
        if self._current is None and not self._active and not self._rtx:
            self.window_full = False
            return 0
        used = 0
        if self._rtx:
            used = self._fill_retransmissions(parts, room, now)
            if self._rtx:
                return used
        cwnd = self.cc.cwnd
        sent = self._sent
        header = DATA_HEADER.pack
        append = parts.append
        chunks = 0
        self.window_full = True
        while self.flight < cwnd:
            msg = self._current
            if msg is None:
                msg = self._next_message(now)
                if msg is None:
                    self.window_full = False
                    break
            data = msg.data
            offset = msg.offset
            size = len(data)
            remaining = size - offset
            padded = remaining + (-remaining & 3)  # the packet carries the padding too
            space = room - used - 16
            if padded <= space:
                n = remaining
            else:
                if used and (padded <= self.max_payload or space < _MIN_FRAGMENT):
                    break
                n = space & ~3
            if n > self.rwnd and self.flight:
                self.window_full = False  # the peer's window, not ours, is the limit
                break
            if n == size:
                payload = data
                flags = FLAG_BEGIN | FLAG_END
            else:
                payload = data[offset : offset + n]
                flags = FLAG_BEGIN if offset == 0 else 0
                if offset + n == size:
                    flags |= FLAG_END
            if msg.unordered:
                flags |= FLAG_UNORDERED
            msg.offset = offset + n
            if flags & FLAG_END:
                self._message_cut()
            tsn = self.next_tsn
            self.next_tsn = tsn + 1
            ssn = msg.ssn
            sent[tsn] = (payload, msg, flags, ssn, now)
            if msg.tsns is not None:
                msg.tsns.append(tsn)
            length = 16 + n
            append(header(DATA, flags, length, tsn & M32, msg.sid, ssn, msg.ppid))
            append(payload)
            pad = -length & 3
            if pad:
                append(padding(length))
            used += length + pad
            self.flight += length
            self.outstanding += n
            self.rwnd -= n
            chunks += 1
            if msg.counted:
                self._unbuffer(msg.sid, n)
        if chunks:
            self.stats.data_chunks_sent += chunks
            self.last_sent_at = now
            if self._rtt_tsn is None:
                self._rtt_tsn = self.next_tsn - 1
                self._rtt_sent_at = now
            if self.t3_at is None:
                self.t3_at = now + self.rto.rto
            if not self._tlp_out:
                self._arm_tlp(now)
        return used

    def _fill_retransmissions(self, parts: list[bytes], room: int, now: float) -> int:
        used = 0
        header = DATA_HEADER.pack
        budget = self._fast_rtx_budget
        self._fast_rtx_budget = False
        marks = self._marks
        order = self._rtx_order
        if order is None:
            order = sorted(self._rtx)
        stopped = len(order)
        for index, tsn in enumerate(order):
            entry = self._rtx.get(tsn)
            if entry is None:
                continue  # acknowledged, or abandoned with an earlier chunk of its message
            payload, msg, flags, ssn, _ = entry
            mark = marks[tsn]
            if msg.tsns is not None and self._should_abandon(msg, mark.nsent, now):
                self._abandon(msg)
                continue
            length = 16 + len(payload)
            pad = -length & 3
            if used + length + pad > room or (
                not budget and self.flight and self.flight + length > self.cc.cwnd
            ):
                # (After T3-rtx cwnd is one MTU: one packet's worth goes, §6.3.3 E3.)
                stopped = index
                break
            del self._rtx[tsn]
            mark.rtx = False
            mark.nsent += 1
            self._sent[tsn] = (payload, msg, flags, ssn, now)
            self._rexmit_at[tsn] = now
            self.flight += length
            parts.append(header(DATA, flags, length, tsn & M32, msg.sid, ssn, msg.ppid))
            parts.append(payload)
            if pad:
                parts.append(padding(length))
            used += length + pad
            self.stats.retransmissions += 1
            if tsn == self.cum_ack + 1 or self.t3_at is None:
                self.t3_at = now + self.rto.rto
        self._rtx_order = order[stopped:] if self._rtx else None
        if used:
            self.last_sent_at = now
        return used

    def _next_message(self, now: float) -> OutMessage | None:
        active = self._active
        while active:
            sid, stream = active[0]
            queue = stream.queue
            msg = queue[0]
            if msg.expires is not None and now >= msg.expires:
                queue.popleft()
                self.stats.messages_abandoned += 1
                if msg.counted:
                    self._unbuffer(sid, msg.counted)
                if not queue:
                    active.popleft()
                continue
            if not msg.unordered:
                msg.ssn = stream.next_ssn
                stream.next_ssn = (stream.next_ssn + 1) & 0xFFFF
            self._current = msg
            self._current_stream = stream
            return msg
        return None

    def _message_cut(self) -> None:
        """The current message has all its TSNs: move on (round-robin between streams)."""
        stream = self._current_stream
        assert stream is not None
        stream.queue.popleft()
        if stream.queue:
            self._active.rotate(-1)
        else:
            self._active.popleft()
        self._current = None
        self._current_stream = None

    def _unbuffer(self, sid: int, n: int) -> None:
        stream = self._streams[sid]
        before = stream.buffered
        after = stream.buffered = before - n
        self.buffered_total -= n
        if before > stream.low_threshold >= after:
            self._emit(BufferedAmountLow(sid))

    # --- SACK (RFC 9260 §6.2.1, §7.2) ---------------------------------------------------------

    def on_sack(self, cum32: int, a_rwnd: int, gaps: list[int], now: float) -> int:
        cum_ack = self.cum_ack
        d = (cum32 - cum_ack) & M32
        if d >= _HALF32:
            return SACK_STALE
        cum = cum_ack + d
        if cum >= self.next_tsn:
            return SACK_INVALID
        acked_bytes = 0
        track = bool(self._rexmit_at)
        newest = 0.0
        if d:
            sent = self._sent
            marks = self._marks
            flight = self.flight
            outstanding = self.outstanding
            rtt_tsn = self._rtt_tsn
            for tsn in range(cum_ack + 1, cum + 1):
                entry = sent.pop(tsn)
                size = 16 + len(entry[PAYLOAD])
                if track:
                    if entry[SENT_AT] > newest:
                        newest = entry[SENT_AT]
                    self._rexmit_at.pop(tsn, None)
                if marks:
                    mark = marks.pop(tsn, None)
                    if mark is not None:
                        if mark.settled:
                            continue
                        if mark.rtx:
                            del self._rtx[tsn]
                            flight += size  # it left the flight when marked
                        if tsn == rtt_tsn:
                            self._rtt_tsn = rtt_tsn = None
                flight -= size
                outstanding -= size - 16
                acked_bytes += size
            if rtt_tsn is not None and rtt_tsn <= cum:
                self._rtt_tsn = None
                self.rto.on_measurement(now - self._rtt_sent_at)
                self.stats.rtt_samples += 1
            self.flight = flight
            self.outstanding = outstanding
            self.cum_ack = cum
            if self.apap < cum:
                self.apap = cum
        if gaps:
            self._newest_acked_sent_at = newest
            acked_bytes += self._on_gaps(cum, gaps)
            newest = self._newest_acked_sent_at
        if self._rexmit_at and newest:
            self._detect_lost_retransmissions(newest)
        self.newly_acked = acked_bytes
        if acked_bytes:
            self._tlp_out = False
        outstanding = self.outstanding
        self.peer_a_rwnd = a_rwnd
        self.rwnd = a_rwnd - outstanding if a_rwnd > outstanding else 0
        if d:
            self.cc.on_cumulative_ack(acked_bytes, self.window_full, cum)
        if self.partial_reliability and self._marks:
            self._advance_apap()
        if not self._sent:
            self.t3_at = None
            self.tlp_at = None
            self.cc.on_all_acked()
        else:
            if d:
                self.t3_at = now + self.rto.rto
            if acked_bytes:
                self._arm_tlp(now)
        return SACK_OK

    # --- PR-SCTP (RFC 3758) -------------------------------------------------------------------

    @staticmethod
    def _should_abandon(msg: OutMessage, nsent: int, now: float) -> bool:
        if msg.max_rtx is not None and nsent > msg.max_rtx:
            return True
        return msg.expires is not None and now >= msg.expires

    def _abandon(self, msg: OutMessage) -> None:
        if msg.abandoned:
            return
        msg.abandoned = True
        self.stats.messages_abandoned += 1
        sent = self._sent
        marks = self._marks
        for tsn in msg.tsns or ():
            entry = sent.get(tsn)
            if entry is None:
                continue  # already cumulatively acknowledged
            mark = marks.get(tsn)
            if mark is None:
                mark = marks[tsn] = Mark()
            elif mark.abandoned or mark.acked:
                continue
            mark.abandoned = True
            size = 16 + len(entry[PAYLOAD])
            if mark.rtx:
                mark.rtx = False
                self._rtx.pop(tsn, None)
            else:
                self.flight -= size
            self.outstanding -= size - 16
            if tsn == self._rtt_tsn:
                self._rtt_tsn = None
        if msg is self._current:
            unsent = len(msg.data) - msg.offset
            msg.offset = len(msg.data)
            if msg.counted and unsent:
                self._unbuffer(msg.sid, min(unsent, self._streams[msg.sid].buffered))
            self._message_cut()
        self._advance_apap()

    def _advance_apap(self) -> None:
        """Move the Advanced.Peer.Ack.Point over abandoned (and acknowledged) chunks; a point
        beyond the cumulative ack means the peer must be told to skip (RFC 3758 §3.5 C1-C2)."""
        marks = self._marks
        apap = self.apap if self.apap > self.cum_ack else self.cum_ack
        while True:
            mark = marks.get(apap + 1)
            if mark is None or not mark.settled:
                break
            apap += 1
        self.apap = apap
        if apap > self.cum_ack:
            self.forward_tsn_pending = True

    def forward_tsn_chunk(self) -> bytes:
        """FORWARD TSN to the Advanced.Peer.Ack.Point, with the last skipped SSN per ordered
        stream (RFC 3758 §3.2)."""
        self.forward_tsn_pending = False
        last_ssn: dict[int, int] = {}
        sent = self._sent
        marks = self._marks
        for tsn in range(self.cum_ack + 1, self.apap + 1):
            entry = sent.get(tsn)
            mark = marks.get(tsn)
            if entry is None or mark is None or not mark.abandoned:
                continue
            if not entry[FLAGS] & FLAG_UNORDERED:
                last_ssn[entry[MSG].sid] = entry[SSN]
        self.stats.forward_tsns_sent += 1
        return encode_forward_tsn(self.apap & M32, sorted(last_ssn.items()))
