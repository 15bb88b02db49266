"""Client transaction timing over UDP (RFC 8489 §6.2.1), driven by an injected clock.

A request is sent at once, then retransmitted after RTO, 2·RTO, 4·RTO … until ``max_transmits``
(Rc, default 7) requests have gone out; the transaction fails ``final_wait`` (Rm·RTO, default
16·RTO) after the last one. With the RFC's RTO of 500 ms the sends happen at 0, 0.5, 1.5, 3.5,
7.5, 15.5 and 31.5 s and the transaction gives up at 39.5 s.

``max_rto`` caps the doubling. ICE connectivity checks use it (RFC 8445 §14.3 leaves the schedule
to the agent) so that a dead pair fails in seconds rather than the better part of a minute, as
browsers do.

This class only keeps time; the bytes, the addresses and what a response means belong to the
owner (the agent or the gatherer), which calls :meth:`Transaction.on_timeout` when
:attr:`Transaction.deadline` has come.
"""

from __future__ import annotations

import math
from enum import Enum


class Step(Enum):
    """What the owner must do when a transaction's deadline comes."""

    RETRANSMIT = "retransmit"
    """Send the same request again (same transaction id)."""
    TIMED_OUT = "timed-out"
    """Give up: no response came in time."""


class Transaction:
    """The retransmission schedule of one request."""

    __slots__ = (
        "deadline",
        "final_wait",
        "interval",
        "last_sent",
        "max_rto",
        "max_transmits",
        "transmits",
    )

    def __init__(
        self,
        *,
        now: float,
        rto: float = 0.5,
        max_transmits: int = 7,
        final_wait: float | None = None,
        max_rto: float = math.inf,
    ) -> None:
        if rto <= 0 or max_transmits < 1:
            raise ValueError("a transaction needs rto > 0 and at least one transmission")
        self.max_transmits = max_transmits
        self.max_rto = max_rto
        self.final_wait = 16 * rto if final_wait is None else final_wait
        self.interval = min(rto, max_rto)
        self.transmits = 1
        """Requests sent so far (the first one is sent when the transaction is created)."""
        self.last_sent = now
        self.deadline = now + (self.interval if max_transmits > 1 else self.final_wait)
        """When :meth:`on_timeout` must be called next."""

    def on_timeout(self, *, now: float) -> Step:
        """Advance the schedule: the owner retransmits or gives up, as the result says."""
        if self.transmits >= self.max_transmits:
            return Step.TIMED_OUT
        self.transmits += 1
        self.last_sent = now
        if self.transmits >= self.max_transmits:
            self.deadline = now + self.final_wait
        else:
            self.interval = min(self.interval * 2, self.max_rto)
            self.deadline = now + self.interval
        return Step.RETRANSMIT
