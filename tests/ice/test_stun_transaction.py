"""Client transaction timing (RFC 8489 §6.2.1) on an injected clock."""

from __future__ import annotations

import pytest

from ice.stun import Step, Transaction


def run(transaction: Transaction, start: float) -> tuple[list[float], float]:
    """Drive a transaction to its end; the send times and when it gave up, relative to start."""
    sends = [0.0]
    while True:
        now = transaction.deadline
        if transaction.on_timeout(now=now) is Step.TIMED_OUT:
            return sends, round(now - start, 6)
        sends.append(round(now - start, 6))


def test_rfc8489_default_schedule() -> None:
    # "requests would be sent at times 0 ms, 500 ms, 1500 ms, 3500 ms, 7500 ms, 15500 ms, and
    # 31500 ms. If the client has not received a response after 39500 ms, it considers the
    # transaction to have timed out."
    sends, gave_up = run(Transaction(now=1000.0), 1000.0)
    assert sends == [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert gave_up == 39.5


def test_capped_schedule_used_by_connectivity_checks() -> None:
    t = Transaction(now=5.0, rto=0.5, max_transmits=7, max_rto=1.6, final_wait=1.6)
    sends, gave_up = run(t, 5.0)
    assert sends == [0.0, 0.5, 1.5, 3.1, 4.7, 6.3, 7.9]
    assert gave_up == 9.5


def test_single_shot() -> None:
    t = Transaction(now=0.0, rto=0.5, max_transmits=1, final_wait=5.0)
    assert t.deadline == 5.0
    assert t.on_timeout(now=5.0) is Step.TIMED_OUT
    assert t.transmits == 1


def test_last_sent_tracks_retransmissions() -> None:
    t = Transaction(now=10.0)
    assert t.last_sent == 10.0
    t.on_timeout(now=10.5)
    assert t.last_sent == 10.5 and t.transmits == 2


def test_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        Transaction(now=0.0, rto=0.0)
    with pytest.raises(ValueError):
        Transaction(now=0.0, max_transmits=0)
