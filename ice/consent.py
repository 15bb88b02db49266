"""Consent freshness on the selected pair (RFC 7675), which also keeps NAT bindings open.

A full agent sends a Binding request on the selected pair every ``interval`` (randomised to
0.8-1.2 × interval, §5.1, so peers do not fall into lock-step); each authenticated response
refreshes consent. An ICE-lite agent sends no checks, so for it the peer's authenticated checks
on the selected pair are the sign of life instead.

Consent lapses in two steps, as in Pion: ``disconnected`` after ``disconnected_after`` seconds
without a refresh, ``failed`` after ``failed_after`` more. The monitor only keeps the times; the
agent asks :meth:`ConsentMonitor.status` and sends when :meth:`ConsentMonitor.request_due` says so.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import random


class Consent(Enum):
    FRESH = "fresh"
    STALE = "stale"
    """No refresh for ``disconnected_after``: the connection is ``disconnected``."""
    EXPIRED = "expired"
    """No refresh for ``disconnected_after + failed_after``: stop sending, ``failed``."""


class ConsentMonitor:
    __slots__ = (
        "_rng",
        "disconnected_after",
        "failed_after",
        "interval",
        "last_refresh",
        "next_request",
    )

    def __init__(
        self,
        *,
        now: float,
        interval: float,
        disconnected_after: float,
        failed_after: float,
        rng: random.Random,
        sends: bool = True,
    ) -> None:
        self._rng = rng
        self.interval = interval
        self.disconnected_after = disconnected_after
        self.failed_after = failed_after
        self.last_refresh = now
        self.next_request: float | None = self._jittered(now) if sends else None

    def _jittered(self, now: float) -> float:
        return now + self.interval * (0.8 + 0.4 * self._rng.random())

    def refresh(self, *, now: float) -> None:
        """An authenticated response (or, for lite, an authenticated check) arrived."""
        if now > self.last_refresh:
            self.last_refresh = now

    def request_due(self, *, now: float) -> bool:
        """True when a consent request must go out now; schedules the next one."""
        if self.next_request is None or now < self.next_request:
            return False
        self.next_request = self._jittered(now)
        return True

    def status(self, *, now: float) -> Consent:
        # The same sums as in deadline(): at its deadline the status must have changed, or a
        # driver would be woken again and again at the same instant.
        stale_at = self.last_refresh + self.disconnected_after
        if now >= stale_at + self.failed_after:
            return Consent.EXPIRED
        if now >= stale_at:
            return Consent.STALE
        return Consent.FRESH

    def deadline(self, *, stale: bool) -> float:
        """The next moment something changes: a request to send, or the next step of the lapse
        (``stale`` says whether the connection already shows ``disconnected``)."""
        stale_at = self.last_refresh + self.disconnected_after
        when = stale_at + self.failed_after if stale else stale_at
        if self.next_request is not None and self.next_request < when:
            return self.next_request
        return when
