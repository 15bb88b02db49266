"""RTCCertificate generation and reuse; DTLS-SRTP key splitting checked with libsrtp."""

from __future__ import annotations

import datetime

import pylibsrtp
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from dtls import (
    CertificateError,
    DtlsRole,
    DtlsSettings,
    RTCCertificate,
    SrtpProfile,
)
from dtls.fingerprint import ALL_ALGORITHMS
from dtls.srtp_keys import split_keying_material
from tests.dtls.helpers import DtlsPair


def test_default_certificate_is_ecdsa_p256_for_30_days() -> None:
    cert = RTCCertificate.generateCertificate()
    assert isinstance(cert.private_key, ec.EllipticCurvePrivateKey)
    assert isinstance(cert.private_key.curve, ec.SECP256R1)
    now = datetime.datetime.now(datetime.UTC)
    assert datetime.timedelta(days=29) < cert.expires - now <= datetime.timedelta(days=30)
    assert cert.x509.not_valid_before_utc < now
    assert not cert.is_expired()
    assert cert.x509.subject == cert.x509.issuer  # self-signed


@pytest.mark.parametrize(
    "algorithm",
    ["RSASSA-PKCS1-v1_5", "rsa", {"name": "RSASSA-PKCS1-v1_5", "modulusLength": 2048}],
)
def test_rsa_2048_on_request(algorithm: str | dict[str, object]) -> None:
    cert = RTCCertificate.generateCertificate(algorithm)
    assert isinstance(cert.private_key, rsa.RSAPrivateKey)
    assert cert.private_key.key_size == 2048


def test_expiry_can_be_chosen() -> None:
    short = RTCCertificate.generateCertificate(expires=datetime.timedelta(hours=1))
    now = datetime.datetime.now(datetime.UTC)
    assert short.expires - now <= datetime.timedelta(hours=1)
    webcrypto = RTCCertificate.generateCertificate({"name": "ECDSA", "expires": 86_400_000})
    assert webcrypto.expires - now <= datetime.timedelta(days=1)
    assert webcrypto.is_expired(now + datetime.timedelta(days=2))


@pytest.mark.parametrize(
    "algorithm",
    ["DSA", {"name": "ECDSA", "namedCurve": "P-384"}, {"name": "RSA", "modulusLength": 1024}],
)
def test_unsupported_algorithms_raise(algorithm: str | dict[str, object]) -> None:
    with pytest.raises(CertificateError):
        RTCCertificate.generateCertificate(algorithm)


def test_fingerprints_sha256_by_default_more_on_request() -> None:
    cert = RTCCertificate.generateCertificate()
    (default,) = cert.getFingerprints()
    assert default.algorithm == "sha-256" and len(default.value) == 32 * 3 - 1
    assert [f.algorithm for f in cert.getFingerprints(ALL_ALGORITHMS)] == [
        "sha-256",
        "sha-384",
        "sha-512",
    ]
    assert cert.getFingerprints() == cert.getFingerprints()  # stable: same certificate


def test_pem_round_trip_and_key_check() -> None:
    cert = RTCCertificate.generateCertificate()
    loaded = RTCCertificate.from_pem(*cert.to_pem())
    assert loaded.getFingerprints() == cert.getFingerprints()
    other = RTCCertificate.generateCertificate()
    with pytest.raises(CertificateError):
        RTCCertificate(other.private_key, cert.x509)
    with pytest.raises(CertificateError):
        RTCCertificate.from_pem(b"garbage", b"garbage")


def test_one_certificate_serves_several_connections(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    shared, _ = ecdsa_pair
    peers = [RTCCertificate.generateCertificate() for _ in range(3)]
    pairs = [DtlsPair(shared, peer) for peer in peers] + [DtlsPair(peers[0], shared)]
    for pair in pairs:
        pair.connect()
    keys = {pair.client.conn.srtp_keys.local_master_key for pair in pairs}  # type: ignore[union-attr]
    assert len(keys) == len(pairs)  # independent sessions


# ---------------------------------------------------------------- DTLS-SRTP


def test_keying_material_is_split_as_rfc_5764_says() -> None:
    profile = SrtpProfile.AES128_CM_SHA1_80
    material = bytes(range(60))
    client = split_keying_material(profile, material, DtlsRole.CLIENT)
    server = split_keying_material(profile, material, DtlsRole.SERVER)
    assert client.local_key == material[0:16] == server.remote_key
    assert client.remote_key == material[16:32] == server.local_key
    assert client.local_salt == material[32:46] == server.remote_salt
    assert client.remote_salt == material[46:60] == server.local_salt
    assert "00010203" not in repr(client)  # keys stay out of logs
    with pytest.raises(ValueError):
        split_keying_material(profile, material[:-1], DtlsRole.CLIENT)


def test_profile_names_and_sizes() -> None:
    gcm = SrtpProfile.AEAD_AES_128_GCM
    assert gcm.openssl_name == b"SRTP_AEAD_AES_128_GCM"
    assert (gcm.key_length, gcm.salt_length, gcm.keying_material_length) == (16, 12, 56)
    assert SrtpProfile.from_openssl_name(b"SRTP_AES128_CM_SHA1_80") is SrtpProfile.AES128_CM_SHA1_80
    assert SrtpProfile.from_openssl_name(b"SRTP_NULL_SHA1_80") is None
    # The numbers are libsrtp's own.
    assert int(SrtpProfile.AEAD_AES_128_GCM) == pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM
    assert int(SrtpProfile.AES128_CM_SHA1_80) == pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80


def rtp_packet(seq: int) -> bytes:
    header = bytes([0x80, 96]) + seq.to_bytes(2, "big") + (1234).to_bytes(4, "big")
    return header + (0xDEADBEEF).to_bytes(4, "big") + b"media payload" * 10


@pytest.mark.parametrize(
    ("client_profiles", "server_profiles", "expected"),
    [
        (None, None, SrtpProfile.AEAD_AES_128_GCM),
        ((SrtpProfile.AES128_CM_SHA1_80,), None, SrtpProfile.AES128_CM_SHA1_80),
        (None, (SrtpProfile.AES128_CM_SHA1_80,), SrtpProfile.AES128_CM_SHA1_80),
    ],
)
def test_negotiated_keys_protect_media_between_the_peers(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
    client_profiles: tuple[SrtpProfile, ...] | None,
    server_profiles: tuple[SrtpProfile, ...] | None,
    expected: SrtpProfile,
) -> None:
    pair = DtlsPair(
        *ecdsa_pair,
        client_settings=DtlsSettings(srtp_profiles=client_profiles) if client_profiles else None,
        server_settings=DtlsSettings(srtp_profiles=server_profiles) if server_profiles else None,
    )
    pair.connect()
    client, server = pair.client.conn.srtp_keys, pair.server.conn.srtp_keys
    assert client is not None and server is not None
    assert client.profile is server.profile is expected
    for sender, receiver in ((client, server), (server, client)):
        outbound = pylibsrtp.Session(
            policy=pylibsrtp.Policy(
                key=sender.local_master_key,
                ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND,
                srtp_profile=int(sender.profile),
            )
        )
        inbound = pylibsrtp.Session(
            policy=pylibsrtp.Policy(
                key=receiver.remote_master_key,
                ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND,
                srtp_profile=int(receiver.profile),
            )
        )
        for seq in range(5):
            packet = rtp_packet(seq)
            protected = outbound.protect(packet)
            assert protected != packet
            assert inbound.unprotect(protected) == packet


def test_no_srtp_when_a_side_offers_no_profile(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    pair = DtlsPair(*ecdsa_pair, client_settings=DtlsSettings(srtp_profiles=()))
    pair.connect()
    assert pair.client.conn.srtp_keys is None and pair.server.conn.srtp_keys is None


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError):
        DtlsSettings(mtu=100)
    with pytest.raises(ValueError):
        DtlsSettings(handshake_timeout=0)
    with pytest.raises(ValueError):
        DtlsSettings(cipher_suites=("AES128-SHA",))
    with pytest.raises(ValueError):
        DtlsSettings(srtp_profiles=(SrtpProfile.AEAD_AES_128_GCM,) * 2)
    with pytest.raises(ValueError):
        DtlsSettings(flight_resend=5.0)
