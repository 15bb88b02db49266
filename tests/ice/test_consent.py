"""The consent monitor's clock arithmetic (RFC 7675 timers)."""

from __future__ import annotations

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from ice.consent import Consent, ConsentMonitor


@settings(max_examples=300)
@given(st.floats(0, 1e6), st.floats(0.001, 10), st.floats(0.1, 30), st.floats(0.1, 60))
def test_status_changes_exactly_at_the_deadline(
    start: float, refresh_after: float, disconnected: float, failed: float
) -> None:
    """At the deadline it reports, the status has moved on: a driver woken then makes progress
    (a float rounding mismatch here once made the simulated network spin at one instant)."""
    monitor = ConsentMonitor(
        now=start,
        interval=2.0,
        disconnected_after=disconnected,
        failed_after=failed,
        rng=random.Random(0),
        sends=False,
    )
    monitor.refresh(now=start + refresh_after)
    stale_at = monitor.deadline(stale=False)
    assert monitor.status(now=stale_at) is Consent.STALE
    expire_at = monitor.deadline(stale=True)
    assert expire_at > stale_at
    assert monitor.status(now=expire_at) is Consent.EXPIRED


def test_requests_are_jittered_around_the_interval() -> None:
    monitor = ConsentMonitor(
        now=0.0,
        interval=2.0,
        disconnected_after=5.0,
        failed_after=25.0,
        rng=random.Random(1),
    )
    sent = []
    now = 0.0
    while now < 200.0:
        assert monitor.next_request is not None
        now = monitor.next_request
        assert monitor.request_due(now=now)
        sent.append(now)
        monitor.refresh(now=now)
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    assert all(1.6 <= g <= 2.4 for g in gaps)
    assert len(set(round(g, 3) for g in gaps)) > 10  # really jittered
