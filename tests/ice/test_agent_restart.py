"""ICE restart (RFC 8445 §9): new credentials, gathering again, the old pair working until a new
one is chosen."""

from __future__ import annotations

from ice import IceConnectionState, IceGatheringState
from ice.stun import Attr, StunClass, parse_message
from tests.ice.simagent import A_ADDR, B_ADDR, Peers, connected, make_peers
from tests.simnet import Conditions

S = IceConnectionState


def _restart_both(p: Peers) -> None:
    a, b = p.a.agent, p.b.agent
    a.restart(now=p.sim.now)
    b.restart(now=p.sim.now)


def _start_both(p: Peers) -> None:
    a, b = p.a.agent, p.b.agent
    a.start(b.local_ufrag, b.local_pwd, now=p.sim.now)
    b.start(a.local_ufrag, a.local_pwd, now=p.sim.now)


def test_restart_keeps_the_old_pair_until_the_new_one_is_selected() -> None:
    p = make_peers()
    assert p.connect()
    a = p.a.agent
    old_ufrag, old_pwd = a.local_ufrag, a.local_pwd
    gathered_before = len(p.a.gathered())
    _restart_both(p)
    assert (a.local_ufrag, a.local_pwd) != (old_ufrag, old_pwd)
    p.sim.flush()
    # Gathered again, with the new ufrag and generation 1.
    new = p.a.gathered()[gathered_before:]
    assert [c.candidate.ufrag for c in new] == [a.local_ufrag]
    assert [c.candidate.generation for c in new] == [1]
    assert p.a.gathering_states()[-2:] == [IceGatheringState.GATHERING, IceGatheringState.COMPLETE]
    # The old selected pair still carries data and consent while the new generation is set up.
    p.sim.run_for(10.0)
    assert p.a.state in (S.CONNECTED, S.COMPLETED) and p.b.state in (S.CONNECTED, S.COMPLETED)
    assert p.a.send(b"\x17during") and p.b.send(b"\x17during")
    p.sim.run_for(0.1)
    assert p.b.received == [b"\x17during"] and p.a.received == [b"\x17during"]
    # The new generation checks and selects: a second selection, with the new credentials.
    _start_both(p)
    assert p.sim.run_until(lambda: len(p.a.selections()) == 2, timeout=5.0)
    assert p.sim.run_until(connected(p.a, p.b), timeout=5.0)
    last = p.a.selections()[-1].pair
    assert last is not None and last.local.ufrag == a.local_ufrag
    checks = [parse_message(d) for _, _, d in p.a.sent[-4:] if d[0] < 4]
    for m in checks:
        if m.cls == StunClass.REQUEST:
            assert m.get_text(Attr.USERNAME) == f"{p.b.agent.local_ufrag}:{a.local_ufrag}"
    # A check of the first generation is now refused (401): the old generation is gone.
    first_check = next(d for _, _, d in p.a.sent if d[0] < 4)
    p.b.agent.handle_datagram(first_check, local=B_ADDR, remote=A_ADDR, now=p.sim.now)
    answer = p.b.agent.poll_transmit()
    assert answer is not None
    assert parse_message(answer.data).get_error_code() == (401, "Unauthorized")
    assert p.a.send(b"\x17after")
    p.sim.run_for(0.1)
    assert p.b.received[-1] == b"\x17after"


def test_restart_from_failed_connects_again() -> None:
    p = make_peers()
    assert p.connect()
    p.sim.network.set_conditions("10.0.0.1", "10.0.0.2", Conditions(blocked=True))
    assert p.sim.run_until(lambda: p.a.state is S.FAILED, timeout=40.0)
    p.sim.network.set_conditions("10.0.0.1", "10.0.0.2", Conditions())
    _restart_both(p)
    p.sim.flush()
    assert p.a.state is S.FAILED  # until the new generation starts checking
    _start_both(p)
    assert p.sim.run_until(connected(p.a, p.b), timeout=5.0)
    assert p.a.states()[-4:-2] == [S.FAILED, S.CHECKING]


def test_restart_before_connecting() -> None:
    p = make_peers()
    p.end_of_candidates = False
    p.sim.network.set_conditions("10.0.0.1", "10.0.0.2", Conditions(blocked=True))
    p.start()
    p.sim.run_for(2.0)
    assert p.a.state is S.CHECKING
    p.sim.network.set_conditions("10.0.0.1", "10.0.0.2", Conditions())
    _restart_both(p)
    _start_both(p)
    assert p.sim.run_until(connected(p.a, p.b), timeout=5.0)
