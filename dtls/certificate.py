"""``RTCCertificate``: the self-signed certificate a DTLS transport presents (webrtc-pc §4.9).

WebRTC certificates are not signed by anyone the peer trusts: the peer authenticates ours by
its fingerprint in our SDP (RFC 8122, RFC 8827 §6.5). So a certificate is just a key pair in an
X.509 wrapper, generated once and reusable by any number of connections, as browsers do.

This module is an adapter (listed in ``tests/test_architecture.py``): generating a certificate
reads the wall clock (its validity period) and the operating system's randomness (the serial
number and name). It runs once per certificate, never on the data path.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from .errors import CertificateError
from .fingerprint import DEFAULT_ALGORITHMS, RTCDtlsFingerprint, certificate_fingerprint

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

DEFAULT_LIFETIME: Final = datetime.timedelta(days=30)
"""What browsers and aiortc use; webrtc-pc lets the caller ask for another ``expires``."""
CLOCK_SKEW: Final = datetime.timedelta(days=1)
"""The certificate is valid from a day ago, so a peer whose clock is behind still accepts it."""

ECDSA: Final = "ECDSA"
RSA: Final = "RSASSA-PKCS1-v1_5"

KeygenAlgorithm = str | Mapping[str, object]
"""``"ECDSA"`` (P-256), ``"RSASSA-PKCS1-v1_5"`` (2048 bits), or the WebCrypto dictionary
``{"name": ..., "namedCurve": "P-256"}`` / ``{"name": ..., "modulusLength": 2048}`` with an
optional ``"expires"`` in milliseconds (webrtc-pc §4.9.1)."""


def _generate_key(algorithm: KeygenAlgorithm) -> tuple[PrivateKey, float | None]:
    params: Mapping[str, object] = {"name": algorithm} if isinstance(algorithm, str) else algorithm
    name = str(params.get("name", "")).upper()
    expires_ms = params.get("expires")
    if expires_ms is not None and not isinstance(expires_ms, int | float):
        raise CertificateError(f"expires must be a number of milliseconds, got {expires_ms!r}")
    expires = None if expires_ms is None else float(expires_ms) / 1000.0
    if name in (ECDSA, "EC", "ECDSA-P256"):
        curve = params.get("namedCurve", "P-256")
        if curve != "P-256":
            raise CertificateError(f"only the P-256 curve is supported, not {curve!r}")
        return ec.generate_private_key(ec.SECP256R1()), expires
    if name in (RSA.upper(), "RSA"):
        bits = params.get("modulusLength", 2048)
        exponent = params.get("publicExponent", 65537)
        if not isinstance(bits, int) or bits < 2048:
            raise CertificateError(f"RSA keys must have at least 2048 bits, not {bits!r}")
        if exponent not in (65537, b"\x01\x00\x01", (1, 0, 1)):
            raise CertificateError("only the public exponent 65537 is supported")
        return rsa.generate_private_key(public_exponent=65537, key_size=bits), expires
    raise CertificateError(f"unsupported key algorithm {params.get('name')!r}; use ECDSA or RSA")


def build_certificate(
    key: PrivateKey,
    *,
    now: datetime.datetime,
    lifetime: datetime.timedelta,
    token_bytes: Callable[[int], bytes],
) -> x509.Certificate:
    """A self-signed certificate for ``key``, valid from ``now - CLOCK_SKEW`` for ``lifetime``.

    The subject is a random name (browsers do the same: it identifies nothing), and the
    serial a random positive 63-bit number (RFC 5280 §4.1.2.2).
    """
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, token_bytes(16).hex())])
    serial = int.from_bytes(token_bytes(8), "big") >> 1 or 1
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + lifetime)
        .sign(key, hashes.SHA256())
    )


class RTCCertificate:
    """A key pair and its self-signed certificate (aiortc's API, webrtc-pc names)."""

    def __init__(self, key: PrivateKey, cert: x509.Certificate) -> None:
        if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise CertificateError("the private key must be an EC or RSA key")
        spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        if key.public_key().public_bytes(*spki) != cert.public_key().public_bytes(*spki):
            raise CertificateError("the private key does not belong to the certificate")
        self._key = key
        self._cert = cert
        self._der = cert.public_bytes(serialization.Encoding.DER)

    @classmethod
    def generateCertificate(  # W3C / aiortc spelling
        cls,
        keygenAlgorithm: KeygenAlgorithm = ECDSA,
        *,
        expires: datetime.timedelta | None = None,
    ) -> RTCCertificate:
        """Generate a key pair (ECDSA P-256 by default, RSA 2048 on request) and certificate.

        ``expires`` (or the WebCrypto dictionary's ``"expires"`` in milliseconds) sets how long
        the certificate is valid; the default is 30 days.
        """
        key, expires_s = _generate_key(keygenAlgorithm)
        lifetime = expires or (
            datetime.timedelta(seconds=expires_s) if expires_s is not None else DEFAULT_LIFETIME
        )
        if lifetime <= datetime.timedelta(0):
            raise CertificateError("a certificate must expire in the future")
        now = datetime.datetime.now(datetime.UTC)
        return cls(key, build_certificate(key, now=now, lifetime=lifetime, token_bytes=os.urandom))

    @classmethod
    def from_pem(cls, certificate_pem: bytes, private_key_pem: bytes) -> RTCCertificate:
        """Load a certificate saved with :meth:`to_pem` (keys persist across sessions)."""
        try:
            cert = x509.load_pem_x509_certificate(certificate_pem)
            key = serialization.load_pem_private_key(private_key_pem, password=None)
        except ValueError as exc:
            raise CertificateError(f"cannot load the certificate or key: {exc}") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise CertificateError("the private key must be an EC or RSA key")
        return cls(key, cert)

    def to_pem(self) -> tuple[bytes, bytes]:
        """The certificate and its unencrypted PKCS#8 private key, PEM-encoded."""
        return (
            self._cert.public_bytes(serialization.Encoding.PEM),
            self._key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )

    @property
    def expires(self) -> datetime.datetime:
        """When the certificate stops being valid (an aware UTC datetime)."""
        return self._cert.not_valid_after_utc

    def is_expired(self, now: datetime.datetime | None = None) -> bool:
        return (now or datetime.datetime.now(datetime.UTC)) >= self.expires

    @property
    def private_key(self) -> PrivateKey:
        return self._key

    @property
    def x509(self) -> x509.Certificate:
        return self._cert

    @property
    def der(self) -> bytes:
        """The DER encoding the peer hashes to check our fingerprint."""
        return self._der

    def getFingerprints(  # W3C / aiortc spelling
        self, algorithms: Iterable[str] = DEFAULT_ALGORITHMS
    ) -> list[RTCDtlsFingerprint]:
        """Fingerprints for SDP: sha-256 only by default, like browsers.

        One sha-256 line is what Chrome, Firefox and Safari write and what RFC 8122 requires
        every endpoint to verify; ask for ``fingerprint.ALL_ALGORITHMS`` to get sha-384 and
        sha-512 as well.
        """
        return [certificate_fingerprint(self._der, a) for a in algorithms]

    def __repr__(self) -> str:
        kind = "ECDSA" if isinstance(self._key, ec.EllipticCurvePrivateKey) else "RSA"
        return f"RTCCertificate({kind}, expires={self.expires.isoformat()})"
