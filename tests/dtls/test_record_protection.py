"""Our record layer against OpenSSL's: same keys, same records, same sequence numbers."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from OpenSSL import SSL

from dtls import DtlsConnection, DtlsRole, DtlsSettings, RTCCertificate
from dtls.record_protection import (
    REPLAY_WINDOW,
    SUITES,
    CipherSuite,
    RecordOpener,
    RecordSealer,
    tls12_prf,
)
from dtls.records import HEADER, MAX_SEQUENCE
from dtls.stats import DtlsStats
from tests.dtls.helpers import handshake_with, openssl_peer


def key_type(suite: str) -> str:
    return "RSA" if "-RSA-" in suite else "ECDSA"


@pytest.mark.parametrize("role", list(DtlsRole))
@pytest.mark.parametrize("suite", list(SUITES))
def test_records_interoperate_with_openssl(suite: str, role: DtlsRole) -> None:
    mine = RTCCertificate.generateCertificate(key_type(suite))
    theirs = RTCCertificate.generateCertificate(key_type(suite))
    ours = DtlsConnection(certificate=mine, settings=DtlsSettings(cipher_suites=(suite,)))
    peer = openssl_peer(theirs, server=role is DtlsRole.CLIENT, suite=suite)
    ours.start(role=role, remote_fingerprints=theirs.getFingerprints(), now=0.0)
    handshake_with(peer, ours)
    assert ours.state == "connected"
    assert ours.cipher_suite == peer.get_cipher_name() == suite
    # Our size limit is OpenSSL's own for this suite and MTU.
    assert ours.max_application_data == peer.get_cleartext_mtu()
    for i in range(20):
        payload = os.urandom(1 + i * 57)
        peer.bio_write(ours.protect(payload))
        assert peer.recv(2048) == payload
        peer.send(payload[::-1])
        ours.handle_datagram(peer.bio_read(65536), now=0.0)
        assert ours.poll_application_data() == payload[::-1]
    ours.close(now=0.0)
    close_notify = ours.poll_transmit()
    assert close_notify is not None
    peer.bio_write(close_notify)
    with pytest.raises(SSL.ZeroReturnError):
        peer.recv(2048)


@pytest.mark.parametrize(
    "suite", ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384"]
)
def test_prf_matches_openssl_keying_material_exporter(suite: str) -> None:
    """RFC 5705 exporter = PRF(master_secret, label, client_random + server_random)."""
    a = openssl_peer(RTCCertificate.generateCertificate(), server=False, suite=suite)
    b = openssl_peer(RTCCertificate.generateCertificate(), server=True, suite=suite)
    for _ in range(10):
        for src, dst in ((a, b), (b, a)):
            try:
                src.do_handshake()
            except SSL.WantReadError:
                pass
            try:
                dst.bio_write(src.bio_read(65536))
            except SSL.WantReadError:
                pass
    master, client_random, server_random = a.master_key(), a.client_random(), a.server_random()
    assert master and client_random and server_random
    prf_hash = SUITES[suite].prf_hash
    for label, length in ((b"EXTRACTOR-dtls_srtp", 60), (b"test label", 100)):
        expected = a.export_keying_material(label, length)
        assert tls12_prf(master, label, client_random + server_random, length, prf_hash) == expected


SUITE = SUITES["ECDHE-ECDSA-AES128-GCM-SHA256"]
KEY, IV = bytes(range(16)), bytes(range(4))


def sealed_at(sequence: int, payload: bytes, suite: CipherSuite = SUITE) -> bytes:
    return RecordSealer(suite, KEY, IV, epoch=1, next_sequence=sequence).seal(23, payload)


def open_record(opener: RecordOpener, record: bytes) -> bytes | None:
    return opener.open(record, 0, len(record), HEADER.unpack_from(record))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=200), max_size=40))
def test_replay_window_matches_rfc_6347(sequences: list[int]) -> None:
    """Accept a record unless its number was seen or is 64 or more behind the newest."""
    stats = DtlsStats()
    opener = RecordOpener(SUITE, KEY, IV, stats, lambda _: None)
    seen: set[int] = set()
    for seq in sequences:
        expected = seq not in seen and (not seen or seq > max(seen) - REPLAY_WINDOW)
        got = open_record(opener, sealed_at(seq, b"%d" % seq))
        assert (got == b"%d" % seq) is expected, (seq, sorted(seen))
        if expected:
            seen.add(seq)


def test_window_survives_a_huge_jump() -> None:
    opener = RecordOpener(SUITE, KEY, IV, DtlsStats(), lambda _: None)
    assert open_record(opener, sealed_at(3, b"a")) == b"a"
    assert open_record(opener, sealed_at(2**47, b"b")) == b"b"
    assert open_record(opener, sealed_at(2**47, b"b")) is None
    assert open_record(opener, sealed_at(3, b"a")) is None  # far behind now


def test_authentication_without_replay_check_leaves_the_window_alone() -> None:
    stats = DtlsStats()
    opener = RecordOpener(SUITE, KEY, IV, stats, lambda _: None)
    record = sealed_at(10, b"finished")
    header = HEADER.unpack_from(record)
    for _ in range(3):
        assert opener.open(record, 0, len(record), header, replay_check=False) == b"finished"
    assert open_record(opener, record) == b"finished"
    assert open_record(opener, record) is None
    assert stats.dropped_replayed == 1


def test_sequence_numbers_never_wrap() -> None:
    sealer = RecordSealer(SUITE, KEY, IV, epoch=1, next_sequence=MAX_SEQUENCE)
    sealer.seal(23, b"last")
    with pytest.raises(OverflowError):
        sealer.seal(23, b"one too many")


def test_chacha_records_carry_no_explicit_nonce() -> None:
    suite = SUITES["ECDHE-ECDSA-CHACHA20-POLY1305"]
    key, iv = bytes(32), bytes(range(12))
    record = RecordSealer(suite, key, iv, epoch=1, next_sequence=7).seal(23, b"abc")
    assert len(record) == 13 + 3 + 16 == 13 + 3 + suite.overhead - 13
    opener = RecordOpener(suite, key, iv, DtlsStats(), lambda _: None)
    assert open_record(opener, record) == b"abc"
