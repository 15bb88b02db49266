"""The STUN message: header, attribute list, integrity and fingerprint (RFC 8489 §5, §14).

Theory of operation
-------------------
:func:`parse_message` checks the framing eagerly (header bits, magic cookie, length, attribute
bounds and padding, a FINGERPRINT if present) and keeps every attribute value as raw bytes in an
insertion-ordered dict; values are decoded only when read, through the typed getters. Integrity is
verified on demand with :meth:`StunMessage.check_integrity`, because the key depends on the
USERNAME inside the message. Anything malformed raises :class:`~ice.errors.StunError`.

:meth:`StunMessage.encode` writes the attributes, then MESSAGE-INTEGRITY (and/or -SHA256) and
FINGERPRINT last, fixing the header length before each hash as §14.5-§14.7 require.

Attributes after MESSAGE-INTEGRITY other than MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are ignored
(§14.5); a repeated attribute keeps its first value, as most stacks do. Unknown attributes are kept
so the caller can answer unknown comprehension-required ones with 420 (§6.3.1).
"""

from __future__ import annotations

import struct
from enum import IntEnum
from typing import Final

from ..errors import StunError, StunFingerprintError
from . import attributes as a
from .attributes import Address, Attr
from .integrity import constant_time_equal, hmac_sha1, hmac_sha256
from .integrity import fingerprint as _crc

HEADER_SIZE: Final = 20
MAX_MESSAGE_SIZE: Final = 2048
"""Larger datagrams are refused: far above any ICE or TURN control message, well under UDP's
limit, so a flood of huge datagrams costs a length check, not a parse."""

_HEADER = struct.Struct("!HHI12s")
_ATTR_HEADER = struct.Struct("!HH")
_INTEGRITY_HEADER: Final = _ATTR_HEADER.pack(Attr.MESSAGE_INTEGRITY, 20)
_INTEGRITY256_HEADER: Final = _ATTR_HEADER.pack(Attr.MESSAGE_INTEGRITY_SHA256, 32)
_FINGERPRINT_HEADER: Final = _ATTR_HEADER.pack(Attr.FINGERPRINT, 4)
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")
_MI: Final = int(Attr.MESSAGE_INTEGRITY)
_MI256: Final = int(Attr.MESSAGE_INTEGRITY_SHA256)
_FP: Final = int(Attr.FINGERPRINT)


class StunClass(IntEnum):
    REQUEST = 0b00
    INDICATION = 0b01
    SUCCESS = 0b10
    ERROR = 0b11


class Method(IntEnum):
    BINDING = 0x001
    # TURN (RFC 8656 §17)
    ALLOCATE = 0x003
    REFRESH = 0x004
    SEND = 0x006
    DATA = 0x007
    CREATE_PERMISSION = 0x008
    CHANNEL_BIND = 0x009


def message_type(method: int, cls: int) -> int:
    """Interleave the 12 method bits and 2 class bits as in RFC 8489 §5, figure 3."""
    return (
        (method & 0x000F)
        | ((method & 0x0070) << 1)
        | ((method & 0x0F80) << 2)
        | ((cls & 0b01) << 4)
        | ((cls & 0b10) << 7)
    )


_TYPES: Final[dict[tuple[int, int], int]] = {
    (int(m), int(c)): message_type(m, c) for m in Method for c in StunClass
}


def split_type(mtype: int) -> tuple[int, int]:
    method = (mtype & 0x000F) | ((mtype & 0x00E0) >> 1) | ((mtype & 0x3E00) >> 2)
    cls = ((mtype >> 4) & 0b01) | ((mtype >> 7) & 0b10)
    return method, cls


_SPLIT: Final[dict[int, tuple[int, int]]] = {t: split_type(t) for t in _TYPES.values()}


def is_stun(data: bytes) -> bool:
    """A cheap test for "this datagram is STUN": RFC 7983 first byte, then the magic cookie."""
    return len(data) >= HEADER_SIZE and data[0] < 4 and data[4:8] == b"\x21\x12\xa4\x42"


class StunMessage:
    """One STUN message, parsed or being built. Attribute values are raw bytes; see the getters."""

    __slots__ = (
        "_integrity256_at",
        "_integrity_at",
        "attributes",
        "cls",
        "fingerprint_ok",
        "method",
        "raw",
        "transaction_id",
    )

    def __init__(
        self,
        method: int,
        cls: int,
        transaction_id: bytes,
        attributes: dict[int, bytes] | None = None,
    ) -> None:
        if len(transaction_id) != 12:
            raise StunError("transaction id must be 12 bytes")
        self.method = method
        self.cls = cls
        self.transaction_id = transaction_id
        self.attributes: dict[int, bytes] = attributes if attributes is not None else {}
        self.raw = b""
        """The datagram this message was parsed from (empty for a message being built)."""
        self.fingerprint_ok = False
        """True when the parsed message carried a FINGERPRINT (always checked when present)."""
        self._integrity_at = -1
        self._integrity256_at = -1

    def __repr__(self) -> str:
        names = [a.attribute_name(t) for t in self.attributes]
        return (
            f"StunMessage(method=0x{self.method:03x}, cls={StunClass(self.cls).name}, "
            f"tid={self.transaction_id.hex()}, attributes={names})"
        )

    # --- integrity ------------------------------------------------------------------------------

    @property
    def has_integrity(self) -> bool:
        return self._integrity_at >= 0 or self._integrity256_at >= 0

    def check_integrity(self, key: bytes) -> bool:
        """Verify MESSAGE-INTEGRITY-SHA256 if present, else MESSAGE-INTEGRITY (RFC 8489 §9.1.3).

        False when the message carries neither, or when the code does not match ``key``.
        """
        raw = memoryview(self.raw)
        at = self._integrity256_at
        if at >= 0:
            size = _ATTR_HEADER.unpack_from(raw, at)[1]
            length = _U16.pack(at + 4 + size - HEADER_SIZE)
            mac = hmac_sha256(key, raw[:2], length, raw[4:at])
            return constant_time_equal(mac[:size], raw[at + 4 : at + 4 + size])
        at = self._integrity_at
        if at < 0:
            return False
        mac = hmac_sha1(key, raw[:2], _U16.pack(at + 4), raw[4:at])
        return constant_time_equal(mac, raw[at + 4 : at + 24])

    # --- typed getters: None when absent, StunError when malformed ------------------------------

    def get_text(self, attr: int) -> str | None:
        value = self.attributes.get(attr)
        return None if value is None else a.decode_text(attr, value)

    def get_u32(self, attr: int) -> int | None:
        value = self.attributes.get(attr)
        return None if value is None else a.decode_u32(value, attr)

    def get_u64(self, attr: int) -> int | None:
        value = self.attributes.get(attr)
        return None if value is None else a.decode_u64(value, attr)

    def get_address(self, attr: int) -> Address | None:
        value = self.attributes.get(attr)
        return None if value is None else a.decode_address(value, attr)

    def get_xor_address(self, attr: int) -> Address | None:
        value = self.attributes.get(attr)
        if value is None:
            return None
        return a.decode_xor_address(value, self.transaction_id, attr)

    def get_error_code(self) -> tuple[int, str] | None:
        value = self.attributes.get(Attr.ERROR_CODE)
        return None if value is None else a.decode_error_code(value)

    def get_unknown_attributes(self) -> list[int] | None:
        value = self.attributes.get(Attr.UNKNOWN_ATTRIBUTES)
        return None if value is None else a.decode_unknown_attributes(value)

    def has(self, attr: int) -> bool:
        return attr in self.attributes

    def unknown_required(self) -> list[int]:
        """Comprehension-required attribute types this implementation does not know (§6.3.1)."""
        return [t for t in self.attributes if t < 0x8000 and t not in a.KNOWN_ATTRIBUTES]

    # --- typed setters, for building ----------------------------------------------------------

    def set_text(self, attr: int, value: str) -> None:
        self.attributes[attr] = a.encode_text(attr, value)

    def set_u32(self, attr: int, value: int) -> None:
        self.attributes[attr] = a.encode_u32(value)

    def set_u64(self, attr: int, value: int) -> None:
        self.attributes[attr] = a.encode_u64(value)

    def set_flag(self, attr: int) -> None:
        self.attributes[attr] = b""

    def set_address(self, attr: int, address: Address) -> None:
        self.attributes[attr] = a.encode_address(address)

    def set_xor_address(self, attr: int, address: Address) -> None:
        self.attributes[attr] = a.encode_xor_address(address, self.transaction_id)

    def set_error_code(self, code: int, reason: str) -> None:
        self.attributes[Attr.ERROR_CODE] = a.encode_error_code(code, reason)

    # --- encoding -------------------------------------------------------------------------------

    def encode(
        self,
        *,
        key: bytes | None = None,
        sha256: bool = False,
        fingerprint: bool = True,
    ) -> bytes:
        """The message on the wire, signed with ``key`` if given and ended with a FINGERPRINT.

        ``sha256`` selects MESSAGE-INTEGRITY-SHA256 instead of the SHA-1 MESSAGE-INTEGRITY.
        """
        return encode_message(
            self.method,
            self.cls,
            self.transaction_id,
            self.attributes,
            key=key,
            sha256=sha256,
            fingerprint=fingerprint,
        )


def encode_message(
    method: int,
    cls: int,
    transaction_id: bytes,
    attributes: dict[int, bytes],
    *,
    key: bytes | None = None,
    sha256: bool = False,
    fingerprint: bool = True,
    padding: bytes = b"\x00",
) -> bytes:
    """Serialise a message from raw attribute values (the fast path used by the agent).

    ``padding`` is the byte that fills attributes to a multiple of four; receivers ignore it
    (§14), RFC 5769's vectors use spaces, so tests can reproduce them byte for byte.
    """
    parts: list[bytes] = []
    append = parts.append
    pack_attr = _ATTR_HEADER.pack
    body_size = 0
    for attr_type, value in attributes.items():
        size = len(value)
        pad = -size & 3
        append(pack_attr(attr_type, size))
        append(value)
        if pad:
            append(padding * pad)
        body_size += 4 + size + pad
    body = b"".join(parts)
    mtype = _TYPES.get((method, cls)) or message_type(method, cls)
    pack_header = _HEADER.pack
    tail: list[bytes] = []
    if key is not None:
        if sha256:
            body_size += 36
            header = pack_header(mtype, body_size, a.MAGIC_COOKIE, transaction_id)
            tail += (_INTEGRITY256_HEADER, hmac_sha256(key, header, body))
        else:
            body_size += 24
            header = pack_header(mtype, body_size, a.MAGIC_COOKIE, transaction_id)
            tail += (_INTEGRITY_HEADER, hmac_sha1(key, header, body))
    if fingerprint:
        body_size += 8
        header = pack_header(mtype, body_size, a.MAGIC_COOKIE, transaction_id)
        tail += (_FINGERPRINT_HEADER, _U32.pack(_crc(header, body, *tail)))
    else:
        header = pack_header(mtype, body_size, a.MAGIC_COOKIE, transaction_id)
    return b"".join((header, body, *tail))


def parse_message(data: bytes) -> StunMessage:
    """Parse and frame-check one datagram; raise :class:`StunError` if it is not valid STUN."""
    size = len(data)
    if size < HEADER_SIZE:
        raise StunError(f"{size} bytes is shorter than a STUN header")
    if size > MAX_MESSAGE_SIZE:
        raise StunError(f"{size} bytes is larger than the {MAX_MESSAGE_SIZE}-byte limit")
    mtype, length, cookie, transaction_id = _HEADER.unpack_from(data)
    if mtype & 0xC000:
        raise StunError("the two leading bits of a STUN message must be zero", offset=0)
    if cookie != a.MAGIC_COOKIE:
        raise StunError("wrong magic cookie", offset=4)
    if length & 3:
        raise StunError(f"message length {length} is not a multiple of 4", offset=2)
    if length + HEADER_SIZE != size:
        raise StunError(f"header says {length} bytes of attributes, datagram has {size - 20}")
    method, cls = _SPLIT.get(mtype) or split_type(mtype)
    attrs: dict[int, bytes] = {}
    integrity_at = integrity256_at = -1
    fingerprint_ok = False
    unpack_attr = _ATTR_HEADER.unpack_from
    pos = HEADER_SIZE
    sealed = False  # past MESSAGE-INTEGRITY: later attributes are ignored (§14.5)
    while pos < size:
        if pos + 4 > size:
            raise StunError("truncated attribute header", offset=pos)
        attr_type, attr_len = unpack_attr(data, pos)
        start = pos + 4
        end = start + attr_len
        padded = end + (-attr_len & 3)
        if padded > size:
            raise StunError(f"attribute 0x{attr_type:04x} runs past the message", offset=pos)
        if attr_type == _FP:
            if attr_len != 4 or padded != size:
                raise StunError("FINGERPRINT must be 4 bytes and last", offset=pos)
            if _U32.unpack_from(data, start)[0] != _crc(memoryview(data)[:pos]):
                raise StunFingerprintError("FINGERPRINT does not match", offset=pos)
            fingerprint_ok = True
        elif attr_type == _MI:
            if attr_len != 20:
                raise StunError("MESSAGE-INTEGRITY must be 20 bytes", offset=pos)
            if not sealed:
                integrity_at = pos
                sealed = True
        elif attr_type == _MI256:
            if attr_len < 16 or attr_len > 32 or attr_len & 3:
                raise StunError("MESSAGE-INTEGRITY-SHA256 must be 16-32 bytes", offset=pos)
            if integrity256_at < 0:
                integrity256_at = pos
                sealed = True
        elif not sealed and attr_type not in attrs:
            attrs[attr_type] = data[start:end]
        pos = padded
    message = _new_message(StunMessage)
    message.method = method
    message.cls = cls
    message.transaction_id = transaction_id
    message.attributes = attrs
    message.raw = data
    message.fingerprint_ok = fingerprint_ok
    message._integrity_at = integrity_at
    message._integrity256_at = integrity256_at
    return message


_new_message = object.__new__
