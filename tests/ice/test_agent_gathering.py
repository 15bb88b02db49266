"""Gathering on the simulated network: host and server-reflexive candidates, trickled one by
one, gathering states, STUN servers that do not answer, NAT 1:1 addresses."""

from __future__ import annotations

import pytest

from ice import IceGatheringState, IceSettings, Nat1To1CandidateType
from ice.stun import Attr, parse_message
from tests.ice.simagent import (
    B_ADDR,
    NattedSimAgent,
    Peers,
    StunServer,
    connected,
    make_agent,
    make_natted_agent,
)
from tests.simnet import Conditions, Simulation

G = IceGatheringState
STUN = ("192.0.2.100", 3478)
STUN2 = ("192.0.2.101", 3478)
PRIVATE = ("192.168.1.10", 5000)
PUBLIC = ("203.0.113.1", 40000)


def _natted(sim: Simulation, settings: IceSettings | None = None) -> NattedSimAgent:
    return make_natted_agent("a", sim, {PRIVATE: PUBLIC}, settings)


def test_server_reflexive_candidate_from_a_stun_server() -> None:
    sim = Simulation(seed=0, default=Conditions(delay=0.02))
    server = StunServer(STUN, sim)
    a = _natted(sim)
    a.agent.gather(a.bases, stun_servers=[STUN], now=sim.now)
    sim.flush()
    # The host candidate comes out at once, before any answer.
    assert [e.candidate.type for e in a.gathered()] == ["host"]
    assert a.gathering_states() == [G.GATHERING]
    assert sim.run_until(lambda: a.agent.gathering_state is G.COMPLETE, timeout=5.0)
    host, srflx = (e.candidate for e in a.gathered())
    assert srflx.type == "srflx" and (srflx.address, srflx.port) == PUBLIC
    assert (srflx.related_address, srflx.related_port) == PRIVATE
    assert srflx.priority >> 24 == 100 and host.priority >> 24 == 126
    assert a.gathering_states() == [G.GATHERING, G.COMPLETE]
    assert server.requests == 1
    assert sim.now - 1000.0 == pytest.approx(0.04)  # one round trip
    request = parse_message(a.sent[0][2])
    assert request.fingerprint_ok and not request.has_integrity


def test_two_servers_same_mapping_give_one_candidate() -> None:
    sim = Simulation(seed=0)
    StunServer(STUN, sim)
    StunServer(STUN2, sim)
    a = _natted(sim)
    a.agent.gather(a.bases, stun_servers=[STUN, STUN2], now=sim.now)
    assert sim.run_until(lambda: a.agent.gathering_state is G.COMPLETE, timeout=5.0)
    assert [e.candidate.type for e in a.gathered()] == ["host", "srflx"]


def test_silent_stun_server_ends_gathering_at_the_timeout() -> None:
    sim = Simulation(seed=0)
    a = _natted(sim, IceSettings(stun_gather_timeout=3.0))
    a.agent.gather(a.bases, stun_servers=[("192.0.2.200", 3478)], now=sim.now)
    assert sim.run_until(lambda: a.agent.gathering_state is G.COMPLETE, timeout=10.0)
    assert 2.9 < sim.now - 1000.0 <= 3.0
    assert [e.candidate.type for e in a.gathered()] == ["host"]
    # Retransmitted meanwhile (0, 0.5, 1.5 s).
    assert len(a.sent) == 3


def test_servers_of_the_other_family_are_not_asked() -> None:
    sim = Simulation(seed=0)
    a = make_agent("a", sim, [("10.0.0.1", 5000)])
    a.agent.gather(a.bases, stun_servers=[("2001:db8::1", 3478)], now=sim.now)
    sim.flush()
    assert a.sent == [] and a.agent.gathering_state is G.COMPLETE


def test_srflx_through_a_stun_server_connects_peers() -> None:
    sim = Simulation(seed=2, default=Conditions(delay=0.01))
    StunServer(STUN, sim)
    a = _natted(sim)
    b = make_agent("b", sim, [B_ADDR])
    p = Peers(sim, a, b, stun_servers={"a": [STUN]})
    assert p.connect(timeout=10.0)
    types = [c.type for c in b.agent.remote_candidates]
    assert types == ["host", "srflx"]
    sel = b.agent.selected_pair
    assert sel is not None and sel.remote_address == PUBLIC and sel.remote.type == "srflx"
    sel_a = a.agent.selected_pair
    assert sel_a is not None and sel_a.local.type == "srflx"  # the mapping matched a srflx


def test_nat_1to1_host_mode_announces_the_public_address() -> None:
    sim = Simulation(seed=0)
    # A 1:1 NAT keeps the port.
    public = {PRIVATE: (PUBLIC[0], PRIVATE[1])}
    a = make_natted_agent("a", sim, public, IceSettings(nat_1to1_ips=(PUBLIC[0],)))
    b = make_agent("b", sim, [B_ADDR])
    p = Peers(sim, a, b)
    assert p.connect(timeout=5.0)
    [host] = [e.candidate for e in a.gathered()]
    assert (host.type, host.address, host.port) == ("host", PUBLIC[0], PRIVATE[1])
    assert connected(a, b)()


def test_nat_1to1_srflx_mode_adds_a_candidate() -> None:
    sim = Simulation(seed=0)
    settings = IceSettings(
        nat_1to1_ips=(f"{PUBLIC[0]}/{PRIVATE[0]}",),
        nat_1to1_candidate_type=Nat1To1CandidateType.SRFLX,
    )
    a = make_agent("a", sim, [PRIVATE], settings)
    a.agent.gather(a.bases, now=sim.now)
    sim.flush()
    host, srflx = (e.candidate for e in a.gathered())
    assert (host.type, host.address) == ("host", PRIVATE[0])
    assert (srflx.type, srflx.address, srflx.port) == ("srflx", PUBLIC[0], PRIVATE[1])
    assert srflx.related_address == PRIVATE[0]


def test_restart_queries_the_servers_again() -> None:
    sim = Simulation(seed=0)
    server = StunServer(STUN, sim)
    a = _natted(sim)
    a.agent.gather(a.bases, stun_servers=[STUN], now=sim.now)
    assert sim.run_until(lambda: a.agent.gathering_state is G.COMPLETE, timeout=5.0)
    a.agent.restart(now=sim.now)
    sim.flush()
    assert a.agent.gathering_state is G.GATHERING
    assert sim.run_until(lambda: a.agent.gathering_state is G.COMPLETE, timeout=5.0)
    assert server.requests == 2
    assert [e.candidate.generation for e in a.gathered()] == [0, 0, 1, 1]
    usernames = {parse_message(d).get_text(Attr.USERNAME) for _, _, d in a.sent}
    assert usernames == {None}  # STUN server queries carry no credentials
