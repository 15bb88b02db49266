"""Shared helpers of the SCTP tests: cores wrapped as simulation nodes, and seeded pairs."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from sctp.association import Association
from sctp.channels import ChannelManager
from sctp.events import MessageReceived, SctpEvent
from sctp.settings import SctpSettings
from tests.simnet import Address, Conditions, Simulation

E = TypeVar("E")

A_ADDR: Address = ("10.0.0.1", 5000)
B_ADDR: Address = ("10.0.0.2", 5000)


@dataclass
class SctpNode:
    """A core (association or channel manager) as a :class:`tests.simnet.SimNode`."""

    core: Association | ChannelManager
    addr: Address
    peer: Address
    events: list[SctpEvent] = field(default_factory=list)
    messages: list[MessageReceived] = field(default_factory=list)

    @property
    def association(self) -> Association:
        core = self.core
        return core if isinstance(core, Association) else core.association

    def receive(self, src: Address, dst: Address, data: bytes, *, now: float) -> None:
        self.core.handle_datagram(data, now=now)
        self.drain()

    def timeout(self, *, now: float) -> None:
        self.core.handle_timeout(now=now)
        self.drain()

    def next_timeout(self) -> float | None:
        return self.core.poll_timeout()

    def transmits(self) -> Iterator[tuple[Address, Address, bytes]]:
        while (packet := self.core.poll_transmit()) is not None:
            yield self.addr, self.peer, packet

    def drain(self) -> None:
        while (event := self.core.poll_event()) is not None:
            if isinstance(event, MessageReceived):
                self.messages.append(event)
            else:
                self.events.append(event)

    def events_of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]


def token_source(seed: int) -> random.Random:
    return random.Random(seed)


def association_pair(
    *,
    seed: int = 0,
    conditions: Conditions | None = None,
    settings_a: SctpSettings | None = None,
    settings_b: SctpSettings | None = None,
    channels: bool = False,
) -> tuple[Simulation, SctpNode, SctpNode]:
    """Two cores joined by a simulated link; both connect, as WebRTC peers do."""
    sim = Simulation(seed=seed, default=conditions or Conditions(delay=0.005))
    rng_a, rng_b = random.Random(seed * 2 + 1), random.Random(seed * 2 + 2)
    assoc_a = Association(settings=settings_a, token_bytes=rng_a.randbytes, name="a")
    assoc_b = Association(settings=settings_b, token_bytes=rng_b.randbytes, name="b")
    core_a: Association | ChannelManager = assoc_a
    core_b: Association | ChannelManager = assoc_b
    if channels:
        core_a = ChannelManager(assoc_a, dtls_client=True)
        core_b = ChannelManager(assoc_b, dtls_client=False)
    a = SctpNode(core_a, A_ADDR, B_ADDR)
    b = SctpNode(core_b, B_ADDR, A_ADDR)
    sim.attach(a, A_ADDR)
    sim.attach(b, B_ADDR)
    return sim, a, b


def connect(sim: Simulation, a: SctpNode, b: SctpNode, *, timeout: float = 60.0) -> None:
    a.core.connect(now=sim.now)
    b.core.connect(now=sim.now)
    a.drain()
    b.drain()
    ok = sim.run_until(lambda: a.association.connected and b.association.connected, timeout=timeout)
    assert ok, (a.association.state, b.association.state)


def connected_pair(
    *,
    seed: int = 0,
    conditions: Conditions | None = None,
    settings_a: SctpSettings | None = None,
    settings_b: SctpSettings | None = None,
    channels: bool = False,
) -> tuple[Simulation, SctpNode, SctpNode]:
    """:func:`association_pair`, connected (the handshake runs on a clean link first when the
    test's conditions are lossy, unless ``lossy_handshake`` tests do it themselves)."""
    sim, a, b = association_pair(
        seed=seed,
        conditions=conditions,
        settings_a=settings_a,
        settings_b=settings_b,
        channels=channels,
    )
    connect(sim, a, b, timeout=600.0)
    a.events.clear()
    b.events.clear()
    return sim, a, b


def payloads(rng: random.Random, count: int, sizes: tuple[int, ...]) -> list[bytes]:
    """Distinct, checkable messages: a sequence number up front, random bytes after."""
    out = []
    for i in range(count):
        size = max(4, rng.choice(sizes))
        out.append(i.to_bytes(4, "big") + rng.randbytes(size - 4))
    return out
