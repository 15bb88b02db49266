"""Peer-reflexive candidates on both sides (RFC 8445 §7.3.1.3 remote, §7.2.5.3.1 local)."""

from __future__ import annotations

from ice import IceConnectionState
from tests.ice.simagent import (
    B_ADDR,
    Peers,
    connected,
    make_agent,
    make_natted_agent,
    make_peers,
)
from tests.simnet import Simulation

PRIVATE = ("192.168.1.10", 5000)
PUBLIC = ("203.0.113.1", 40000)


def test_remote_peer_reflexive_learnt_from_checks() -> None:
    # B never hears of A's candidates: it learns A from A's checks, and answers them.
    p = make_peers()
    p.signal_a_to_b = False
    assert p.connect()
    [remote] = p.b.agent.get_stats().remote_candidates
    assert remote.type == "prflx" and (remote.address, remote.port) == ("10.0.0.1", 5000)
    # Its priority is the PRIORITY attribute of A's checks (type preference 110).
    assert remote.priority >> 24 == 110
    sel = p.b.agent.selected_pair
    assert sel is not None and sel.remote.type == "prflx"


def test_signalled_candidate_replaces_the_learnt_one() -> None:
    p = make_peers()
    p.signal_a_to_b = False
    assert p.connect()
    [gathered] = p.a.gathered()
    p.b.agent.add_remote_candidate(gathered.candidate, now=p.sim.now)
    [remote] = p.b.agent.get_stats().remote_candidates
    assert remote.type == "host" and remote.priority == gathered.candidate.priority


def test_both_sides_behind_what_the_other_does_not_know() -> None:
    # A sits behind a 1:1 NAT and signals only its private host candidate, which B cannot
    # reach. A's checks reach B from the public address: B learns a remote prflx candidate;
    # B's answers tell A its public mapping: A learns a local prflx candidate.
    sim = Simulation(seed=1)
    a = make_natted_agent("a", sim, {PRIVATE: PUBLIC})
    b = make_agent("b", sim, [B_ADDR])
    p = Peers(sim, a, b)
    assert p.connect(timeout=10.0)
    b_sel, a_sel = b.agent.selected_pair, a.agent.selected_pair
    assert b_sel is not None and a_sel is not None
    assert b_sel.remote.type == "prflx" and b_sel.remote_address == PUBLIC
    assert a_sel.local.type == "prflx"
    assert (a_sel.local.address, a_sel.local.port) == PUBLIC
    assert a_sel.local_address == PRIVATE  # sent from the private base
    assert a.send(b"\x17through the NAT") and b.send(b"\x17back")
    sim.run_for(0.1)
    assert b.received == [b"\x17through the NAT"] and a.received == [b"\x17back"]
    # B's checks to A's private address went nowhere.
    assert sim.network.stats.unroutable > 0
    assert a.state in (IceConnectionState.CONNECTED, IceConnectionState.COMPLETED)
    assert connected(a, b)()
