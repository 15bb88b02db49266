"""Two agents connect over host pairs on the simulated network, and carry data."""

from __future__ import annotations

import pytest

from ice import (
    CandidateGathered,
    ConnectionStateChanged,
    IceConfigError,
    IceConnectionState,
    IceGatheringState,
    IceRole,
    IceSettings,
    IceStateError,
)
from ice.stun import Attr, Method, StunClass, StunMessage, parse_message
from tests.ice.simagent import A_ADDR, B_ADDR, connected, make_peers

S = IceConnectionState


def test_host_pairs_connect_and_events_tell_the_story() -> None:
    p = make_peers()
    assert p.connect()
    a, b = p.a, p.b
    # Gathering: one host candidate each, trickled, then complete.
    assert a.gathering_states() == [IceGatheringState.GATHERING, IceGatheringState.COMPLETE]
    [gathered] = a.gathered()
    assert (gathered.candidate.address, gathered.candidate.port) == A_ADDR
    assert gathered.candidate.type == "host" and gathered.candidate.ufrag == a.agent.local_ufrag
    # The states, in order, with an event each; the same pair selected on both sides.
    assert a.states() == [S.CHECKING, S.CONNECTED, S.COMPLETED]
    assert b.states() == [S.CHECKING, S.CONNECTED, S.COMPLETED]
    assert [e.old for e in a.events if isinstance(e, ConnectionStateChanged)] == [
        S.NEW, S.CHECKING, S.CONNECTED,
    ]  # fmt: skip
    [sel_a] = a.selections()
    [sel_b] = b.selections()
    assert sel_a.pair is not None and sel_b.pair is not None
    assert (sel_a.pair.local_address, sel_a.pair.remote_address) == (A_ADDR, B_ADDR)
    assert (sel_b.pair.local_address, sel_b.pair.remote_address) == (B_ADDR, A_ADDR)
    assert a.agent.role is IceRole.CONTROLLING and b.agent.role is IceRole.CONTROLLED
    # On a clean 1 ms link, two round trips: check, then nomination.
    assert p.sim.now - 1000.0 < 0.01


def test_regular_nomination_on_the_wire() -> None:
    p = make_peers()
    assert p.connect()
    requests = [parse_message(d) for _, _, d in p.a.sent]
    requests = [m for m in requests if m.cls == StunClass.REQUEST]
    # The controlling agent checks first without USE-CANDIDATE, then nominates with it.
    assert not requests[0].has(Attr.USE_CANDIDATE)
    assert any(m.has(Attr.USE_CANDIDATE) for m in requests[1:])
    for m in requests:
        assert m.fingerprint_ok and m.check_integrity(p.b.agent.local_pwd.encode())
        assert m.get_text(Attr.USERNAME) == f"{p.b.agent.local_ufrag}:{p.a.agent.local_ufrag}"
        assert m.get_u64(Attr.ICE_CONTROLLING) == p.a.agent.tie_breaker
    b_requests = [parse_message(d) for _, _, d in p.b.sent]
    assert all(
        not m.has(Attr.USE_CANDIDATE) and m.has(Attr.ICE_CONTROLLED)
        for m in b_requests
        if m.cls == StunClass.REQUEST
    )


def test_data_both_ways_and_pair_stats() -> None:
    p = make_peers()
    assert p.connect()
    for i in range(20):
        assert p.a.send(bytes([23, i]))  # DTLS application data
        assert p.b.send(bytes([128, i]))  # RTP
    p.sim.run_for(0.1)
    assert p.b.received == [bytes([23, i]) for i in range(20)]
    assert p.a.received == [bytes([128, i]) for i in range(20)]
    report = p.a.agent.get_stats()
    assert report.selected is not None and report.selected.nominated
    stats = report.selected.stats
    assert (stats.packets_sent, stats.bytes_sent) == (20, 40)
    assert (stats.packets_received, stats.bytes_received) == (20, 40)
    assert stats.requests_sent >= 2 and stats.responses_received >= 2
    assert stats.current_round_trip_time == pytest.approx(0.002)
    assert [c.address for c in report.local_candidates] == [A_ADDR[0]]
    assert [c.address for c in report.remote_candidates] == [B_ADDR[0]]


def test_keepalives_on_the_selected_pair() -> None:
    p = make_peers()
    assert p.connect()
    before = p.a.agent.get_stats().selected
    assert before is not None
    sent_before = before.stats.consent_requests_sent
    p.sim.run_for(20.0)
    after = p.a.agent.get_stats().selected
    assert after is not None
    # keepalive_interval 2 s jittered to 1.6-2.4 s: 8 to 12 consent checks in 20 s.
    assert 8 <= after.stats.consent_requests_sent - sent_before <= 13
    assert p.a.state is S.COMPLETED and p.b.state is S.COMPLETED


def test_best_pair_wins_with_several_interfaces_and_families() -> None:
    bases_a = [("10.0.0.1", 5000), ("10.1.0.1", 5001), ("fd00::1", 5002)]
    bases_b = [("10.0.0.2", 6000), ("fd00::2", 6001)]
    p = make_peers(bases_a=bases_a, bases_b=bases_b)
    assert p.connect()
    sel = p.a.agent.selected_pair
    assert sel is not None
    # Highest local preference first: the first base of each side.
    assert (sel.local_address, sel.remote_address) == (bases_a[0], bases_b[0])
    pairs = p.a.agent.get_stats().pairs
    # Pairs only form within an address family: 2 IPv4 bases x 1 + 1 IPv6 x 1.
    assert len(pairs) == 3
    assert {(r.local_address[0][0] == "f") == (r.remote_address[0][0] == "f") for r in pairs} == {
        True
    }


def test_data_demultiplexing_rfc7983() -> None:
    p = make_peers()
    assert p.connect()
    agent = p.b.agent
    now = p.sim.now
    for first in (20, 63, 128, 191):  # DTLS and RTP/RTCP go up
        assert agent.handle_datagram(bytes([first, 1]), local=B_ADDR, remote=A_ADDR, now=now)
    for first in (16, 64, 79, 200, 255):  # ZRTP, TURN channels, nothing: dropped
        assert not agent.handle_datagram(bytes([first, 1]), local=B_ADDR, remote=A_ADDR, now=now)
    assert agent.stats.data_unknown_kind == 5
    assert not agent.handle_datagram(b"\x17x", local=B_ADDR, remote=("10.9.9.9", 1), now=now)
    assert agent.stats.data_no_route == 1
    assert not agent.handle_datagram(b"", local=B_ADDR, remote=A_ADDR, now=now)


def test_nothing_is_sent_before_a_pair_is_valid() -> None:
    p = make_peers()
    assert p.a.send(b"\x17early") is False
    assert p.a.agent.stats.send_no_route == 1


def test_candidates_trickled_after_start_are_checked() -> None:
    p = make_peers()
    p.signal_a_to_b = p.signal_b_to_a = False
    p.start()
    p.sim.run_for(1.0)
    assert p.a.state is S.CHECKING and p.b.state is S.CHECKING
    for event in p.a.events:
        if isinstance(event, CandidateGathered):
            p.b.agent.add_remote_candidate(event.candidate, now=p.sim.now)
    for event in p.b.events:
        if isinstance(event, CandidateGathered):
            p.a.agent.add_remote_candidate(event.candidate, now=p.sim.now)
    assert p.sim.run_until(connected(p.a, p.b), timeout=5.0)


def test_gathering_after_start_still_connects() -> None:
    p = make_peers()
    a, b = p.a.agent, p.b.agent
    now = p.sim.now
    a.start(b.local_ufrag, b.local_pwd, controlling=True, now=now)
    b.start(a.local_ufrag, a.local_pwd, controlling=False, now=now)
    a.gather(p.a.bases, now=now)
    b.gather(p.b.bases, now=now)
    assert p.sim.run_until(connected(p.a, p.b), timeout=5.0)


def test_remote_candidates_are_validated() -> None:
    p = make_peers()
    assert p.connect()
    agent = p.a.agent
    [theirs] = [e.candidate for e in p.b.gathered()]
    before = len(agent.remote_candidates)
    for bad in (
        theirs.__class__.from_sdp("candidate:1 2 udp 1 10.0.0.9 9 typ host"),  # RTCP component
        theirs.__class__.from_sdp("candidate:1 1 tcp 1 10.0.0.9 9 typ host tcptype passive"),
        theirs.__class__.from_sdp("candidate:1 1 udp 1 1f4e.local 9 typ host"),  # mDNS
        theirs.__class__.from_sdp("candidate:1 1 udp 1 10.0.0.9 9 typ host ufrag stale"),
    ):
        agent.add_remote_candidate(bad, now=p.sim.now)
    assert agent.stats.remote_candidates_dropped == 4
    agent.add_remote_candidate(theirs, now=p.sim.now)  # a duplicate is ignored
    assert len(agent.remote_candidates) == before


def test_api_misuse_raises_typed_errors() -> None:
    p = make_peers()
    p.start()
    a, b = p.a.agent, p.b.agent
    with pytest.raises(IceStateError):
        a.gather(p.a.bases, now=p.sim.now)
    with pytest.raises(IceStateError):
        a.start("otherufrag", "x" * 22, now=p.sim.now)
    a.start(b.local_ufrag, b.local_pwd, now=p.sim.now)  # the same credentials again: fine
    with pytest.raises(IceConfigError):
        b.restart(now=p.sim.now, ufrag="no")
    lite = make_peers(settings_b=IceSettings(lite=True)).b.agent
    with pytest.raises(IceConfigError):
        lite.start(a.local_ufrag, a.local_pwd, controlling=True, now=0.0)
    with pytest.raises(IceConfigError):
        lite.start(a.local_ufrag, a.local_pwd, remote_lite=True, now=0.0)
    a.close(now=p.sim.now)
    a.close(now=p.sim.now)
    assert a.state is S.CLOSED and a.poll_timeout() is None
    with pytest.raises(IceStateError):
        a.add_remote_candidate(None, now=0.0)
    with pytest.raises(IceStateError):
        a.restart(now=0.0)
    with pytest.raises(IceStateError):
        a.start(b.local_ufrag, b.local_pwd, now=0.0)
    assert not a.handle_datagram(b"\x17x", local=A_ADDR, remote=B_ADDR, now=p.sim.now)


def test_close_reports_closed_and_the_pair_gone() -> None:
    p = make_peers()
    assert p.connect()
    p.a.agent.close(now=p.sim.now)
    p.sim.flush()
    assert p.a.states()[-1] is S.CLOSED
    assert [e.pair is None for e in p.a.selections()] == [False, True]
    assert p.a.agent.selected_pair is None and p.a.agent.prepare_send(10) is None


def test_accepts_aggressive_nomination_as_controlled() -> None:
    """A peer that puts USE-CANDIDATE on its very first check (aggressive nomination, RFC 5245;
    browsers and aioice do): the controlled agent selects the pair as soon as its own triggered
    check of it succeeds. The peer is scripted by hand here."""
    p = make_peers()
    p.signal_b_to_a = False
    a, b = p.a.agent, p.b.agent
    now = p.sim.now
    b.gather(p.b.bases, now=now)
    b.start(a.local_ufrag, a.local_pwd, controlling=False, now=now)
    request = StunMessage(Method.BINDING, StunClass.REQUEST, bytes(12))
    request.set_text(Attr.USERNAME, f"{b.local_ufrag}:{a.local_ufrag}")
    request.set_u32(Attr.PRIORITY, 1862270975)
    request.set_u64(Attr.ICE_CONTROLLING, 5)
    request.set_flag(Attr.USE_CANDIDATE)
    b.handle_datagram(
        request.encode(key=b.local_pwd.encode()), local=B_ADDR, remote=A_ADDR, now=now
    )
    answer = b.poll_transmit()
    assert answer is not None and parse_message(answer.data).cls == StunClass.SUCCESS
    assert b.selected_pair is None  # not before its own check succeeded
    b.handle_timeout(now=now)  # the triggered check goes out at once
    check = b.poll_transmit()
    assert check is not None and check.remote == A_ADDR
    sent = parse_message(check.data)
    assert sent.cls == StunClass.REQUEST and sent.has(Attr.ICE_CONTROLLED)
    reply = StunMessage(Method.BINDING, StunClass.SUCCESS, sent.transaction_id)
    reply.set_xor_address(Attr.XOR_MAPPED_ADDRESS, B_ADDR)
    b.handle_datagram(reply.encode(key=a.local_pwd.encode()), local=B_ADDR, remote=A_ADDR, now=now)
    sel = p.b.agent.selected_pair  # (read again: the check above narrowed b.selected_pair)
    assert sel is not None and sel.remote_address == A_ADDR
    assert b.state is S.CONNECTED
