"""Protection of application-data records after the handshake (RFC 5246 §6.2.3.3, RFC 6347 §4.1).

Why this exists: OpenSSL runs the handshake, but every record through pyOpenSSL costs about
9.5 µs to write and 9.7 µs to read on our reference machine (cffi calls, a fresh buffer and an
error check per call), while the AEAD itself takes under 2 µs. Application data is the
data-channel hot path, so once the handshake is done we protect records ourselves with the
``cryptography`` package's AEADs and the keys of the session OpenSSL negotiated:

* the key block comes from the TLS 1.2 PRF (RFC 5246 §5, §6.3) over pyOpenSSL's public
  ``master_key()``, ``client_random()`` and ``server_random()`` (with the extended master
  secret of RFC 7627 when negotiated, since that is what ``master_key()`` returns);
* AES-GCM records carry an 8-byte explicit nonce after the header and use the 4-byte implicit
  salt from the key block (RFC 5288 §3); ChaCha20-Poly1305 records have no explicit nonce and
  XOR the 64-bit sequence number into a 12-byte IV (RFC 7905 §2);
* the additional data is ``epoch|sequence (8) | type | version | plaintext length``
  (RFC 5246 §6.2.3.3 with RFC 6347 §4.1.2.1's 64-bit sequence number).

The one invariant that keeps this safe: a (key, nonce) pair is never used twice. OpenSSL and we
share the epoch-1 sequence space of our direction, so the core starts our counter after the
highest sequence number OpenSSL wrote and never lets OpenSSL write again. Only AEAD suites are
offered (``SUITES``); there is no MAC-then-encrypt code here.
"""

from __future__ import annotations

import hmac
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from .records import DTLS_1_2, HEADER, HEADER_SIZE, MAX_SEQUENCE

if TYPE_CHECKING:
    from .stats import DtlsStats

_AAD: Final = struct.Struct("!HHIBHH")
"""epoch, sequence high 16, sequence low 32, type, version, length: the AEAD additional data."""
_GCM_NONCE: Final = struct.Struct("!4sHHI")
"""implicit salt, then the explicit part: epoch and sequence number."""
_HEADER_EXPLICIT: Final = struct.Struct("!BHHHIHHHI")
"""The record header followed by the 8-byte explicit nonce (epoch and sequence again)."""
_pack_aad: Final = _AAD.pack
_pack_gcm_nonce: Final = _GCM_NONCE.pack
_pack_header_explicit: Final = _HEADER_EXPLICIT.pack
_unpack_header: Final = HEADER.unpack_from
_WINDOW_MASK: Final = (1 << 64) - 1
_APPLICATION_DATA: Final = 23
_MIN_GCM_RECORD: Final = HEADER_SIZE + 8 + 16
"""An AES-GCM record with an empty payload: header, explicit nonce, tag."""
REPLAY_WINDOW: Final = 64
"""Sequence numbers remembered behind the highest one (RFC 6347 §4.1.2.6 asks at least 32)."""
_TAG_SIZE: Final = 16


@dataclass(frozen=True, slots=True)
class CipherSuite:
    """What the record layer needs to know about a negotiated AEAD cipher suite."""

    name: str
    """OpenSSL's name, as ``SSL_get_cipher_name`` returns it."""
    key_length: int
    iv_length: int
    """4 (implicit salt) for AES-GCM, 12 for ChaCha20-Poly1305."""
    prf_hash: str
    """The hash of the TLS 1.2 PRF for this suite (RFC 5246 §5, RFC 5288 §3)."""
    explicit_nonce: bool

    @property
    def overhead(self) -> int:
        """Bytes a record adds to its plaintext: header, explicit nonce, tag."""
        return HEADER_SIZE + (8 if self.explicit_nonce else 0) + _TAG_SIZE


def _gcm(name: str, key_length: int, prf_hash: str) -> CipherSuite:
    return CipherSuite(name, key_length, 4, prf_hash, explicit_nonce=True)


def _chacha(name: str) -> CipherSuite:
    return CipherSuite(name, 32, 12, "sha256", explicit_nonce=False)


SUITES: Final[Mapping[str, CipherSuite]] = {
    s.name: s
    for s in (
        _gcm("ECDHE-ECDSA-AES128-GCM-SHA256", 16, "sha256"),
        _gcm("ECDHE-RSA-AES128-GCM-SHA256", 16, "sha256"),
        _gcm("ECDHE-ECDSA-AES256-GCM-SHA384", 32, "sha384"),
        _gcm("ECDHE-RSA-AES256-GCM-SHA384", 32, "sha384"),
        _chacha("ECDHE-ECDSA-CHACHA20-POLY1305"),
        _chacha("ECDHE-RSA-CHACHA20-POLY1305"),
    )
}
"""The suites we offer, in preference order: AES-128-GCM first (RFC 8827 §6.5 makes
TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 mandatory for WebRTC, and it is the fastest with
AES-NI), then AES-256-GCM, then ChaCha20-Poly1305."""

MAX_OVERHEAD: Final = max(s.overhead for s in SUITES.values())


def tls12_prf(secret: bytes, label: bytes, seed: bytes, length: int, hash_name: str) -> bytes:
    """``PRF(secret, label, seed)`` of RFC 5246 §5: ``P_hash(secret, label + seed)``."""
    seed = label + seed
    out = bytearray()
    a = seed
    while len(out) < length:
        a = hmac.digest(secret, a, hash_name)
        out += hmac.digest(secret, a + seed, hash_name)
    return bytes(out[:length])


@dataclass(frozen=True, slots=True, repr=False)
class TrafficKeys:
    """The write keys and IVs of both directions (RFC 5246 §6.3, no MAC keys for AEADs)."""

    client_key: bytes
    server_key: bytes
    client_iv: bytes
    server_iv: bytes


def derive_traffic_keys(
    suite: CipherSuite, master_secret: bytes, client_random: bytes, server_random: bytes
) -> TrafficKeys:
    """The key block: ``PRF(master_secret, "key expansion", server_random + client_random)``."""
    k, i = suite.key_length, suite.iv_length
    block = tls12_prf(
        master_secret, b"key expansion", server_random + client_random, 2 * (k + i), suite.prf_hash
    )
    return TrafficKeys(block[:k], block[k : 2 * k], block[2 * k : 2 * k + i], block[2 * k + i :])


def _aead(suite: CipherSuite, key: bytes) -> AESGCM | ChaCha20Poly1305:
    return AESGCM(key) if suite.explicit_nonce else ChaCha20Poly1305(key)


class RecordSealer:
    """Writes protected records of one epoch with strictly increasing sequence numbers."""

    __slots__ = ("_encrypt", "_epoch", "_explicit", "_iv", "_iv_int", "_next_sequence", "overhead")

    def __init__(
        self, suite: CipherSuite, key: bytes, iv: bytes, *, epoch: int, next_sequence: int
    ) -> None:
        self._encrypt = _aead(suite, key).encrypt
        self._explicit = suite.explicit_nonce
        self._iv = iv
        self._iv_int = int.from_bytes(iv, "big")
        self._epoch = epoch
        self._next_sequence = next_sequence
        self.overhead = suite.overhead

    @property
    def next_sequence(self) -> int:
        return self._next_sequence

    def seal(self, content_type: int, plaintext: bytes) -> bytes:
        """One protected record carrying ``plaintext``.

        Raises :class:`OverflowError` once the 48-bit sequence space is spent: reusing a
        sequence number would reuse a nonce (RFC 6347 §4.1 forbids wrapping).
        """
        seq = self._next_sequence
        if seq > MAX_SEQUENCE:
            raise OverflowError("DTLS sequence numbers of this epoch are exhausted")
        self._next_sequence = seq + 1
        epoch, hi, lo, size = self._epoch, seq >> 32, seq & 0xFFFFFFFF, len(plaintext)
        aad = _pack_aad(epoch, hi, lo, content_type, DTLS_1_2, size)
        if self._explicit:
            # RFC 5288 §3: the explicit nonce is ours to choose; the sequence number is unique.
            sealed = self._encrypt(_pack_gcm_nonce(self._iv, epoch, hi, lo), plaintext, aad)
            return (
                _pack_header_explicit(
                    content_type, DTLS_1_2, epoch, hi, lo, size + 8 + _TAG_SIZE, epoch, hi, lo
                )
                + sealed
            )
        nonce = (self._iv_int ^ ((epoch << 48) | seq)).to_bytes(12, "big")
        sealed = self._encrypt(nonce, plaintext, aad)
        return HEADER.pack(content_type, DTLS_1_2, epoch, hi, lo, size + _TAG_SIZE) + sealed


class RecordOpener:
    """Reads records of one epoch from the peer: replay window, then authentication.

    The anti-replay window of RFC 6347 §4.1.2.6 lives here, one per epoch: ``_top`` is the
    highest sequence number of an authenticated record and bit ``i`` of ``_bitmap`` says
    whether ``_top - i`` was seen. A record is checked against the window before it is
    decrypted and marked only after it authenticated, so forged records cannot move the window.
    Drops are counted in the ``stats`` object given (``dropped_replayed`` and
    ``dropped_unauthenticated``).
    """

    __slots__ = (
        "_bitmap",
        "_decrypt",
        "_explicit",
        "_iv",
        "_iv_int",
        "_stats",
        "_top",
        "deliver",
    )

    def __init__(
        self,
        suite: CipherSuite,
        key: bytes,
        iv: bytes,
        stats: DtlsStats,
        deliver: Callable[[bytes], None],
    ) -> None:
        self._decrypt = _aead(suite, key).decrypt
        self._explicit = suite.explicit_nonce
        self._iv = iv
        self._iv_int = int.from_bytes(iv, "big")
        self._stats = stats
        self._top = -1
        self._bitmap = 0
        self.deliver = deliver
        """Where application-data payloads go (the connection's sink or queue)."""

    def receive(self, data: bytes) -> bool:
        """The hot path: if ``data`` is exactly one application-data record of epoch 1,
        open it, hand the payload to :attr:`deliver` and return True (also when the record was
        dropped). Return False for anything else, which the caller handles record by record.

        This is :meth:`open` unrolled for the one case that carries data-channel traffic;
        AES-GCM only (ChaCha20 records take the general path).
        """
        size = len(data)
        if size < _MIN_GCM_RECORD or not self._explicit:
            return False
        ctype, version, epoch, hi, lo, length = _unpack_header(data)
        if (
            ctype != _APPLICATION_DATA
            or epoch != 1
            or length + HEADER_SIZE != size
            or version != DTLS_1_2
        ):
            return False
        sequence = (hi << 32) | lo
        offset = self._top - sequence
        if offset >= 0 and (offset >= REPLAY_WINDOW or (self._bitmap >> offset) & 1):
            self._stats.dropped_replayed += 1
            return True
        try:
            plaintext = self._decrypt(
                self._iv + data[13:21],
                data[21:],
                _pack_aad(epoch, hi, lo, ctype, version, size - _MIN_GCM_RECORD),
            )
        except InvalidTag:
            self._stats.dropped_unauthenticated += 1
            return True
        if offset < 0:
            self._bitmap = (
                ((self._bitmap << -offset) | 1) & _WINDOW_MASK if offset > -REPLAY_WINDOW else 1
            )
            self._top = sequence
        else:
            self._bitmap |= 1 << offset
        self._stats.records_received += 1
        self.deliver(plaintext)
        return True

    def open(
        self,
        data: bytes,
        start: int,
        end: int,
        header: tuple[int, int, int, int, int, int],
        *,
        replay_check: bool = True,
    ) -> bytes | None:
        """The plaintext of the record at ``data[start:end]``, or None if it was dropped.

        ``header`` is the record's parsed header (``records.HEADER`` fields). The version in
        the additional data is the one on the wire, so a tampered header fails authentication.
        With ``replay_check=False`` the record is only authenticated: the window is neither
        consulted nor moved.
        """
        ctype, version, epoch, hi, lo, _ = header
        sequence = (hi << 32) | lo
        offset = self._top - sequence
        if (
            replay_check
            and offset >= 0
            and (offset >= REPLAY_WINDOW or (self._bitmap >> offset) & 1)
        ):
            self._stats.dropped_replayed += 1
            return None
        body = start + HEADER_SIZE
        if self._explicit:
            nonce = self._iv + data[body : body + 8]
            body += 8
        else:
            nonce = (self._iv_int ^ ((epoch << 48) | sequence)).to_bytes(12, "big")
        size = end - body - _TAG_SIZE
        if size < 0:
            self._stats.dropped_unauthenticated += 1
            return None
        aad = _pack_aad(epoch, hi, lo, ctype, version, size)
        try:
            plaintext = self._decrypt(nonce, data[body:end], aad)
        except InvalidTag:
            self._stats.dropped_unauthenticated += 1
            return None
        if not replay_check:
            return plaintext
        if offset < 0:
            # Shift the window right up to the new top (a jump past it forgets everything).
            self._bitmap = (
                ((self._bitmap << -offset) | 1) & _WINDOW_MASK if offset > -REPLAY_WINDOW else 1
            )
            self._top = sequence
        else:
            self._bitmap |= 1 << offset
        return plaintext
