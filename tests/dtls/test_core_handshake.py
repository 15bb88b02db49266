"""Two cores over the simulated network: handshake, verification, keys, data, close."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from dtls import (
    CloseNotifyReceived,
    DtlsRole,
    DtlsSettings,
    DtlsStateChanged,
    RTCCertificate,
    SrtpProfile,
)
from dtls.records import split_records
from tests.dtls.helpers import DtlsPair
from tests.simnet import Conditions


def test_handshake_verifies_both_certificates_and_connects(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    pair = DtlsPair(*ecdsa_pair)
    pair.connect()
    for node, peer_cert in ((pair.client, pair.server_cert), (pair.server, pair.client_cert)):
        assert node.states() == ["new", "connecting", "connected"]
        state: str = node.conn.state
        assert state == "connected"  # W3C strings compare equal to the StrEnum
        remote = node.conn.remote_certificate
        assert remote is not None
        assert remote.public_bytes(serialization.Encoding.DER) == peer_cert.der
        assert node.conn.cipher_suite == "ECDHE-ECDSA-AES128-GCM-SHA256"
        assert node.conn.failure is None
    # Four flights, no retransmission needed on a lossless link.
    assert pair.client.conn.stats.flight_resends == 0
    assert pair.server.conn.stats.flight_resends == 0


def test_srtp_keys_match_pairwise(ecdsa_pair: tuple[RTCCertificate, RTCCertificate]) -> None:
    pair = DtlsPair(*ecdsa_pair)
    pair.connect()
    client, server = pair.client.conn.srtp_keys, pair.server.conn.srtp_keys
    assert client is not None and server is not None
    assert client.profile is server.profile is SrtpProfile.AEAD_AES_128_GCM
    assert client.local_master_key == server.remote_master_key
    assert client.remote_master_key == server.local_master_key
    assert client.local_master_key != client.remote_master_key
    assert len(client.local_key) == 16 and len(client.local_salt) == 12


@pytest.mark.parametrize("client_rsa", [True, False], ids=["rsa-client", "rsa-server"])
def test_rsa_and_ecdsa_certificates_mix(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
    rsa_certificate: RTCCertificate,
    client_rsa: bool,
) -> None:
    client, server = (
        (rsa_certificate, ecdsa_pair[0]) if client_rsa else (ecdsa_pair[0], rsa_certificate)
    )
    pair = DtlsPair(client, server)
    pair.connect()
    expected = "ECDHE-ECDSA-AES128-GCM-SHA256" if client_rsa else "ECDHE-RSA-AES128-GCM-SHA256"
    assert pair.client.conn.cipher_suite == expected


def test_application_data_flows_both_ways(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    pair = DtlsPair(*ecdsa_pair)
    pair.connect()
    now = pair.sim.now
    to_server = [bytes([i]) * (i * 37 % 1100) for i in range(50)]
    to_client = [b"pong %d" % i for i in range(50)]
    for a, b in zip(to_server, to_client, strict=True):
        pair.client.conn.send(a, now=now)
        pair.server.conn.send(b, now=now)
    pair.settle()
    assert pair.server.received == to_server
    assert pair.client.received == to_client
    assert pair.client.conn.stats.records_sent == pair.server.conn.stats.records_received == 50


def test_close_notify_closes_both_sides(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    pair = DtlsPair(*ecdsa_pair)
    pair.connect()
    pair.client.conn.send(b"last words", now=pair.sim.now)
    pair.client.conn.close(now=pair.sim.now)
    assert pair.client.conn.state == "closed"
    pair.settle()
    assert pair.server.received == [b"last words"]
    assert pair.server.conn.state == "closed"
    assert CloseNotifyReceived() in pair.server.events
    assert pair.server.states() == ["new", "connecting", "connected", "closed"]
    # The server answered with its own close_notify (RFC 5246 §7.2.1); the closed client
    # dropped it and counted it.
    assert pair.client.conn.stats.dropped_unexpected == 1
    # Closing twice is harmless and emits nothing.
    pair.client.conn.close(now=pair.sim.now)
    pair.client.drain()
    assert pair.client.states() == ["new", "connecting", "connected", "closed"]


def test_every_datagram_fits_the_mtu(rsa_certificate: RTCCertificate) -> None:
    """An RSA certificate (about 800 bytes) must be fragmented under a 300-byte MTU."""
    settings = DtlsSettings(mtu=300)
    other = RTCCertificate.generateCertificate("RSA")
    pair = DtlsPair(rsa_certificate, other, client_settings=settings, server_settings=settings)
    pair.connect()
    sent = pair.client.sent + pair.server.sent
    assert max(len(d) for d in sent) <= 300
    assert len(pair.server.sent) > 4  # the server's certificate flight took several datagrams
    for datagram in sent:
        assert split_records(datagram) is not None  # whole records only, never cut


def test_records_are_packed_into_datagrams_up_to_the_mtu(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    pair = DtlsPair(*ecdsa_pair)
    pair.connect()
    sizes = [len(d) for d in pair.server.sent]
    assert max(sizes) <= 1200
    # The ServerHello flight holds several records in one datagram.
    records = split_records(pair.server.sent[0])
    assert records is not None and len(records) >= 3


def test_largest_payload_fills_exactly_one_mtu(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    pair = DtlsPair(*ecdsa_pair)
    pair.connect()
    conn = pair.client.conn
    assert conn.max_application_data == 1200 - 13 - 8 - 16
    record = conn.protect(b"x" * conn.max_application_data)
    assert len(record) == 1200


def test_early_application_data_is_delivered_after_the_handshake(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    """The server finishes first and may send before its final flight reaches the client."""
    pair = DtlsPair(*ecdsa_pair)
    pair.start()
    pair.sim.run_until(lambda: pair.server.conn.state == "connected", timeout=5)
    assert pair.client.conn.state == "connecting"
    # The final flight is in flight; the server's data overtakes it on the wire.
    early = pair.server.conn.protect(b"early bird")
    pair.client.conn.handle_datagram(early, now=pair.sim.now)
    assert pair.client.conn.poll_application_data() is None
    pair.settle()
    assert pair.client.conn.state == "connected"
    assert pair.client.received == [b"early bird"]


def test_server_resends_its_final_flight_when_the_client_retransmits(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    pair = DtlsPair(*ecdsa_pair)
    pair.start()
    # Deliver by hand: client hello, server flight, client flight; then lose the final flight.
    c, s, now = pair.client.conn, pair.server.conn, pair.sim.now
    flights: list[list[bytes]] = []
    for src, dst in ((c, s), (s, c), (c, s)):
        flight = []
        while (d := src.poll_transmit()) is not None:
            flight.append(d)
            dst.handle_datagram(d, now=now)
        flights.append(flight)
    assert s.state == "connected" and c.state == "connecting"
    final = []
    while (d := s.poll_transmit()) is not None:
        final.append(d)
    # The client's copy of its flight reaches the server again: it answers with the same bytes.
    for d in flights[2]:
        s.handle_datagram(d, now=now)
    again = []
    while (d := s.poll_transmit()) is not None:
        again.append(d)
    assert again == final
    assert s.stats.final_flight_resends == 1
    for d in again:
        c.handle_datagram(d, now=now)
    assert c.state == "connected"


def test_datagrams_before_start_are_kept(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    """A ClientHello that arrives before the server's start() is answered when it starts."""
    pair = DtlsPair(*ecdsa_pair)
    now = pair.sim.now
    pair.client.conn.start(
        role=DtlsRole.CLIENT,
        remote_fingerprints=pair.server_cert.getFingerprints(),
        now=now,
    )
    hello = pair.client.conn.poll_transmit()
    assert hello is not None
    pair.server.conn.handle_datagram(hello, now=now)
    assert pair.server.conn.state == "new"
    assert pair.server.conn.poll_transmit() is None
    pair.server.conn.start(
        role=DtlsRole.SERVER,
        remote_fingerprints=pair.client_cert.getFingerprints(),
        now=now,
    )
    # Answered at once: a few link delays, no resend by the client.
    assert pair.sim.run_until(lambda: pair.both("connected"), timeout=0.1)
    assert pair.client.conn.stats.flight_resends == 0


@pytest.mark.parametrize("seed", range(40))
def test_lossy_handshake_completes_in_virtual_time(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate], seed: int
) -> None:
    """Our own flight resends run on the injected clock, so loss is testable without sleeping.

    (OpenSSL's retransmission timer reads the wall clock; it is tested in real time in
    test_transport_lossy.py.)
    """
    lossy = Conditions(loss=0.3, delay=0.02, jitter=0.01, duplicate=0.05, reorder=0.1)
    pair = DtlsPair(*ecdsa_pair, seed=seed, conditions=lossy)
    pair.start()
    assert pair.sim.run_until(lambda: pair.both("connected"), timeout=25), (
        pair.client.conn.state,
        pair.server.conn.state,
    )
    c, s = pair.client.conn.srtp_keys, pair.server.conn.srtp_keys
    assert c is not None and s is not None and c.local_master_key == s.remote_master_key


def test_state_events_use_the_transition_table(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    pair = DtlsPair(*ecdsa_pair)
    pair.connect()
    pair.server.conn.close(now=pair.sim.now)
    pair.settle()
    changes = [e for e in pair.client.events if isinstance(e, DtlsStateChanged)]
    assert [(e.old.value, e.new.value) for e in changes] == [
        ("new", "connecting"),
        ("connecting", "connected"),
        ("connected", "closed"),
    ]
