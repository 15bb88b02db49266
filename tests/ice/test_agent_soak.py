"""Long random runs: impaired links that flap, restarts, lite peers, role conflicts.

Nothing may raise (an illegal state transition raises IceInternalError), and virtual time must
always move on: an agent whose deadline does not change its state would make the simulation
spin at one instant, as a float mismatch in the consent timers once did.
"""

from __future__ import annotations

import itertools
import random

import pytest

from ice import IceSettings
from tests.ice.simagent import Peers, make_peers
from tests.simnet import Conditions


def _random_run(seed: int) -> Peers:
    r = random.Random(seed)
    link = Conditions(
        loss=r.choice([0.0, 0.1, 0.3, 0.6]),
        delay=r.choice([0.001, 0.02, 0.2]),
        jitter=r.choice([0.0, 0.05]),
        duplicate=r.choice([0.0, 0.2]),
        reorder=r.choice([0.0, 0.3]),
    )
    lite = r.random() < 0.2
    p = make_peers(seed=seed, conditions=link, settings_b=IceSettings(lite=lite))
    p.end_of_candidates = r.random() < 0.5
    p.start(a_controlling=r.random() < 0.8, b_controlling=not lite and r.random() < 0.3)
    sim, end = p.sim, p.sim.now + 200.0
    while sim.now < end:
        next_event = min(end, sim.now + r.uniform(1.0, 30.0))
        steps_at_same_time, last = 0, sim.now
        while sim.step(next_event):
            steps_at_same_time = steps_at_same_time + 1 if sim.now == last else 0
            last = sim.now
            assert steps_at_same_time < 500, f"seed {seed}: stuck at {sim.now}"
        sim.clock.advance_to(next_event)
        action = r.random()
        if action < 0.3:
            sim.network.set_conditions("10.0.0.1", "10.0.0.2", Conditions(blocked=True))
        elif action < 0.6:
            sim.network.set_conditions("10.0.0.1", "10.0.0.2", link)
        elif action < 0.75:
            a, b = p.a.agent, p.b.agent
            a.restart(now=sim.now)
            b.restart(now=sim.now)
            a.start(b.local_ufrag, b.local_pwd, now=sim.now)
            b.start(a.local_ufrag, a.local_pwd, now=sim.now)
    return p


@pytest.mark.parametrize("block", range(4))
def test_random_runs_never_raise_nor_spin(block: int) -> None:
    for seed in range(block * 15, block * 15 + 15):
        p = _random_run(seed)
        # Every state change was legal (the table raises otherwise) and was reported once.
        for node in (p.a, p.b):
            states = node.states()
            assert all(x != y for x, y in itertools.pairwise(states))
