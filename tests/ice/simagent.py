"""The ICE agent on the shared simulated network (tests/simnet.py): a SimNode wrapper and helpers.

``SimAgent`` feeds datagrams and deadlines to a sans-IO :class:`ice.IceAgent`, drains its
transmits into the network and keeps every event it emits. ``Peers`` builds two agents, trickles
their candidates to each other the moment they are gathered (instant signalling), and starts them
in opposite roles, which is what every connection test needs.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ice import IceAgent, IceSettings
from ice.events import (
    CandidateGathered,
    ConnectionStateChanged,
    GatheringStateChanged,
    IceEvent,
    SelectedPairChanged,
)
from ice.states import IceConnectionState, IceGatheringState
from ice.stun import Attr, Method, StunClass, StunMessage, parse_message
from tests.simnet import Address, Conditions, Simulation


class SimAgent:
    """One agent on the simulated network, bound to ``bases``."""

    def __init__(
        self,
        name: str,
        agent: IceAgent,
        bases: list[Address],
        sim: Simulation,
        *,
        attach: bool = True,
    ) -> None:
        self.name = name
        self.agent = agent
        self.bases = bases
        self.sim = sim
        self.events: list[IceEvent] = []
        self.received: list[bytes] = []
        self.sent: list[tuple[Address, Address, bytes]] = []
        """Every datagram the agent transmitted, for tests that inspect the wire."""
        self.on_event: Callable[[IceEvent], None] | None = None
        if attach:
            sim.attach(self, *bases)

    # --- SimNode ----------------------------------------------------------------------------------

    def receive(self, src: Address, dst: Address, data: bytes, *, now: float) -> None:
        if self.agent.handle_datagram(data, local=dst, remote=src, now=now):
            self.received.append(data)

    def timeout(self, *, now: float) -> None:
        self.agent.handle_timeout(now=now)

    def next_timeout(self) -> float | None:
        return self.agent.poll_timeout()

    def transmits(self) -> Iterable[tuple[Address, Address, bytes]]:
        out = []
        while (t := self.agent.poll_transmit()) is not None:
            out.append((t.local, t.remote, t.data))
        self.sent.extend(out)
        while (event := self.agent.poll_event()) is not None:
            self.events.append(event)
            if self.on_event is not None:
                self.on_event(event)
        return out

    # --- conveniences -----------------------------------------------------------------------------

    @property
    def state(self) -> IceConnectionState:
        return self.agent.state

    def states(self) -> list[IceConnectionState]:
        return [e.new for e in self.events if isinstance(e, ConnectionStateChanged)]

    def gathered(self) -> list[CandidateGathered]:
        return [e for e in self.events if isinstance(e, CandidateGathered)]

    def gathering_states(self) -> list[IceGatheringState]:
        return [e.new for e in self.events if isinstance(e, GatheringStateChanged)]

    def selections(self) -> list[SelectedPairChanged]:
        return [e for e in self.events if isinstance(e, SelectedPairChanged)]

    def send(self, data: bytes) -> bool:
        route = self.agent.prepare_send(len(data))
        if route is None:
            return False
        self.sim.network.send(route[0], route[1], data, now=self.sim.now)
        return True


class NattedSimAgent(SimAgent):
    """An agent behind a 1:1 NAT: each private base is seen outside as a public address."""

    def __init__(
        self,
        name: str,
        agent: IceAgent,
        bases: list[Address],
        sim: Simulation,
        public: dict[Address, Address],
    ) -> None:
        super().__init__(name, agent, bases, sim, attach=False)
        self.public = public
        self.private = {v: k for k, v in public.items()}
        sim.attach(self, *public.values())

    def receive(self, src: Address, dst: Address, data: bytes, *, now: float) -> None:
        super().receive(src, self.private[dst], data, now=now)

    def transmits(self) -> Iterable[tuple[Address, Address, bytes]]:
        return [(self.public[s], d, data) for s, d, data in super().transmits()]


class StunServer:
    """A STUN server answering Binding requests with the source address (RFC 8489 §6.3)."""

    def __init__(self, address: Address, sim: Simulation) -> None:
        self.address = address
        self.requests = 0
        self._outbox: list[tuple[Address, Address, bytes]] = []
        sim.attach(self, address)

    def receive(self, src: Address, dst: Address, data: bytes, *, now: float) -> None:
        message = parse_message(data)
        if message.method == Method.BINDING and message.cls == StunClass.REQUEST:
            self.requests += 1
            answer = StunMessage(Method.BINDING, StunClass.SUCCESS, message.transaction_id)
            answer.set_xor_address(Attr.XOR_MAPPED_ADDRESS, src)
            self._outbox.append((dst, src, answer.encode()))

    def timeout(self, *, now: float) -> None:
        return None

    def next_timeout(self) -> float | None:
        return None

    def transmits(self) -> Iterable[tuple[Address, Address, bytes]]:
        out, self._outbox = self._outbox, []
        return out


def make_agent(
    name: str,
    sim: Simulation,
    bases: list[Address],
    settings: IceSettings | None = None,
    *,
    seed: int = 0,
) -> SimAgent:
    rng = random.Random(f"{name}-{seed}")
    agent = IceAgent(settings, token_bytes=rng.randbytes, rng=rng)
    return SimAgent(name, agent, bases, sim)


def make_natted_agent(
    name: str,
    sim: Simulation,
    public: dict[Address, Address],
    settings: IceSettings | None = None,
    *,
    seed: int = 0,
) -> NattedSimAgent:
    """An agent whose bases (the keys of ``public``) are reachable only as the values."""
    rng = random.Random(f"{name}-{seed}")
    agent = IceAgent(settings, token_bytes=rng.randbytes, rng=rng)
    return NattedSimAgent(name, agent, list(public), sim, public)


def connected(*nodes: SimAgent) -> Callable[[], bool]:
    ok = (IceConnectionState.CONNECTED, IceConnectionState.COMPLETED)
    return lambda: all(n.state in ok for n in nodes)


@dataclass
class Peers:
    """Two agents, A controlling and B controlled, wired for trickle signalling."""

    sim: Simulation
    a: SimAgent
    b: SimAgent
    signal_a_to_b: bool = True
    signal_b_to_a: bool = True
    end_of_candidates: bool = True
    stun_servers: dict[str, list[Address]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.a.on_event = self._relay(self.a, self.b, lambda: self.signal_a_to_b)
        self.b.on_event = self._relay(self.b, self.a, lambda: self.signal_b_to_a)

    def _relay(
        self, src: SimAgent, dst: SimAgent, enabled: Callable[[], bool]
    ) -> Callable[[IceEvent], None]:
        def relay(event: IceEvent) -> None:
            if not enabled():
                return
            if isinstance(event, CandidateGathered):
                dst.agent.add_remote_candidate(event.candidate, now=self.sim.now)
            elif (
                isinstance(event, GatheringStateChanged)
                and event.new is IceGatheringState.COMPLETE
                and self.end_of_candidates
            ):
                dst.agent.add_remote_candidate(None, now=self.sim.now)

        return relay

    def start(self, *, a_controlling: bool = True, b_controlling: bool = False) -> None:
        now = self.sim.now
        a, b = self.a.agent, self.b.agent
        a.gather(self.a.bases, stun_servers=self.stun_servers.get("a", []), now=now)
        b.gather(self.b.bases, stun_servers=self.stun_servers.get("b", []), now=now)
        self.sim.flush()
        a.start(b.local_ufrag, b.local_pwd, controlling=a_controlling, now=now)
        b.start(a.local_ufrag, a.local_pwd, controlling=b_controlling, now=now)

    def connect(self, *, timeout: float = 30.0) -> bool:
        self.start()
        return self.sim.run_until(connected(self.a, self.b), timeout=timeout)


A_ADDR: Address = ("10.0.0.1", 5000)
B_ADDR: Address = ("10.0.0.2", 6000)


def make_peers(
    *,
    seed: int = 0,
    conditions: Conditions | None = None,
    settings_a: IceSettings | None = None,
    settings_b: IceSettings | None = None,
    bases_a: list[Address] | None = None,
    bases_b: list[Address] | None = None,
) -> Peers:
    sim = Simulation(seed=seed, default=conditions)
    a = make_agent("a", sim, bases_a or [A_ADDR], settings_a, seed=seed)
    b = make_agent("b", sim, bases_b or [B_ADDR], settings_b, seed=seed)
    return Peers(sim, a, b)
