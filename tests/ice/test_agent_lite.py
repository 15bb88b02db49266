"""ICE-lite (RFC 8445 §2.5): a lite agent answers checks and never sends them; a full agent
talking to it takes control and connects."""

from __future__ import annotations

from ice import IceConnectionState, IceRole, IceSettings
from ice.stun import StunClass, parse_message
from tests.ice.simagent import connected, make_peers
from tests.simnet import Conditions

S = IceConnectionState


def test_full_agent_connects_to_a_lite_peer() -> None:
    p = make_peers(settings_b=IceSettings(lite=True, stun_servers=("stun:192.0.2.50",)))
    p.stun_servers["b"] = [("192.0.2.50", 3478)]
    a, b = p.a.agent, p.b.agent
    now = p.sim.now
    a.gather(p.a.bases, now=now)
    b.gather(p.b.bases, stun_servers=p.stun_servers["b"], now=now)
    # The full side is told the peer is lite; it must control even if asked not to.
    a.start(b.local_ufrag, b.local_pwd, controlling=False, remote_lite=True, now=now)
    b.start(a.local_ufrag, a.local_pwd, now=now)
    assert a.role is IceRole.CONTROLLING and b.role is IceRole.CONTROLLED
    assert p.sim.run_until(connected(p.a, p.b), timeout=5.0)
    # The lite agent gathered its host candidate only (no STUN query) and sent no request.
    assert [c.candidate.type for c in p.b.gathered()] == ["host"]
    sent = [parse_message(d) for _, _, d in p.b.sent]
    assert sent and all(m.cls == StunClass.SUCCESS for m in sent)
    assert p.a.send(b"\x17hello lite") and p.b.send(b"\x17hello full")
    p.sim.run_for(0.1)
    assert p.b.received == [b"\x17hello lite"] and p.a.received == [b"\x17hello full"]
    # The full side's consent checks keep both up; the lite side never sends a request.
    p.sim.run_for(60.0)
    assert p.a.state is S.COMPLETED and p.b.state is S.COMPLETED
    assert all(parse_message(d).cls == StunClass.SUCCESS for _, _, d in p.b.sent)


def test_lite_agent_notices_when_the_full_peer_goes_quiet() -> None:
    p = make_peers(settings_b=IceSettings(lite=True))
    assert p.connect()
    p.sim.network.set_conditions("10.0.0.1", "10.0.0.2", Conditions(blocked=True))
    assert p.sim.run_until(lambda: p.b.state is S.DISCONNECTED, timeout=10.0)
    assert p.sim.run_until(lambda: p.b.state is S.FAILED, timeout=40.0)


def test_lite_agent_asks_a_controlled_full_peer_to_take_control() -> None:
    # The full agent was not told the peer is lite and starts controlled: the lite agent
    # answers its ICE-CONTROLLED checks with 487, the full agent switches and nominates.
    p = make_peers(settings_b=IceSettings(lite=True))
    p.start(a_controlling=False, b_controlling=False)
    assert p.sim.run_until(connected(p.a, p.b), timeout=5.0)
    assert p.a.agent.role is IceRole.CONTROLLING
    assert p.b.agent.stats.role_conflicts >= 1
