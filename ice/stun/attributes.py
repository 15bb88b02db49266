"""STUN attribute types and the codecs of their values (RFC 8489 §14, RFC 8445 §16.1, RFC 8656 §18).

A message keeps every attribute as raw bytes (see :mod:`ice.stun.message`); the functions here turn
one value into a Python value and back. Decoders raise :class:`~ice.errors.StunError` for a value
that does not follow its attribute's format, so a caller that reads an attribute it needs decides
whether the whole message is dropped.

Addresses are ``(host, port)`` tuples with the host in its canonical text form (``"192.0.2.1"``,
``"2001:db8::1"``), the form asyncio hands out, so comparisons with socket addresses just work.
"""

from __future__ import annotations

import ipaddress
import struct
from enum import IntEnum
from functools import lru_cache
from typing import Final

from ..errors import StunError

Address = tuple[str, int]

MAGIC_COOKIE: Final = 0x2112A442
_COOKIE_BYTES: Final = MAGIC_COOKIE.to_bytes(4, "big")

_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")
_U64 = struct.Struct("!Q")
_ADDR_HEADER = struct.Struct("!xBH")
_ERROR_HEADER = struct.Struct("!HBB")


class Attr(IntEnum):
    """Attribute types. Below 0x8000 a receiver must understand them (comprehension-required)."""

    # RFC 8489 (STUN)
    MAPPED_ADDRESS = 0x0001
    USERNAME = 0x0006
    MESSAGE_INTEGRITY = 0x0008
    ERROR_CODE = 0x0009
    UNKNOWN_ATTRIBUTES = 0x000A
    REALM = 0x0014
    NONCE = 0x0015
    MESSAGE_INTEGRITY_SHA256 = 0x001C
    PASSWORD_ALGORITHM = 0x001D
    USERHASH = 0x001E
    XOR_MAPPED_ADDRESS = 0x0020
    PASSWORD_ALGORITHMS = 0x8002
    ALTERNATE_DOMAIN = 0x8003
    SOFTWARE = 0x8022
    ALTERNATE_SERVER = 0x8023
    FINGERPRINT = 0x8028
    # RFC 8445 (ICE)
    PRIORITY = 0x0024
    USE_CANDIDATE = 0x0025
    ICE_CONTROLLED = 0x8029
    ICE_CONTROLLING = 0x802A
    # RFC 8656 (TURN), RFC 6156 (TURN IPv6), RFC 8016 (mobility)
    CHANNEL_NUMBER = 0x000C
    LIFETIME = 0x000D
    XOR_PEER_ADDRESS = 0x0012
    DATA = 0x0013
    XOR_RELAYED_ADDRESS = 0x0016
    REQUESTED_ADDRESS_FAMILY = 0x0017
    EVEN_PORT = 0x0018
    REQUESTED_TRANSPORT = 0x0019
    DONT_FRAGMENT = 0x001A
    RESERVATION_TOKEN = 0x0022
    ADDITIONAL_ADDRESS_FAMILY = 0x8000
    ADDRESS_ERROR_CODE = 0x8001
    ICMP = 0x8004
    # RFC 5780 (NAT behaviour discovery), sent by some servers in binding responses
    RESPONSE_ORIGIN = 0x802B
    OTHER_ADDRESS = 0x802C


KNOWN_ATTRIBUTES: Final = frozenset(int(a) for a in Attr)


def comprehension_required(attr_type: int) -> bool:
    """RFC 8489 §14: types 0x0000-0x7FFF must be understood or the request is refused (420)."""
    return attr_type < 0x8000


# Longest values the RFCs allow, in bytes (RFC 8489 §14.3, §14.9, §14.10, §14.14).
TEXT_LIMITS: Final[dict[int, int]] = {
    Attr.USERNAME: 513,
    Attr.REALM: 763,
    Attr.NONCE: 763,
    Attr.SOFTWARE: 763,
    Attr.ALTERNATE_DOMAIN: 255,
}


# --- integers and flags -----------------------------------------------------------------------


def encode_u32(value: int) -> bytes:
    return _U32.pack(value)


def attribute_name(attr: int) -> str:
    try:
        return Attr(attr).name.replace("_", "-")
    except ValueError:
        return f"0x{attr:04x}"


def decode_u32(value: bytes, attr: int = 0) -> int:
    if len(value) != 4:
        raise StunError(f"{attribute_name(attr)} must be 4 bytes, got {len(value)}")
    result: int = _U32.unpack(value)[0]
    return result


def encode_u64(value: int) -> bytes:
    return _U64.pack(value)


def decode_u64(value: bytes, attr: int = 0) -> int:
    if len(value) != 8:
        raise StunError(f"{attribute_name(attr)} must be 8 bytes, got {len(value)}")
    result: int = _U64.unpack(value)[0]
    return result


# --- text ---------------------------------------------------------------------------------------


def encode_text(attr_type: int, value: str) -> bytes:
    data = value.encode("utf-8")
    limit = TEXT_LIMITS.get(attr_type)
    if limit is not None and len(data) > limit:
        raise StunError(f"attribute 0x{attr_type:04x} longer than {limit} bytes")
    return data


def decode_text(attr_type: int, value: bytes) -> str:
    limit = TEXT_LIMITS.get(attr_type)
    if limit is not None and len(value) > limit:
        raise StunError(f"attribute 0x{attr_type:04x} longer than {limit} bytes")
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StunError(f"attribute 0x{attr_type:04x} is not UTF-8") from exc


# --- addresses (RFC 8489 §14.1, §14.2) ----------------------------------------------------------


@lru_cache(maxsize=4096)
def _pack_host(host: str) -> tuple[int, bytes]:
    """Family code and packed bytes of an IP literal; cached because a session reuses a handful."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError as exc:
        raise StunError(f"not an IP address: {host!r}") from exc
    return (1, ip.packed) if ip.version == 4 else (2, ip.packed)


def _unpack_host(family: int, raw: bytes) -> str:
    if family == 1:
        return f"{raw[0]}.{raw[1]}.{raw[2]}.{raw[3]}"
    return ipaddress.IPv6Address(raw).compressed


def _check_address(value: bytes, attr: int) -> tuple[int, int]:
    if len(value) < 8:
        what = attribute_name(attr)
        raise StunError(f"{what} too short ({len(value)} bytes)")
    family, port = _ADDR_HEADER.unpack_from(value)
    expected = 8 if family == 1 else 20 if family == 2 else 0
    if not expected:
        raise StunError(f"{attribute_name(attr)} has unknown address family {family}")
    if len(value) != expected:
        raise StunError(
            f"{attribute_name(attr)} is {len(value)} bytes, family {family} needs {expected}"
        )
    return family, port


def encode_address(address: Address) -> bytes:
    family, packed = _pack_host(address[0])
    return _ADDR_HEADER.pack(family, address[1]) + packed


def decode_address(value: bytes, attr: int = 0x0001) -> Address:
    family, port = _check_address(value, attr)
    return _unpack_host(family, value[4:]), port


def _xor_mask(family: int, transaction_id: bytes) -> bytes:
    return _COOKIE_BYTES if family == 1 else _COOKIE_BYTES + transaction_id


def encode_xor_address(address: Address, transaction_id: bytes) -> bytes:
    """XOR-MAPPED-ADDRESS and kin: port and address XORed with the cookie (and the id for v6)."""
    family, packed = _pack_host(address[0])
    mask = _xor_mask(family, transaction_id)
    xored = bytes(a ^ b for a, b in zip(packed, mask, strict=True))
    return _ADDR_HEADER.pack(family, address[1] ^ (MAGIC_COOKIE >> 16)) + xored


def decode_xor_address(value: bytes, transaction_id: bytes, attr: int = 0x0020) -> Address:
    family, port = _check_address(value, attr)
    mask = _xor_mask(family, transaction_id)
    raw = bytes(a ^ b for a, b in zip(value[4:], mask, strict=True))
    return _unpack_host(family, raw), port ^ (MAGIC_COOKIE >> 16)


# --- ERROR-CODE and UNKNOWN-ATTRIBUTES (RFC 8489 §14.8, §14.13) --------------------------------


def encode_error_code(code: int, reason: str) -> bytes:
    if not 300 <= code <= 699:
        raise StunError(f"error code {code} outside 300-699")
    text = reason.encode("utf-8")[:763]
    return _ERROR_HEADER.pack(0, code // 100, code % 100) + text


def decode_error_code(value: bytes) -> tuple[int, str]:
    if len(value) < 4:
        raise StunError(f"ERROR-CODE too short ({len(value)} bytes)")
    _, klass, number = _ERROR_HEADER.unpack_from(value)
    klass &= 0x07
    if not 3 <= klass <= 6 or number > 99:
        raise StunError(f"ERROR-CODE class {klass} number {number} out of range")
    try:
        reason = value[4:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StunError("ERROR-CODE reason is not UTF-8") from exc
    return klass * 100 + number, reason


def encode_unknown_attributes(types: list[int]) -> bytes:
    return b"".join(_U16.pack(t) for t in types)


def decode_unknown_attributes(value: bytes) -> list[int]:
    if len(value) % 2:
        raise StunError("UNKNOWN-ATTRIBUTES has an odd length")
    return [t for (t,) in _U16.iter_unpack(value)]


# --- TURN values that are not addresses (RFC 8656 §18) -------------------------------------------


def encode_requested_transport(protocol: int) -> bytes:
    """REQUESTED-TRANSPORT: the IP protocol number (17 for UDP) and three reserved bytes."""
    return bytes((protocol, 0, 0, 0))


def decode_requested_transport(value: bytes) -> int:
    if len(value) != 4:
        raise StunError("REQUESTED-TRANSPORT must be 4 bytes")
    return value[0]


def encode_channel_number(channel: int) -> bytes:
    return _U16.pack(channel) + b"\x00\x00"


def decode_channel_number(value: bytes) -> int:
    if len(value) != 4:
        raise StunError("CHANNEL-NUMBER must be 4 bytes")
    result: int = _U16.unpack_from(value)[0]
    return result
