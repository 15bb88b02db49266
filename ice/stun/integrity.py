"""MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT (RFC 8489 §14.5-14.7, §9.2.2).

Each of the three is computed over the message *as if it ended with that attribute*: the header's
length field says so, and the bytes up to (not including) the attribute are hashed. Callers pass
the bytes as *parts* (the rewritten header, then the rest) so nothing is concatenated first.

HMAC (RFC 2104) is computed from cached per-key inner and outer hash states: an ICE agent signs
and verifies with two or three keys for its whole life, and starting from a copied state costs
less than half of what ``hmac.digest`` spends re-deriving the pads for every message.
"""

from __future__ import annotations

import hashlib
import hmac
import zlib
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from hashlib import _Hash

Buffer = bytes | bytearray | memoryview

FINGERPRINT_XOR: Final = 0x5354554E
_BLOCK: Final = 64  # SHA-1 and SHA-256 both hash 64-byte blocks
_IPAD: Final = bytes(x ^ 0x36 for x in range(256))
_OPAD: Final = bytes(x ^ 0x5C for x in range(256))


@lru_cache(maxsize=256)
def _pads(key: bytes, name: str) -> tuple[_Hash, _Hash]:
    new: Callable[[bytes], _Hash] = getattr(hashlib, name)
    if len(key) > _BLOCK:
        key = new(key).digest()
    key = key.ljust(_BLOCK, b"\x00")
    return new(key.translate(_IPAD)), new(key.translate(_OPAD))


def _hmac(key: bytes, name: str, parts: tuple[Buffer, ...]) -> bytes:
    inner_start, outer_start = _pads(key, name)
    inner = inner_start.copy()
    for part in parts:
        inner.update(part)
    outer = outer_start.copy()
    outer.update(inner.digest())
    return outer.digest()


def hmac_sha1(key: bytes, *parts: Buffer) -> bytes:
    """HMAC-SHA1 of the concatenated parts: the MESSAGE-INTEGRITY value (20 bytes)."""
    return _hmac(key, "sha1", parts)


def hmac_sha256(key: bytes, *parts: Buffer) -> bytes:
    """HMAC-SHA256 of the parts: MESSAGE-INTEGRITY-SHA256 (32 bytes; may be sent truncated)."""
    return _hmac(key, "sha256", parts)


def fingerprint(*parts: Buffer) -> int:
    """FINGERPRINT: CRC-32 of everything before it, XORed with 0x5354554e (RFC 8489 §14.7).

    The header among the parts must already count the FINGERPRINT attribute in its length.
    """
    crc = 0
    for part in parts:
        crc = zlib.crc32(part, crc)
    return crc ^ FINGERPRINT_XOR


def long_term_key(username: str, realm: str, password: str) -> bytes:
    """The long-term credential key, MD5(username ":" realm ":" password) (RFC 8489 §9.2.2).

    The password is expected to be already processed with OpaqueString (RFC 8265); for the
    ASCII passwords TURN servers hand out that is the identity.
    """
    return hashlib.md5(f"{username}:{realm}:{password}".encode(), usedforsecurity=False).digest()


def short_term_key(password: str) -> bytes:
    """The short-term key is the password itself (RFC 8489 §9.1.1); ICE uses the peer's ice-pwd."""
    return password.encode("utf-8")


def constant_time_equal(a: bytes, b: Buffer) -> bool:
    return hmac.compare_digest(a, b)
