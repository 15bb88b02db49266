"""The shared simulated network behaves as promised: seeded, impaired, and fast."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from tests.simnet import Address, Conditions, SimNetwork, Simulation, async_datagram_pair


class Echo:
    """Echoes every datagram back after a processing deadline, to exercise timeouts too."""

    def __init__(self, addr: Address) -> None:
        self.addr = addr
        self.outbox: list[tuple[Address, Address, bytes]] = []
        self.pending: list[tuple[float, Address, bytes]] = []
        self.got: list[bytes] = []

    def receive(self, src: Address, dst: Address, data: bytes, *, now: float) -> None:
        self.got.append(data)
        if data.startswith(b"ping"):
            self.pending.append((now + 0.5, src, b"pong" + data[4:]))

    def timeout(self, *, now: float) -> None:
        due = [p for p in self.pending if p[0] <= now]
        self.pending = [p for p in self.pending if p[0] > now]
        self.outbox.extend((self.addr, dst, data) for _, dst, data in due)

    def next_timeout(self) -> float | None:
        return min((p[0] for p in self.pending), default=None)

    def transmits(self) -> Iterable[tuple[Address, Address, bytes]]:
        out, self.outbox = self.outbox, []
        return out


def _ping_pong(seed: int, cond: Conditions) -> tuple[Echo, Simulation]:
    sim = Simulation(seed=seed, default=cond)
    a, b = Echo(("10.0.0.1", 1)), Echo(("10.0.0.2", 2))
    sim.attach(a, a.addr)
    sim.attach(b, b.addr)
    a.outbox = [(a.addr, b.addr, b"ping%d" % i) for i in range(100)]
    sim.run_for(10.0)
    return a, sim


def test_virtual_time_jumps_over_deadlines() -> None:
    a, sim = _ping_pong(1, Conditions(delay=0.05))
    assert sorted(a.got) == sorted(b"pong%d" % i for i in range(100))
    assert sim.now >= 1000.0 + 10.0
    assert sim.steps < 50


def test_same_seed_same_losses() -> None:
    cond = Conditions(loss=0.3, jitter=0.02, duplicate=0.1)
    first, _ = _ping_pong(7, cond)
    again, _ = _ping_pong(7, cond)
    other, _ = _ping_pong(8, cond)
    assert first.got == again.got
    assert first.got != other.got
    assert 20 < len(first.got) < 100


def test_impairments() -> None:
    net = SimNetwork(seed=3, default=Conditions(delay=0.01, jitter=0.05))
    src, dst = ("a", 1), ("b", 2)
    for i in range(200):
        net.send(src, dst, bytes([i]), now=0.0)
    order = [d[2][0] for d in net.pop_due(1.0)]
    assert sorted(order) == list(range(200)) and order != list(range(200))

    net.set_conditions("a", "b", Conditions(mtu=100))
    net.send(src, dst, b"x" * 101, now=0.0)
    net.send(dst, src, b"x" * 101, now=0.0)
    assert net.stats.too_big == 2 and net.in_flight() == 0

    net.set_conditions(src, dst, Conditions(blocked=True), both_ways=False)
    net.send(src, dst, b"x", now=0.0)
    net.send(dst, src, b"x", now=0.0)
    assert net.stats.lost == 1 and net.in_flight() == 1


async def test_async_pair_delivers_with_loss() -> None:
    a, b = async_datagram_pair(seed=5, conditions=Conditions(loss=0.5, delay=0.001))
    got: list[bytes] = []
    b.set_receiver(got.append)
    for i in range(200):
        a.send(b"%d" % i)
    await asyncio.sleep(0.05)
    assert 60 < len(got) < 140
    assert len(set(got)) == len(got)
