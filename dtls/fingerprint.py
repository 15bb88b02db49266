"""Certificate fingerprints as SDP carries them (RFC 8122 §5, RFC 8842 §5).

A fingerprint is a hash of the DER certificate, written in SDP as the IANA "Hash Function
Textual Name" (``sha-256``) and upper-case hex pairs joined by colons. WebRTC authenticates the
DTLS peer only through these: the certificates are self-signed, so the peer's certificate must
match a fingerprint of the remote description or the transport fails.

We compute sha-256 by default (what browsers put in SDP, and the hash RFC 8122 requires
everyone to support) and verify against any listed fingerprint whose hash we know.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from .errors import FingerprintError

HASH_FUNCTIONS: Final[Mapping[str, str]] = {
    "sha-1": "sha1",
    "sha-224": "sha224",
    "sha-256": "sha256",
    "sha-384": "sha384",
    "sha-512": "sha512",
}
"""SDP hash names (RFC 8122 §5, IANA registry) to ``hashlib`` names."""

DEFAULT_ALGORITHMS: Final = ("sha-256",)
ALL_ALGORITHMS: Final = ("sha-256", "sha-384", "sha-512")


@dataclass(frozen=True, slots=True)
class RTCDtlsFingerprint:
    """W3C ``RTCDtlsFingerprint``: a hash function name and a certificate fingerprint."""

    algorithm: str
    """The hash function's textual name, for instance ``"sha-256"``."""
    value: str
    """Upper-case hex pairs joined by colons, as in ``a=fingerprint``."""

    @classmethod
    def from_sdp(cls, text: str) -> RTCDtlsFingerprint:
        """Parse the value of an ``a=fingerprint:`` line (``"sha-256 AB:CD:..."``)."""
        parts = text.split()
        if len(parts) != 2:
            raise FingerprintError(f"expected '<hash> <fingerprint>', got {text!r}")
        algorithm, value = parts[0].lower(), parts[1].upper()
        fingerprint_bytes(value)
        return cls(algorithm, value)

    def to_sdp(self) -> str:
        return f"{self.algorithm} {self.value}"


def format_fingerprint(digest: bytes) -> str:
    """``b"\\xab\\xcd"`` -> ``"AB:CD"``."""
    return ":".join(f"{b:02X}" for b in digest)


def fingerprint_bytes(value: str) -> bytes:
    """The digest written in ``value``; raises :class:`FingerprintError` if it is malformed."""
    pairs = value.split(":")
    if not value or any(len(p) != 2 for p in pairs):
        raise FingerprintError(f"fingerprint must be hex pairs joined by colons: {value!r}")
    try:
        return bytes.fromhex("".join(pairs))
    except ValueError:
        raise FingerprintError(f"fingerprint is not hexadecimal: {value!r}") from None


def certificate_fingerprint(der: bytes, algorithm: str = "sha-256") -> RTCDtlsFingerprint:
    """The fingerprint of a DER-encoded certificate with one of :data:`HASH_FUNCTIONS`."""
    name = HASH_FUNCTIONS.get(algorithm.lower())
    if name is None:
        raise FingerprintError(f"unsupported fingerprint hash function {algorithm!r}")
    return RTCDtlsFingerprint(
        algorithm.lower(), format_fingerprint(hashlib.new(name, der).digest())
    )


class FingerprintVerifier:
    """Checks a peer certificate against the fingerprints of the remote description.

    Built once per connection so that malformed input is reported when the connection is set
    up (a :class:`FingerprintError`, local misuse), not in the middle of a handshake. Entries
    with hash functions we do not know are ignored (RFC 8122 §5); if none is left, nothing could
    ever be verified, which is also an error.
    """

    __slots__ = ("_expected",)

    def __init__(self, fingerprints: Iterable[RTCDtlsFingerprint]) -> None:
        expected: dict[str, set[bytes]] = {}
        for fp in fingerprints:
            name = HASH_FUNCTIONS.get(fp.algorithm.lower())
            if name is None:
                continue
            expected.setdefault(name, set()).add(fingerprint_bytes(fp.value))
        if not expected:
            known = ", ".join(HASH_FUNCTIONS)
            raise FingerprintError(f"no remote fingerprint uses a known hash function ({known})")
        self._expected = expected

    def matches(self, der: bytes) -> bool:
        """True when the certificate matches any of the expected fingerprints."""
        return any(
            hashlib.new(name, der).digest() in digests for name, digests in self._expected.items()
        )
