"""When one side's candidates are all unreachable, both agents reach failed in time."""

from __future__ import annotations

from ice import IceConnectionState, IceSettings
from tests.ice.simagent import Peers, make_peers
from tests.simnet import Conditions

S = IceConnectionState


def _both_failed(p: Peers) -> bool:
    return p.a.state is S.FAILED and p.b.state is S.FAILED


def test_unreachable_with_end_of_candidates_fails_when_the_checks_do() -> None:
    p = make_peers()
    p.sim.network.set_conditions("10.0.0.2", "10.0.0.1", Conditions(blocked=True), both_ways=False)
    p.start()
    assert p.sim.run_until(lambda: _both_failed(p), timeout=30.0)
    # Every pair failed after its 7 transmissions (0.5 s RTO capped at 1.6 s): 9.5 s.
    assert p.sim.now - 1000.0 < 10.0
    assert p.a.states() == [S.CHECKING, S.FAILED]
    assert p.b.states() == [S.CHECKING, S.FAILED]
    assert p.a.agent.selected_pair is None
    assert p.a.agent.poll_timeout() is None  # nothing left to do


def test_unreachable_without_end_of_candidates_fails_at_the_failed_timeout() -> None:
    settings = IceSettings(failed_timeout=12.0)
    p = make_peers(settings_a=settings, settings_b=settings)
    p.end_of_candidates = False
    p.sim.network.set_conditions("10.0.0.1", "10.0.0.2", Conditions(blocked=True))
    p.start()
    assert p.sim.run_until(lambda: _both_failed(p), timeout=30.0)
    assert 12.0 <= p.sim.now - 1000.0 < 12.1


def test_no_remote_candidates_at_all_fails_at_the_failed_timeout() -> None:
    p = make_peers()
    p.signal_a_to_b = p.signal_b_to_a = False
    p.sim.network.set_conditions("10.0.0.1", "10.0.0.2", Conditions(blocked=True))
    p.start()
    assert p.sim.run_until(lambda: _both_failed(p), timeout=60.0)
    assert p.sim.now - 1000.0 <= IceSettings().failed_timeout + 0.01
