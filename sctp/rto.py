"""Retransmission timeout from measured round trips (RFC 9260 §6.3.1).

Kept apart from the association so the rules (first sample, smoothing with alpha = 1/8 and
beta = 1/4, clamping, exponential back-off on expiry) can be read and tested in one place.
"""

from __future__ import annotations


class RtoEstimator:
    """SRTT, RTTVAR and RTO of one path (SCTP over DTLS has exactly one)."""

    __slots__ = ("_backoff_cap", "_max", "_min", "rto", "rttvar", "srtt")

    def __init__(
        self,
        *,
        initial: float,
        minimum: float,
        maximum: float,
        backoff_cap: float | None = None,
    ) -> None:
        self._min = minimum
        self._max = maximum
        self._backoff_cap = maximum if backoff_cap is None else min(backoff_cap, maximum)
        self.rto = initial
        self.srtt: float | None = None
        self.rttvar = 0.0

    def on_measurement(self, rtt: float) -> None:
        """A new RTT sample R (C1-C3 of RFC 9260 §6.3.1)."""
        if rtt < 0:
            return
        srtt = self.srtt
        if srtt is None:
            self.srtt = rtt
            self.rttvar = rtt / 2
        else:
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(srtt - rtt)
            self.srtt = 0.875 * srtt + 0.125 * rtt
        rto = self.srtt + 4 * self.rttvar
        self.rto = self._min if rto < self._min else self._max if rto > self._max else rto

    def back_off(self) -> None:
        """The T3-rtx (or another RTO-based) timer expired: double the RTO (E2 of §6.3.3), up to
        the back-off cap (never lowering an RTO that measurements made larger)."""
        self.rto = min(self.rto * 2, max(self._backoff_cap, self.rto))

    def backed_off(self, value: float) -> float:
        """``value`` doubled under the same cap (for T1-init, which has no RTT yet)."""
        return min(value * 2, max(self._backoff_cap, value))
