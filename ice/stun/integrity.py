"""MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT (RFC 8489 §14.5-14.7, §9.2.2).

Each of the three is computed over the message *as if it ended with that attribute*: the header's
length field is rewritten to cover the attribute being computed and nothing after it, then the
bytes up to (not including) the attribute are hashed. The helpers take the prefix and the length
to pretend, so the encoder and the verifier share them without building intermediate messages.
"""

from __future__ import annotations

import hashlib
import hmac
import zlib
from typing import Final

FINGERPRINT_XOR: Final = 0x5354554E
INTEGRITY_SHA1_SIZE: Final = 20


def _with_length(prefix: bytes | bytearray, length: int) -> bytes:
    """The prefix with the header length field replaced by ``length``."""
    return bytes(prefix[:2]) + length.to_bytes(2, "big") + bytes(prefix[4:])


def hmac_sha1(key: bytes, prefix: bytes | bytearray, length: int) -> bytes:
    """MESSAGE-INTEGRITY value over ``prefix`` with the header length set to ``length``."""
    return hmac.digest(key, _with_length(prefix, length), "sha1")


def hmac_sha256(key: bytes, prefix: bytes | bytearray, length: int) -> bytes:
    """MESSAGE-INTEGRITY-SHA256 value (32 bytes; a sender may truncate to 16-32, RFC 8489 §14.6)."""
    return hmac.digest(key, _with_length(prefix, length), "sha256")


def fingerprint(prefix: bytes | bytearray) -> int:
    """FINGERPRINT value: CRC-32 of everything before it, XORed with 0x5354554e (RFC 8489 §14.7).

    The header length in ``prefix`` must already count the FINGERPRINT attribute.
    """
    return zlib.crc32(prefix) ^ FINGERPRINT_XOR


def long_term_key(username: str, realm: str, password: str) -> bytes:
    """The long-term credential key, MD5(username ":" realm ":" password) (RFC 8489 §9.2.2).

    The password is expected to be already processed with OpaqueString (RFC 8265); for the
    ASCII passwords TURN servers hand out that is the identity.
    """
    return hashlib.md5(f"{username}:{realm}:{password}".encode(), usedforsecurity=False).digest()


def short_term_key(password: str) -> bytes:
    """The short-term key is the password itself (RFC 8489 §9.1.1); ICE uses the peer's ice-pwd."""
    return password.encode("utf-8")


def constant_time_equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)
