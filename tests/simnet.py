"""The shared testing network: a virtual clock and in-memory links with seeded impairments.

Every layer's tests look alike because they all run on this module (../shared/DESIGN.md):

* :class:`VirtualClock` — time that moves only when the test moves it.
* :class:`SimNetwork` — datagrams between ``(host, port)`` addresses, each path with its own
  :class:`Conditions` (loss, delay, jitter, reordering, duplication, MTU, blocking), all drawn
  from one seeded ``random.Random`` so that a failing seed replays exactly.
* :class:`Simulation` — drives sans-IO cores wrapped as :class:`SimNode`: it always jumps to the
  earliest thing that can happen (a delivery or a node's deadline), like str0m's ``progress``.
  A minute of retransmissions runs in milliseconds.
* :func:`async_datagram_pair` — the same impairments for asyncio code that must run in real time
  (DTLS, whose retransmission timer lives inside OpenSSL and reads the wall clock).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

Address = tuple[str, int]


class VirtualClock:
    """A clock for cores and tests; starts at an arbitrary non-zero time to catch 0-assumptions."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def advance_to(self, when: float) -> None:
        if when > self.now:
            self.now = when


@dataclass(frozen=True)
class Conditions:
    """How a path treats each datagram. All probabilities are per datagram, in [0, 1]."""

    loss: float = 0.0
    delay: float = 0.001
    """One-way delay in seconds."""
    jitter: float = 0.0
    """Extra delay drawn uniformly from [0, jitter]; packets overtake each other when it is set."""
    reorder: float = 0.0
    """Probability that a datagram is held back by ``reorder_delay`` and so arrives late."""
    reorder_delay: float = 0.01
    duplicate: float = 0.0
    """Probability that a datagram arrives twice (the copy takes its own delay draw)."""
    mtu: int | None = None
    """Datagrams longer than this are dropped, as a path MTU would."""
    blocked: bool = False
    """Drop everything: an unreachable path, or a peer that stopped answering."""


@dataclass
class NetworkStats:
    sent: int = 0
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    too_big: int = 0
    unroutable: int = 0


@dataclass(order=True)
class _InFlight:
    deliver_at: float
    seq: int
    src: Address = field(compare=False)
    dst: Address = field(compare=False)
    data: bytes = field(compare=False)


class SimNetwork:
    """Datagrams between addresses, delivered in virtual time.

    Conditions are looked up from the most specific rule: ``(src, dst)`` address pair, then
    ``(src_host, dst_host)`` pair, then the default. Rules apply one way; use
    :meth:`set_conditions` with ``both_ways=True`` for a symmetric link.
    """

    def __init__(self, *, seed: int, default: Conditions | None = None) -> None:
        self.rng = random.Random(seed)
        self.default = default or Conditions()
        self.stats = NetworkStats()
        self._rules: dict[tuple[object, object], Conditions] = {}
        self._queue: list[_InFlight] = []
        self._seq = itertools.count()

    def set_conditions(
        self,
        src: str | Address,
        dst: str | Address,
        conditions: Conditions,
        *,
        both_ways: bool = True,
    ) -> None:
        self._rules[(src, dst)] = conditions
        if both_ways:
            self._rules[(dst, src)] = conditions

    def conditions(self, src: Address, dst: Address) -> Conditions:
        rules = self._rules
        found = rules.get((src, dst)) or rules.get((src[0], dst[0]))
        return found or self.default

    def send(self, src: Address, dst: Address, data: bytes, *, now: float) -> None:
        self.stats.sent += 1
        cond = self.conditions(src, dst)
        rng = self.rng
        if cond.blocked or (cond.loss and rng.random() < cond.loss):
            self.stats.lost += 1
            return
        if cond.mtu is not None and len(data) > cond.mtu:
            self.stats.too_big += 1
            return
        copies = 1
        if cond.duplicate and rng.random() < cond.duplicate:
            copies = 2
            self.stats.duplicated += 1
        for _ in range(copies):
            at = now + cond.delay
            if cond.jitter:
                at += rng.random() * cond.jitter
            if cond.reorder and rng.random() < cond.reorder:
                at += cond.reorder_delay
            heapq.heappush(self._queue, _InFlight(at, next(self._seq), src, dst, bytes(data)))

    def next_delivery(self) -> float | None:
        return self._queue[0].deliver_at if self._queue else None

    def pop_due(self, now: float) -> list[tuple[Address, Address, bytes]]:
        """Every datagram due at ``now``, as ``(src, dst, data)``, earliest first."""
        due = []
        while self._queue and self._queue[0].deliver_at <= now:
            item = heapq.heappop(self._queue)
            due.append((item.src, item.dst, item.data))
        return due

    def in_flight(self) -> int:
        return len(self._queue)


class SimNode(Protocol):
    """A sans-IO core wrapped for :class:`Simulation` (each layer's tests write a small one)."""

    def receive(self, src: Address, dst: Address, data: bytes, *, now: float) -> None:
        """A datagram arrived at one of the node's addresses."""

    def timeout(self, *, now: float) -> None:
        """The deadline from :meth:`next_timeout` has come."""

    def next_timeout(self) -> float | None:
        """The earliest time at which the node wants :meth:`timeout`."""

    def transmits(self) -> Iterable[tuple[Address, Address, bytes]]:
        """Drain the datagrams the node wants sent, as ``(src, dst, data)``."""


class Simulation:
    """Runs nodes on a :class:`SimNetwork` in virtual time.

    After every input each node is drained (its transmits go into the network), then time jumps
    to the earliest pending delivery or deadline. ``run_until`` stops when the predicate holds
    or when virtual time passes the limit; it never sleeps.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        default: Conditions | None = None,
        clock: VirtualClock | None = None,
    ) -> None:
        self.clock = clock or VirtualClock()
        self.network = SimNetwork(seed=seed, default=default)
        self.nodes: list[SimNode] = []
        self._by_address: dict[Address, SimNode] = {}
        self.steps = 0

    def attach(self, node: SimNode, *addresses: Address) -> None:
        if node not in self.nodes:
            self.nodes.append(node)
        for address in addresses:
            self._by_address[address] = node

    def detach_address(self, address: Address) -> None:
        self._by_address.pop(address, None)

    @property
    def now(self) -> float:
        return self.clock.now

    def flush(self) -> None:
        now = self.clock.now
        for node in self.nodes:
            for src, dst, data in node.transmits():
                self.network.send(src, dst, data, now=now)

    def step(self, limit: float) -> bool:
        """Advance to the next event no later than ``limit``; False when nothing is left to do."""
        self.flush()
        candidates = [t for t in (n.next_timeout() for n in self.nodes) if t is not None]
        delivery = self.network.next_delivery()
        if delivery is not None:
            candidates.append(delivery)
        if not candidates:
            return False
        when = max(min(candidates), self.clock.now)
        if when > limit:
            self.clock.advance_to(limit)
            return False
        self.clock.advance_to(when)
        now = self.clock.now
        self.steps += 1
        for src, dst, data in self.network.pop_due(now):
            node = self._by_address.get(dst)
            if node is None:
                self.network.stats.unroutable += 1
                continue
            self.network.stats.delivered += 1
            node.receive(src, dst, data, now=now)
        for node in self.nodes:
            deadline = node.next_timeout()
            if deadline is not None and deadline <= now:
                node.timeout(now=now)
        self.flush()
        return True

    def run_until(self, predicate: Callable[[], bool], *, timeout: float) -> bool:
        """Run until ``predicate()`` holds (True) or ``timeout`` virtual seconds pass (False)."""
        limit = self.clock.now + timeout
        self.flush()
        while not predicate():
            if not self.step(limit):
                return predicate()
        return True

    def run_for(self, seconds: float) -> None:
        limit = self.clock.now + seconds
        while self.step(limit):
            pass
        self.clock.advance_to(limit)


class AsyncDatagramEnd:
    """One end of :func:`async_datagram_pair`: ``send`` now, the receiver is called later.

    It has the shape every layer's asyncio code runs over (``send(data)`` and
    ``set_receiver(callback)``), so DTLS and SCTP can be tested without sockets.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, rng: random.Random, cond: Conditions):
        self._loop = loop
        self._rng = rng
        self._cond = cond
        self._receiver: Callable[[bytes], None] | None = None
        self.peer: AsyncDatagramEnd | None = None
        self.closed = False
        self.sent = 0
        self.received = 0

    @property
    def conditions(self) -> Conditions:
        return self._cond

    @conditions.setter
    def conditions(self, cond: Conditions) -> None:
        self._cond = cond

    def set_receiver(self, receiver: Callable[[bytes], None] | None) -> None:
        self._receiver = receiver

    def send(self, data: bytes) -> None:
        if self.closed or self.peer is None:
            return
        self.sent += 1
        cond, rng = self._cond, self._rng
        if cond.blocked or (cond.loss and rng.random() < cond.loss):
            return
        if cond.mtu is not None and len(data) > cond.mtu:
            return
        copies = 2 if cond.duplicate and rng.random() < cond.duplicate else 1
        payload = bytes(data)
        for _ in range(copies):
            delay = cond.delay + (rng.random() * cond.jitter if cond.jitter else 0.0)
            if cond.reorder and rng.random() < cond.reorder:
                delay += cond.reorder_delay
            self._loop.call_later(delay, self.peer._deliver, payload)

    def _deliver(self, data: bytes) -> None:
        if self.closed or self._receiver is None:
            return
        self.received += 1
        self._receiver(data)

    def close(self) -> None:
        self.closed = True
        self._receiver = None


def async_datagram_pair(
    *, seed: int = 0, conditions: Conditions | None = None
) -> tuple[AsyncDatagramEnd, AsyncDatagramEnd]:
    """Two connected in-memory datagram ends on the running loop, impaired the same way."""
    loop = asyncio.get_running_loop()
    rng = random.Random(seed)
    cond = conditions or Conditions(delay=0.0)
    a = AsyncDatagramEnd(loop, rng, cond)
    b = AsyncDatagramEnd(loop, rng, cond)
    a.peer, b.peer = b, a
    return a, b
