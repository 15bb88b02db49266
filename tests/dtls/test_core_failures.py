"""Failures and hostile input: fingerprint mismatch, timeouts, garbage, misuse after close."""

from __future__ import annotations

import random
import struct
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dtls import (
    CloseNotifyReceived,
    ConnectionClosedError,
    DtlsConnection,
    DtlsFailed,
    DtlsRole,
    DtlsSettings,
    FailureReason,
    FingerprintError,
    InvalidDtlsStateError,
    MessageTooLargeError,
    RTCCertificate,
    RTCDtlsFingerprint,
)
from dtls.records import ContentType, split_records
from tests.dtls.helpers import DtlsPair
from tests.simnet import Conditions


def failure_of(events: Sequence[object]) -> DtlsFailed:
    failures = [e for e in events if isinstance(e, DtlsFailed)]
    assert len(failures) == 1, events
    return failures[0]


@pytest.mark.parametrize("liar", ["server", "client"])
def test_fingerprint_mismatch_fails_and_sends_nothing_more(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate], liar: str
) -> None:
    """The side that sees a wrong certificate fails with a mismatch; the other gets the alert."""
    impostor = RTCCertificate.generateCertificate()
    pair = DtlsPair(*ecdsa_pair)
    if liar == "server":  # the client expects another certificate than the server's
        pair.start(client_expects=impostor.getFingerprints())
        checker, other = pair.client, pair.server
    else:
        pair.start(server_expects=impostor.getFingerprints())
        checker, other = pair.server, pair.client
    pair.settle(5.0)
    assert checker.conn.state == "failed"
    assert failure_of(checker.events).reason is FailureReason.FINGERPRINT_MISMATCH
    assert checker.conn.failure == failure_of(checker.events)
    # The peer learns it from the fatal alert, and never reaches "connected".
    assert other.conn.state == "failed"
    assert "connected" not in other.states()
    failure = failure_of(other.events)
    assert failure.reason is FailureReason.ALERT_RECEIVED
    # OpenSSL names the alert after its own verdict on a self-signed certificate.
    assert failure.detail in ("unknown_ca", "bad_certificate", "certificate_unknown")
    # After the alert the checker sent nothing: the last datagram it sent is that alert.
    last = split_records(checker.sent[-1])
    assert last is not None and [r.content_type for r in last] == [ContentType.ALERT]
    assert checker.conn.srtp_keys is None and checker.conn.remote_certificate is None
    # More input and time do not make it send anything either.
    count = len(checker.sent)
    for datagram in other.sent:
        checker.conn.handle_datagram(datagram, now=pair.sim.now)
    checker.conn.handle_timeout(now=pair.sim.now + 100)
    assert checker.conn.poll_transmit() is None
    assert len(checker.sent) == count
    assert checker.conn.poll_timeout() is None


def test_any_listed_algorithm_verifies(ecdsa_pair: tuple[RTCCertificate, RTCCertificate]) -> None:
    """The remote description may list several fingerprints; one match of any hash is enough."""
    client_cert, server_cert = ecdsa_pair
    impostor = RTCCertificate.generateCertificate()
    listed = [
        RTCDtlsFingerprint("sha-999", "AB:CD"),  # unknown hash: ignored (RFC 8122 §5)
        *impostor.getFingerprints(),
        *server_cert.getFingerprints(["sha-512"]),
    ]
    pair = DtlsPair(client_cert, server_cert)
    pair.start(client_expects=listed)
    assert pair.sim.run_until(lambda: pair.both("connected"), timeout=5)


def test_silent_peer_fails_after_the_handshake_timeout(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    settings = DtlsSettings(handshake_timeout=12.0)
    pair = DtlsPair(
        *ecdsa_pair,
        conditions=Conditions(blocked=True),
        client_settings=settings,
        server_settings=settings,
    )
    started = pair.sim.now
    pair.start()
    assert pair.sim.run_until(lambda: pair.both("failed"), timeout=60)
    for node in (pair.client, pair.server):
        failure = failure_of(node.events)
        assert failure.reason is FailureReason.HANDSHAKE_TIMEOUT
        assert node.states() == ["new", "connecting", "failed"]
    assert pair.sim.now == pytest.approx(started + 12.0)
    # Meanwhile the client kept resending its ClientHello on a backing-off schedule.
    resends = pair.client.conn.stats.flight_resends
    assert 6 <= resends <= 10, resends
    assert pair.client.conn.poll_timeout() is None


def garbage(rng: random.Random, first_byte: int | None = None) -> bytes:
    data = bytearray(rng.randbytes(rng.randrange(1, 200)))
    data[0] = first_byte if first_byte is not None else rng.randrange(20, 64)
    return bytes(data)


def test_garbage_is_dropped_during_and_after_the_handshake(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    rng = random.Random(7)
    pair = DtlsPair(*ecdsa_pair)
    pair.start()
    for _ in range(200):  # garbage in the middle of the handshake
        pair.server.conn.handle_datagram(garbage(rng), now=pair.sim.now)
        pair.client.conn.handle_datagram(garbage(rng), now=pair.sim.now)
    assert pair.sim.run_until(lambda: pair.both("connected"), timeout=5)
    # Well-formed-looking records of the right type and epoch with random contents.
    for i in range(100):
        body = rng.randbytes(40 + i)
        header = struct.pack("!BHHHIH", 23, 0xFEFD, 1, 0, 1000 + i, len(body))
        pair.server.conn.handle_datagram(header + body, now=pair.sim.now)
    for _ in range(300):
        pair.server.conn.handle_datagram(garbage(rng), now=pair.sim.now)
    stats = pair.server.conn.stats
    assert stats.dropped_unauthenticated >= 100
    assert stats.dropped_malformed > 0
    assert stats.records_received == 0
    pair.client.conn.send(b"still fine", now=pair.sim.now)
    pair.settle()
    assert pair.server.received == [b"still fine"]
    assert pair.both("connected")


def test_replayed_records_are_delivered_once(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    pair = DtlsPair(*ecdsa_pair)
    pair.connect()
    conn = pair.server.conn
    records = [pair.client.conn.protect(b"%d" % i) for i in range(100)]
    for record in records[50:] + records[:50]:  # reordered: the first half is out of window
        conn.handle_datagram(record, now=pair.sim.now)
    for record in records:  # every one replayed
        conn.handle_datagram(record, now=pair.sim.now)
    pair.server.drain()
    # 50..99 arrive; 0..49 came 50 behind the newest: 14 of them are still in the window.
    expected = [b"%d" % i for i in range(50, 100)] + [b"%d" % i for i in range(36, 50)]
    assert pair.server.received == expected
    assert conn.stats.dropped_replayed == 100 + 36


def test_a_tampered_record_fails_authentication(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    pair = DtlsPair(*ecdsa_pair)
    pair.connect()
    record = bytearray(pair.client.conn.protect(b"payload"))
    for position in (1, 4, 20, len(record) - 1):  # version, sequence, nonce, tag
        forged = bytearray(record)
        forged[position] ^= 0x01
        pair.server.conn.handle_datagram(bytes(forged), now=pair.sim.now)
    pair.server.conn.handle_datagram(bytes(record), now=pair.sim.now)
    pair.server.drain()
    assert pair.server.received == [b"payload"]
    stats = pair.server.conn.stats
    assert stats.dropped_unauthenticated + stats.dropped_unexpected + stats.dropped_malformed == 4


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(min_size=0, max_size=120), max_size=8))
def test_arbitrary_datagrams_never_raise(datagrams: list[bytes]) -> None:
    client_cert, server_cert = _certificates()
    pair = DtlsPair(client_cert, server_cert)
    pair.connect()
    for data in datagrams:
        pair.server.conn.handle_datagram(data, now=pair.sim.now)
        pair.client.conn.handle_datagram(data, now=pair.sim.now)
    pair.client.conn.send(b"after", now=pair.sim.now)
    pair.settle()
    assert pair.server.received == [b"after"]


_CERTS: list[RTCCertificate] = []


def _certificates() -> tuple[RTCCertificate, RTCCertificate]:
    if not _CERTS:
        _CERTS.extend(RTCCertificate.generateCertificate() for _ in range(2))
    return _CERTS[0], _CERTS[1]


def test_data_after_close_is_refused(ecdsa_pair: tuple[RTCCertificate, RTCCertificate]) -> None:
    pair = DtlsPair(*ecdsa_pair)
    pair.connect()
    pair.client.conn.close(now=pair.sim.now)
    with pytest.raises(ConnectionClosedError) as info:
        pair.client.conn.send(b"too late", now=pair.sim.now)
    assert info.value.state == "closed"
    with pytest.raises(ConnectionClosedError):
        pair.client.conn.protect(b"too late")
    pair.settle()
    # The side that received close_notify refuses too.
    with pytest.raises(ConnectionClosedError):
        pair.server.conn.send(b"too late", now=pair.sim.now)


def test_data_before_connect_or_after_failure_is_refused(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    conn = DtlsConnection(certificate=ecdsa_pair[0])
    with pytest.raises(InvalidDtlsStateError) as info:
        conn.send(b"x", now=0.0)
    assert info.value.state == "new"
    assert not isinstance(info.value, ConnectionClosedError)
    conn.start(
        role=DtlsRole.CLIENT,
        remote_fingerprints=ecdsa_pair[1].getFingerprints(),
        now=0.0,
    )
    with pytest.raises(InvalidDtlsStateError):
        conn.send(b"x", now=0.0)
    conn.handle_timeout(now=1000.0)
    assert conn.state == "failed"
    with pytest.raises(InvalidDtlsStateError) as info:
        conn.send(b"x", now=1000.0)
    assert info.value.state == "failed"


def test_oversized_payload_is_refused(ecdsa_pair: tuple[RTCCertificate, RTCCertificate]) -> None:
    pair = DtlsPair(*ecdsa_pair)
    pair.connect()
    limit = pair.client.conn.max_application_data
    with pytest.raises(MessageTooLargeError) as info:
        pair.client.conn.send(b"x" * (limit + 1), now=pair.sim.now)
    assert (info.value.size, info.value.limit) == (limit + 1, limit)
    assert pair.client.conn.stats.records_sent == 0


def test_start_misuse(ecdsa_pair: tuple[RTCCertificate, RTCCertificate]) -> None:
    conn = DtlsConnection(certificate=ecdsa_pair[0])
    with pytest.raises(FingerprintError):
        conn.start(role=DtlsRole.CLIENT, remote_fingerprints=[], now=0.0)
    with pytest.raises(FingerprintError):
        conn.start(
            role=DtlsRole.CLIENT,
            remote_fingerprints=[RTCDtlsFingerprint("sha-256", "not hex")],
            now=0.0,
        )
    assert conn.state == "new"  # nothing happened
    fingerprints = ecdsa_pair[1].getFingerprints()
    conn.start(role=DtlsRole.CLIENT, remote_fingerprints=fingerprints, now=0.0)
    with pytest.raises(InvalidDtlsStateError):
        conn.start(role=DtlsRole.CLIENT, remote_fingerprints=fingerprints, now=0.0)


def test_close_during_the_handshake_sends_nothing(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    conn = DtlsConnection(certificate=ecdsa_pair[0])
    conn.start(role=DtlsRole.CLIENT, remote_fingerprints=ecdsa_pair[1].getFingerprints(), now=0)
    assert conn.poll_transmit() is not None  # the ClientHello
    conn.close(now=0.1)
    assert conn.state == "closed"
    assert conn.poll_transmit() is None
    assert conn.poll_timeout() is None


def test_fatal_alert_after_connect_fails_the_connection(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    """A fatal alert under the session keys (here forged with the peer's own sealer)."""
    pair = DtlsPair(*ecdsa_pair)
    pair.connect()
    sealer = pair.client.conn._sealer
    assert sealer is not None
    pair.server.conn.handle_datagram(sealer.seal(21, bytes((2, 80))), now=pair.sim.now)
    pair.server.drain()
    assert pair.server.conn.state == "failed"
    failure = failure_of(pair.server.events)
    assert (failure.reason, failure.detail) == (FailureReason.ALERT_RECEIVED, "internal_error")


def test_close_notify_during_the_handshake_closes(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    """webrtc-pc: ``closed`` is the state a close_notify leads to, even mid-handshake.

    (OpenSSL itself refuses to shut down mid-handshake, so the alert is written by hand: a
    plaintext warning-level close_notify in epoch 0, as another implementation may send.)
    """
    ours = DtlsConnection(certificate=ecdsa_pair[0])
    ours.start(role=DtlsRole.CLIENT, remote_fingerprints=ecdsa_pair[1].getFingerprints(), now=0)
    assert ours.poll_transmit() is not None  # the ClientHello
    close_notify = struct.pack("!BHHHIH", 21, 0xFEFD, 0, 0, 0, 2) + bytes((1, 0))
    ours.handle_datagram(close_notify, now=0.1)
    events = []
    while (event := ours.poll_event()) is not None:
        events.append(event)
    assert ours.state == "closed"
    assert CloseNotifyReceived() in events
    assert ours.failure is None
    assert ours.poll_transmit() is None and ours.poll_timeout() is None
