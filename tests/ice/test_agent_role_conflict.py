"""Role conflicts (RFC 8445 §7.3.1.1, §7.2.5.1) are resolved by the tie-breakers."""

from __future__ import annotations

import pytest

from ice import IceConfigError, IceRole, IceSettings, RoleChanged
from tests.ice.simagent import connected, make_peers


@pytest.mark.parametrize("both_controlling", [True, False])
@pytest.mark.parametrize("seed", range(6))
def test_conflict_resolves_and_connects(both_controlling: bool, seed: int) -> None:
    p = make_peers(seed=seed)
    p.start(a_controlling=both_controlling, b_controlling=both_controlling)
    assert p.sim.run_until(connected(p.a, p.b), timeout=5.0)
    a, b = p.a.agent, p.b.agent
    assert {a.role, b.role} == {IceRole.CONTROLLING, IceRole.CONTROLLED}
    # The agent with the larger tie-breaker ends up controlling.
    winner = a if a.tie_breaker > b.tie_breaker else b
    assert winner.role is IceRole.CONTROLLING
    switched = [n for n in (p.a, p.b) if any(isinstance(e, RoleChanged) for e in n.events)]
    assert len(switched) == 1
    assert a.stats.role_conflicts + b.stats.role_conflicts >= 1
    sel_a, sel_b = a.selected_pair, b.selected_pair
    assert sel_a is not None and sel_b is not None
    assert sel_a.remote_address == sel_b.local_address


@pytest.mark.parametrize("seed", range(6))
def test_offerer_answers_early_checks_in_its_own_role(seed: int) -> None:
    """The answerer checks as soon as it has the offer, so its checks reach the offerer before
    the answer does. The offerer takes its role when its offer goes out (``set_role``) and
    answers them without a role conflict, whatever the tie-breakers. Found in the lab: the
    offerer answered as controlled, the conflict made aiortc controlling, ``start`` made us
    controlling again, and aiortc's aggressive nomination was lost (ICE failed)."""
    p = make_peers(seed=seed)
    a, b = p.a.agent, p.b.agent
    now = p.sim.now
    a.gather(p.a.bases, now=now)
    b.gather(p.b.bases, now=now)
    a.set_role(controlling=True)  # the offer is out
    p.sim.flush()
    b.start(a.local_ufrag, a.local_pwd, controlling=False, now=now)
    p.sim.run_for(0.5)  # b's checks reach a, which has no answer yet
    assert b.get_stats().pairs[0].state == "succeeded"
    a.start(b.local_ufrag, b.local_pwd, controlling=True, now=p.sim.now)
    assert p.sim.run_until(connected(p.a, p.b), timeout=5.0)
    assert (a.role, b.role) == (IceRole.CONTROLLING, IceRole.CONTROLLED)
    assert a.stats.role_conflicts == b.stats.role_conflicts == 0
    assert not any(isinstance(e, RoleChanged) for e in p.a.events + p.b.events)


def test_a_lite_agent_cannot_take_control() -> None:
    p = make_peers(settings_a=IceSettings(lite=True))
    p.a.agent.set_role(controlling=False)
    with pytest.raises(IceConfigError):
        p.a.agent.set_role(controlling=True)
    assert p.a.agent.role is IceRole.CONTROLLED
