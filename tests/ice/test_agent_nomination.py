"""Regular nomination by the controlling agent (RFC 8445 §8.1.1) and checks that arrive early."""

from __future__ import annotations

from ice import IceConnectionState
from ice.stun import Attr, StunClass, parse_message
from tests.ice.simagent import B_ADDR, Peers, connected, make_peers
from tests.simnet import Conditions

FAST_A, SLOW_A = ("10.0.1.1", 5001), ("10.0.0.1", 5000)  # SLOW_A is the first base: best pair


def _two_paths(slow: Conditions) -> Peers:
    p = make_peers(bases_a=[SLOW_A, FAST_A], bases_b=[B_ADDR])
    p.sim.network.set_conditions(SLOW_A, B_ADDR, slow)
    return p


def _nominations(p: Peers) -> list[tuple[str, int]]:
    out = []
    for src, _, data in p.a.sent:
        if data[0] < 4:
            m = parse_message(data)
            if m.cls == StunClass.REQUEST and m.has(Attr.USE_CANDIDATE):
                out.append(src)
    return out


def test_waits_for_a_better_pair_that_is_still_being_checked() -> None:
    # The best pair answers in 400 ms, the other in 2 ms: the controlling agent holds its
    # nomination (up to nomination_wait, 0.5 s) and nominates the best pair.
    p = _two_paths(Conditions(delay=0.2))
    assert p.connect()
    sel = p.a.agent.selected_pair
    assert sel is not None and sel.local_address == SLOW_A
    assert set(_nominations(p)) == {SLOW_A}


def test_gives_up_waiting_for_a_dead_better_pair() -> None:
    p = _two_paths(Conditions(blocked=True))
    assert p.connect()
    sel = p.a.agent.selected_pair
    assert sel is not None and sel.local_address == FAST_A
    # It nominated once the wait ran out, not before.
    assert 0.5 <= p.sim.now - 1000.0 < 0.6
    assert set(_nominations(p)) == {FAST_A}


def test_checks_before_start_are_answered_and_remembered() -> None:
    p = make_peers()
    a, b = p.a.agent, p.b.agent
    now = p.sim.now
    a.gather(p.a.bases, now=now)
    b.gather(p.b.bases, now=now)
    a.start(b.local_ufrag, b.local_pwd, controlling=True, now=now)
    p.sim.run_for(1.0)
    # B has not been given A's credentials yet, but it answers A's checks (it knows its own
    # password) and A already holds a valid pair.
    assert b.state is IceConnectionState.NEW
    assert a.get_stats().pairs[0].state == "succeeded"
    b.start(a.local_ufrag, a.local_pwd, controlling=False, now=p.sim.now)
    started = p.sim.now
    assert p.sim.run_until(connected(p.a, p.b), timeout=5.0)
    assert p.sim.now - started < 0.05
