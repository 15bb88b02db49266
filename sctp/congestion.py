"""Congestion control of the one path (RFC 9260 §7.2).

Slow start (§7.2.1) while cwnd <= ssthresh, congestion avoidance (§7.2.2) above it, the
reductions on loss detected by SACK (§7.2.3, entering fast recovery, §7.2.4) and on a T3-rtx
timeout (§7.2.3). The outbound queue tells this class what happened; it never looks at chunks.
"""

from __future__ import annotations


class CongestionControl:
    __slots__ = (
        "cwnd",
        "fast_recovery_exit",
        "in_fast_recovery",
        "mtu",
        "partial_bytes_acked",
        "ssthresh",
    )

    def __init__(self, *, mtu: int, initial_cwnd_mtus: int, peer_rwnd: int) -> None:
        self.mtu = mtu
        self.cwnd = initial_cwnd_mtus * mtu
        self.ssthresh = max(peer_rwnd, 4 * mtu)
        """Initially the peer's advertised window (§7.2.1)."""
        self.partial_bytes_acked = 0
        self.in_fast_recovery = False
        self.fast_recovery_exit = 0
        """The highest TSN outstanding when fast recovery began (unwrapped)."""

    def on_cumulative_ack(self, acked: int, flight_before: int, cum_tsn: int) -> None:
        """The cumulative TSN advanced, newly acknowledging ``acked`` bytes.

        ``flight_before`` is the flight size before this SACK: the window only grows when it
        was being fully used (§7.2.1, §7.2.2), and not during fast recovery (§7.2.4 step 3).
        """
        if self.in_fast_recovery:
            if cum_tsn >= self.fast_recovery_exit:
                self.in_fast_recovery = False
            else:
                return
        mtu = self.mtu
        if self.cwnd <= self.ssthresh:
            if flight_before + mtu >= self.cwnd:
                self.cwnd += acked if acked < mtu else mtu
        else:
            self.partial_bytes_acked += acked
            if self.partial_bytes_acked >= self.cwnd and flight_before + mtu >= self.cwnd:
                self.partial_bytes_acked -= self.cwnd
                self.cwnd += mtu

    def on_all_acked(self) -> None:
        """Nothing is in flight any more: partial_bytes_acked restarts (§7.2.2)."""
        self.partial_bytes_acked = 0

    def on_fast_retransmit(self, highest_outstanding: int) -> None:
        """Loss detected by three miss indications (§7.2.3, §7.2.4 steps 1-2)."""
        if self.in_fast_recovery:
            return
        self.in_fast_recovery = True
        self.fast_recovery_exit = highest_outstanding
        self.ssthresh = max(self.cwnd // 2, 4 * self.mtu)
        self.cwnd = self.ssthresh
        self.partial_bytes_acked = 0

    def on_timeout(self) -> None:
        """T3-rtx expired (§7.2.3): back to one packet and slow start."""
        self.ssthresh = max(self.cwnd // 2, 4 * self.mtu)
        self.cwnd = self.mtu
        self.partial_bytes_acked = 0
        self.in_fast_recovery = False

    def on_idle(self, periods: int) -> None:
        """No data was sent for ``periods`` RTOs: halve cwnd per RTO, not below 4 MTU (§7.2.1)."""
        floor = 4 * self.mtu
        for _ in range(min(periods, 32)):
            if self.cwnd <= floor:
                break
            self.cwnd = max(self.cwnd // 2, floor)
