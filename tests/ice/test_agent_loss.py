"""Connecting through loss, duplication and reordering: 50 seeds each, every run connects."""

from __future__ import annotations

import pytest

from ice import IceConnectionState
from tests.ice.simagent import connected, make_peers
from tests.simnet import Conditions


@pytest.mark.parametrize(
    "conditions",
    [
        Conditions(loss=0.2, delay=0.02, jitter=0.01),
        Conditions(loss=0.2, delay=0.05, duplicate=0.2, reorder=0.3, reorder_delay=0.03),
    ],
    ids=["20%-loss", "20%-loss+dup+reorder"],
)
def test_every_seed_connects(conditions: Conditions) -> None:
    slowest = 0.0
    for seed in range(50):
        p = make_peers(seed=seed, conditions=conditions)
        assert p.connect(timeout=30.0), f"seed {seed}: {p.a.state} / {p.b.state}"
        slowest = max(slowest, p.sim.now - 1000.0)
        # Both sides agree on the pair, and it carries data.
        a_sel, b_sel = p.a.agent.selected_pair, p.b.agent.selected_pair
        assert a_sel is not None and b_sel is not None
        assert a_sel.remote_address == b_sel.local_address
        p.sim.run_for(5.0)
        assert p.a.state is not IceConnectionState.FAILED
    # Retransmissions (0.5 s RTO, capped at 1.6 s) bound the time to connect.
    assert slowest < 15.0


def test_same_seed_same_run() -> None:
    def run() -> list[tuple[str, str, bytes]]:
        p = make_peers(seed=7, conditions=Conditions(loss=0.2, jitter=0.01))
        p.connect()
        return [(str(s), str(d), data[:20]) for s, d, data in p.a.sent]

    assert run() == run()


@pytest.mark.parametrize("seed", range(5))
def test_a_lossy_link_after_connecting_stays_up(seed: int) -> None:
    p = make_peers(seed=seed)
    assert p.connect()
    p.sim.network.default = Conditions(loss=0.2, delay=0.02)
    p.sim.run_for(120.0)
    # Consent needs an answered request every 5 s; its requests are retransmitted, so 20 % loss
    # each way very rarely looks like a dead path, and the connection never fails.
    for node in (p.a, p.b):
        assert IceConnectionState.FAILED not in node.states()
        assert node.states().count(IceConnectionState.DISCONNECTED) <= 1
    assert p.sim.run_until(connected(p.a, p.b), timeout=10.0)
