"""Consent freshness (RFC 7675): disconnected, then failed, when the peer stops answering;
back to connected when it answers again."""

from __future__ import annotations

from ice import IceConnectionState
from tests.ice.simagent import connected, make_peers
from tests.simnet import Conditions

S = IceConnectionState


def test_disconnected_then_failed() -> None:
    p = make_peers()
    assert p.connect()
    cut = p.sim.now
    p.sim.network.set_conditions("10.0.0.1", "10.0.0.2", Conditions(blocked=True))
    assert p.sim.run_until(lambda: p.a.state is S.DISCONNECTED, timeout=10.0)
    assert 4.0 <= p.sim.now - cut <= 5.01  # disconnected_timeout after the last answer
    assert p.a.agent.prepare_send(10) is not None  # still allowed to send while disconnected
    assert p.sim.run_until(lambda: p.a.state is S.FAILED, timeout=40.0)
    assert 29.0 <= p.sim.now - cut <= 30.01  # + failed_timeout: RFC 7675's 30 s
    assert p.a.states()[-3:] == [S.COMPLETED, S.DISCONNECTED, S.FAILED]
    assert p.a.selections()[-1].pair is None
    assert p.a.agent.prepare_send(10) is None  # consent expired: nothing more is sent
    p.sim.run_for(60.0)
    assert p.a.state is S.FAILED and p.b.state is S.FAILED


def test_back_to_connected_when_the_peer_answers_again() -> None:
    p = make_peers()
    assert p.connect()
    block = Conditions(blocked=True)
    p.sim.network.set_conditions("10.0.0.2", "10.0.0.1", block, both_ways=False)
    assert p.sim.run_until(lambda: p.a.state is S.DISCONNECTED, timeout=10.0)
    p.sim.run_for(10.0)
    assert p.a.state is S.DISCONNECTED
    p.sim.network.set_conditions("10.0.0.2", "10.0.0.1", Conditions(), both_ways=False)
    assert p.sim.run_until(connected(p.a, p.b), timeout=5.0)
    assert p.a.states()[-2:] == [S.DISCONNECTED, S.COMPLETED]
    # Only one selection happened: the same pair came back.
    assert len(p.a.selections()) == 1
