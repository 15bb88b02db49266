"""Loss detection and recovery of the sending side (RFC 9260 §6.3, §7.2.4).

Gap blocks acknowledge chunks beyond the cumulative TSN; only what a SACK adds to the blocks
already seen is walked, so a long loss episode costs each SACK the new TSNs, not the window.
Miss indications are counted in the holes below the highest newly acknowledged TSN (HTNA), and
a chunk is fast-retransmitted at the third. Beyond RFC 9260, two mechanisms of TCP's RACK-TLP
(RFC 8985) shorten the waits that would otherwise end in a T3-rtx timeout, whose cost on a
lossy path (an RTO of idle time, then cwnd = 1 MTU) dominates throughput:

* a retransmission is declared lost when a chunk sent after it is acknowledged (plus a quarter
  RTT for reordering), instead of waiting for T3-rtx (RFC 9260 fast-retransmits a chunk once);
* a tail loss probe resends the newest outstanding chunk after two RTTs without any
  acknowledgement, so a lost last SACK (or lost last packets) is repaired within a few RTTs.

T3-rtx expiry marks everything outstanding for retransmission and collapses the window (§6.3.3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .sent import MSG, PAYLOAD, SENT_AT, Mark, merge, uncovered

if TYPE_CHECKING:
    from .congestion import CongestionControl
    from .rto import RtoEstimator
    from .sent import OutMessage, SentChunk
    from .stats import AssociationStats


class LossRecovery:
    """The loss-recovery part of :class:`~sctp.outbound.Outbound` (its state is declared here)."""

    cum_ack: int
    next_tsn: int
    apap: int
    flight: int
    outstanding: int
    forward_tsn_pending: bool
    t3_at: float | None
    tlp_at: float | None
    cc: CongestionControl
    rto: RtoEstimator
    stats: AssociationStats
    _sent: dict[int, SentChunk]
    _marks: dict[int, Mark]
    _rtx: dict[int, SentChunk]
    _rtx_order: list[int] | None
    _gap_seen: list[tuple[int, int]]
    _miss_settled: list[tuple[int, int]]
    _rexmit_at: dict[int, float]
    _newest_acked_sent_at: float
    _fast_rtx_budget: bool
    _tlp_out: bool
    _rtt_tsn: int | None

    def _should_abandon(self, msg: OutMessage, nsent: int, now: float) -> bool:
        raise NotImplementedError

    def _abandon(self, msg: OutMessage) -> None:
        raise NotImplementedError

    def _detect_lost_retransmissions(self, newest: float) -> None:
        """A retransmission is lost when a chunk sent after it has been acknowledged (with a
        quarter RTT for reordering): the time-based rule of RACK (RFC 8985 §6.2), used here
        only for retransmitted chunks, which RFC 9260 would otherwise leave to T3-rtx."""
        window = (self.rto.srtt or 0.0) / 4
        sent = self._sent
        marks = self._marks
        lost = False
        for tsn, when in list(self._rexmit_at.items()):
            entry = sent.get(tsn)
            mark = marks.get(tsn)
            if entry is None or mark is None or mark.acked or mark.abandoned:
                del self._rexmit_at[tsn]
                continue
            if mark.rtx or newest <= when + window:
                continue
            del self._rexmit_at[tsn]
            mark.rtx = True
            self.flight -= 16 + len(entry[PAYLOAD])
            self._rtx[tsn] = entry
            self._rtx_order = None
            lost = True
        if lost:
            self.stats.fast_retransmits += 1
            self.cc.on_fast_retransmit(self.next_tsn - 1)
            self._fast_rtx_budget = True

    def _arm_tlp(self, now: float) -> None:
        srtt = self.rto.srtt
        if srtt is None or not self._sent:
            self.tlp_at = None
            return
        pto = max(2 * srtt, 0.01)
        if pto >= self.rto.rto:
            self.tlp_at = None
            return
        self.tlp_at = now + pto

    def on_tlp(self, now: float) -> None:
        """Nothing was acknowledged for two round trips while data is outstanding: the SACKs
        may have been lost, or the last packets. Resend the newest outstanding chunk, once,
        outside cwnd: whatever the peer answers (a SACK for a duplicate, or one showing the
        real hole) avoids waiting a whole RTO, and the window is not collapsed."""
        self.tlp_at = None
        if self._tlp_out or self._rtx:
            return
        marks = self._marks
        for tsn in reversed(self._sent):
            mark = marks.get(tsn)
            if mark is not None and (mark.acked or mark.abandoned or mark.rtx):
                continue
            if mark is None:
                mark = marks[tsn] = Mark()
            entry = self._sent[tsn]
            mark.rtx = True
            self.flight -= 16 + len(entry[PAYLOAD])
            self._rtx[tsn] = entry
            self._rtx_order = None
            self._fast_rtx_budget = True
            self._tlp_out = True
            if tsn == self._rtt_tsn:
                self._rtt_tsn = None
            self.stats.tail_loss_probes += 1
            return

    def _on_gaps(self, cum: int, gaps: list[int]) -> int:
        """Gap blocks: acknowledge what is new, then count miss indications in the holes.

        A SACK repeats every block of the previous one, usually grown by a TSN or two; walking
        each block TSN by TSN would cost the whole window per SACK during loss recovery. Only
        the parts not covered by ``_gap_seen`` (the blocks already processed, absolute TSNs)
        are walked, and misses are counted only in the holes between blocks (§7.2.4)."""
        blocks: list[tuple[int, int]] = []
        for i in range(0, len(gaps) - 1, 2):
            start = gaps[i]
            end = gaps[i + 1]
            if start and start <= end:
                blocks.append((cum + start, cum + end))
        if not blocks:
            return 0
        blocks.sort()
        sent = self._sent
        marks = self._marks
        acked_bytes = 0
        htna = 0
        seen = [r for r in self._gap_seen if r[1] > cum]
        for first, last in blocks:
            for lo, hi in uncovered(first, last, seen):
                for tsn in range(lo, hi + 1):
                    entry = sent.get(tsn)
                    if entry is None:
                        break
                    mark = marks.get(tsn)
                    if mark is None:
                        mark = marks[tsn] = Mark()
                    elif mark.acked:
                        continue
                    mark.acked = True
                    htna = tsn
                    if entry[SENT_AT] > self._newest_acked_sent_at:
                        self._newest_acked_sent_at = entry[SENT_AT]
                    if not mark.abandoned:
                        size = 16 + len(entry[PAYLOAD])
                        if mark.rtx:
                            mark.rtx = False
                            del self._rtx[tsn]
                        else:
                            self.flight -= size
                        self.outstanding -= size - 16
                        acked_bytes += size
        self._gap_seen = merge(seen, blocks)
        if htna > cum:
            self._count_misses(cum, htna, blocks)
        return acked_bytes

    def _count_misses(self, cum: int, htna: int, blocks: list[tuple[int, int]]) -> None:
        """One miss indication for each TSN missing below the HTNA (§7.2.4); at the third, mark
        it for fast retransmit. TSNs past that point (marked, acked or abandoned) are kept as
        ranges in ``_miss_settled`` and skipped, so a burst of losses costs each SACK only the
        TSNs still counting, not the whole hole."""
        sent = self._sent
        marks = self._marks
        marked = False
        settled = [r for r in self._miss_settled if r[1] > cum]
        newly: list[tuple[int, int]] = []
        hole_start = cum + 1
        for first, last in (*blocks, (htna, htna)):
            for lo, hi in uncovered(hole_start, min(first, htna) - 1, settled):
                for tsn in range(lo, hi + 1):
                    entry = sent.get(tsn)
                    mark = marks.get(tsn)
                    if entry is None:
                        continue
                    if mark is None:
                        mark = marks[tsn] = Mark()
                    elif mark.acked or mark.abandoned or mark.rtx or mark.fast_done:
                        newly.append((tsn, tsn))
                        continue
                    mark.misses += 1
                    if mark.misses >= 3:
                        mark.fast_done = True
                        mark.rtx = True
                        self.flight -= 16 + len(entry[PAYLOAD])
                        self._rtx[tsn] = entry
                        self._rtx_order = None
                        marked = True
                        newly.append((tsn, tsn))
                        if tsn == self._rtt_tsn:
                            self._rtt_tsn = None
            if first >= htna:
                break
            hole_start = max(hole_start, last + 1)
        self._miss_settled = merge(settled, newly) if newly else settled
        if marked:
            self.stats.fast_retransmits += 1
            self.cc.on_fast_retransmit(self.next_tsn - 1)
            self._fast_rtx_budget = True

    def on_t3(self, now: float) -> bool:
        """The retransmission timer expired; True when it counts as a failed attempt (something
        had to be retransmitted), False when nothing (or only a FORWARD TSN) was outstanding."""
        self.t3_at = None
        sent = self._sent
        if not sent:
            return False
        marks = self._marks
        first = marks.get(self.cum_ack + 1)
        if first is not None and first.acked and not first.abandoned:
            # The peer dropped data it had gap-acknowledged (renege, §6.2): trust only the
            # cumulative ack from now on.
            for tsn, mark in marks.items():
                if mark.acked and not mark.abandoned:
                    mark.acked = False
                    size = 16 + len(sent[tsn][PAYLOAD])
                    self.outstanding += size - 16
                    self.flight += size
        lost = []
        for tsn in sent:
            known = marks.get(tsn)
            if known is None or not (known.acked or known.abandoned or known.rtx):
                lost.append(tsn)
        if not lost and not self._rtx:
            # Only abandoned chunks wait for the peer's ack: resend the FORWARD TSN, no penalty.
            self.forward_tsn_pending = self.apap > self.cum_ack
            self.t3_at = now + self.rto.rto
            return False
        self.stats.t3_expirations += 1
        self.rto.back_off()
        self.cc.on_timeout()
        self._miss_settled = []  # retransmitted chunks may be counted missing again
        self.tlp_at = None
        self._tlp_out = False
        for tsn in lost:
            lost_mark = marks.get(tsn)
            if lost_mark is None:
                lost_mark = marks[tsn] = Mark()
            lost_mark.rtx = True
            entry = sent[tsn]
            self.flight -= 16 + len(entry[PAYLOAD])
            self._rtx[tsn] = entry
        self._rtx_order = None
        self._rtt_tsn = None
        for tsn, entry in list(self._rtx.items()):
            msg = entry[MSG]
            if msg.tsns is not None and self._should_abandon(msg, marks[tsn].nsent, now):
                self._abandon(msg)
        if self.apap > self.cum_ack:
            self.forward_tsn_pending = True
        self.t3_at = now + self.rto.rto
        return True
