"""Role conflicts (RFC 8445 §7.3.1.1, §7.2.5.1) are resolved by the tie-breakers."""

from __future__ import annotations

import pytest

from ice import IceRole, RoleChanged
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
