"""Priorities and foundations (RFC 8445 §5.1.2, §5.1.1.3, §6.1.2.3)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ice.candidate import (
    CandidateType,
    LocalCandidate,
    RemoteCandidate,
    candidate_foundation,
    candidate_priority,
    pair_priority,
)
from ice.checklist import CheckList, PairState


def test_candidate_priority_formula() -> None:
    assert candidate_priority(CandidateType.HOST) == (126 << 24) + (65535 << 8) + 255
    assert candidate_priority(CandidateType.SERVER_REFLEXIVE, 1) == (100 << 24) + 256 + 255
    assert candidate_priority(CandidateType.PEER_REFLEXIVE, 0, component=2) == (110 << 24) + 254
    assert (
        candidate_priority(CandidateType.RELAYED)
        < candidate_priority(CandidateType.SERVER_REFLEXIVE)
        < candidate_priority(CandidateType.PEER_REFLEXIVE)
        < candidate_priority(CandidateType.HOST)
    )


@settings(max_examples=300)
@given(st.integers(1, 2**31 - 1), st.integers(1, 2**31 - 1))
def test_pair_priority_formula_and_both_sides_agree(g: int, d: int) -> None:
    p = pair_priority(g, d)
    assert p == 2**32 * min(g, d) + 2 * max(g, d) + (1 if g > d else 0)
    assert p < 2**64
    # The controlling side's check list (local g, remote d) and the controlled side's (local d,
    # remote g) rank the pair identically.
    controlling, controlled = CheckList(), CheckList()
    controlling.set_role(True)
    one = _local(g)
    two = _local(d)
    pair_a = controlling.add(one, _remote(two), PairState.FROZEN)
    pair_b = controlled.add(two, _remote(one), PairState.FROZEN)
    assert pair_a is not None and pair_b is not None
    assert pair_a.priority == pair_b.priority == p


def _local(priority: int) -> LocalCandidate:
    address = ("10.0.0.1", priority % 65536)
    return LocalCandidate(CandidateType.HOST, address, address, priority, "1")


def _remote(local: LocalCandidate) -> RemoteCandidate:
    return RemoteCandidate("host", local.address, local.priority, local.foundation)


def test_foundations() -> None:
    host1 = candidate_foundation("host", "10.0.0.1")
    assert host1 == candidate_foundation("host", "10.0.0.1")
    assert host1 != candidate_foundation("host", "10.0.0.2")
    assert host1 != candidate_foundation("srflx", "10.0.0.1", "192.0.2.1")
    assert candidate_foundation("srflx", "10.0.0.1", "192.0.2.1") != candidate_foundation(
        "srflx", "10.0.0.1", "192.0.2.2"
    )
    assert host1.isdigit() and len(host1) <= 32


def test_local_candidate_to_sdp() -> None:
    c = LocalCandidate(
        type=CandidateType.SERVER_REFLEXIVE,
        address=("203.0.113.4", 40000),
        base=("10.0.0.1", 5000),
        priority=1686052607,
        foundation="42",
        related=("10.0.0.1", 5000),
        ufrag="abcd",
    )
    line = c.to_sdp().to_sdp()
    assert line == (
        "candidate:42 1 udp 1686052607 203.0.113.4 40000 typ srflx raddr 10.0.0.1 rport 5000"
        " generation 0 ufrag abcd"
    )
