"""The four-way handshake (RFC 9260 §5): both ends connecting, one passive end, loss, a dead
peer, forged and stale cookies, a duplicated COOKIE ECHO, and a peer that restarts."""

from __future__ import annotations

import random

from sctp import chunks as C
from sctp.association import Association
from sctp.events import AssociationClosed, AssociationEstablished
from sctp.packet import build
from sctp.settings import SctpSettings
from tests.simnet import Conditions

from .helpers import association_pair, connect, connected_pair


def test_both_ends_connect_at_once_the_webrtc_way() -> None:
    sim, a, b = association_pair(seed=1)
    connect(sim, a, b)
    for node, other in ((a, b), (b, a)):
        assoc = node.association
        assert assoc.state == "established"
        assert assoc.peer_tag == other.association.local_tag
        (event,) = node.events_of(AssociationEstablished)
        assert isinstance(event, AssociationEstablished)
        assert event.partial_reliability and event.stream_reset
        assert event.inbound_streams == event.outbound_streams == 65535
        assert assoc.zero_checksum  # both announce RFC 9653 with the DTLS method
    assert sim.now - 1000.0 < 0.05  # a few one-way delays of 5 ms, no timer involved


def test_one_end_passive() -> None:
    sim, a, b = association_pair(seed=2)
    a.core.connect(now=sim.now)
    assert sim.run_until(lambda: a.association.connected and b.association.connected, timeout=5)
    # The passive end answered INIT without keeping state: the cookie carried it.
    assert b.association.stats.packets_sent == 2  # INIT ACK, COOKIE ACK


def test_negotiated_stream_counts_and_extensions() -> None:
    sim, a, b = association_pair(
        seed=3,
        settings_a=SctpSettings(inbound_streams=10, outbound_streams=20),
        settings_b=SctpSettings(partial_reliability=False, zero_checksum=False),
    )
    connect(sim, a, b)
    assert (a.association.inbound_streams, a.association.outbound_streams) == (10, 20)
    assert (b.association.inbound_streams, b.association.outbound_streams) == (20, 10)
    assert not a.association.partial_reliability and not b.association.partial_reliability
    assert not a.association.zero_checksum and not b.association.zero_checksum


def test_handshake_survives_loss() -> None:
    for seed in range(30):
        sim, a, b = association_pair(seed=seed, conditions=Conditions(loss=0.3, delay=0.02))
        connect(sim, a, b, timeout=600)
        assert a.association.peer_tag == b.association.local_tag
        assert b.association.peer_tag == a.association.local_tag


def test_a_peer_that_never_answers_fails_the_handshake() -> None:
    settings = SctpSettings(rto_initial=1.0, max_init_retransmits=4)
    sim, a, _ = association_pair(seed=4, conditions=Conditions(blocked=True), settings_a=settings)
    a.core.connect(now=sim.now)
    sim.run_for(120)
    (closed,) = a.events_of(AssociationClosed)
    assert isinstance(closed, AssociationClosed)
    assert closed.error and closed.reason == "handshake timed out"
    assert a.association.state == "closed" and a.association.ended
    # INIT was sent 1 + 4 times, with the timer doubling: 1 + 2 + 4 + 8 + 16 s.
    assert a.association.stats.packets_sent == 5
    assert a.association.poll_timeout() is None


def _init_from(stranger: Association) -> bytes:
    stranger.connect(now=1000.0)
    packet = stranger.poll_transmit()
    assert packet is not None
    return packet


def test_forged_and_stale_cookies_are_refused() -> None:
    server = Association(token_bytes=random.Random(1).randbytes)
    client = Association(token_bytes=random.Random(2).randbytes)
    server.handle_datagram(_init_from(client), now=1000.0)
    init_ack = server.poll_transmit()
    assert init_ack is not None
    client.handle_datagram(init_ack, now=1000.0)
    cookie_echo = client.poll_transmit()
    assert cookie_echo is not None

    forged = bytearray(cookie_echo)
    forged[30] ^= 1  # inside the cookie
    server.handle_datagram(_rechecksum(bytes(forged)), now=1000.0)
    assert server.stats.dropped_bad_cookie == 1 and server.state == "closed"

    server.handle_datagram(cookie_echo, now=1000.0 + 61)  # Valid.Cookie.Life is 60 s
    assert server.stats.dropped_bad_cookie == 2 and server.state == "closed"

    server.handle_datagram(cookie_echo, now=1000.5)
    assert server.state == "established"


def _rechecksum(packet: bytes) -> bytes:
    from sctp.packet import with_checksum

    return with_checksum(packet)


def test_lost_cookie_ack_is_answered_again() -> None:
    sim, a, b = association_pair(seed=5)
    a.core.connect(now=sim.now)
    # Let INIT, INIT ACK and COOKIE ECHO through, then lose b's COOKIE ACK.
    sim.run_until(lambda: b.association.connected, timeout=5)
    sim.network.set_conditions(b.addr[0], a.addr[0], Conditions(blocked=True), both_ways=False)
    sim.run_for(0.5)
    sim.network.set_conditions(b.addr[0], a.addr[0], Conditions(delay=0.005), both_ways=False)
    assert sim.run_until(lambda: a.association.connected, timeout=10)
    # a resent COOKIE ECHO on T1; b, already established, answered with COOKIE ACK again.
    assert b.association.stats.packets_received >= 2


def test_init_vtag_and_bundling_rules() -> None:
    server = Association(token_bytes=random.Random(1).randbytes)
    init = _init_from(Association(token_bytes=random.Random(2).randbytes))
    server.handle_datagram(build(5000, 5000, 1234, init[12:]), now=1000.0)  # INIT with vtag != 0
    assert server.stats.dropped_bad_vtag == 1 and server.poll_transmit() is None
    server.handle_datagram(init, now=1000.0)
    assert server.poll_transmit() is not None


def test_a_restarted_peer_ends_the_old_association() -> None:
    sim, a, _ = connected_pair(seed=6)
    # b loses its state and starts over with the same ports: a new INIT reaches a.
    fresh = Association(token_bytes=random.Random(99).randbytes)
    a.core.handle_datagram(_init_from(fresh), now=sim.now)
    init_ack = a.core.poll_transmit()
    assert init_ack is not None and init_ack[12] == C.INIT_ACK
    fresh.handle_datagram(init_ack, now=sim.now)
    cookie_echo = fresh.poll_transmit()
    assert cookie_echo is not None
    a.core.handle_datagram(cookie_echo, now=sim.now)
    a.drain()
    (closed,) = a.events_of(AssociationClosed)
    assert isinstance(closed, AssociationClosed)
    assert closed.error and "restarted" in closed.reason
