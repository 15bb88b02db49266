"""The Data Channel Establishment Protocol codec (RFC 8832) and the WebRTC PPIDs (RFC 8831 §8).

DATA_CHANNEL_OPEN names the channel type (reliable or partial-reliable by retransmissions or by
time, ordered or not), its priority, the reliability parameter, the label and the protocol;
DATA_CHANNEL_ACK is a single byte. Both travel on the channel's own stream with PPID 50.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from .errors import SctpParseError

PPID_DCEP: Final = 50
PPID_STRING: Final = 51
PPID_BINARY_PARTIAL: Final = 52
PPID_BINARY: Final = 53
PPID_STRING_PARTIAL: Final = 54
PPID_STRING_EMPTY: Final = 56
PPID_BINARY_EMPTY: Final = 57

MSG_ACK: Final = 0x02
MSG_OPEN: Final = 0x03

CHANNEL_RELIABLE: Final = 0x00
CHANNEL_PARTIAL_RELIABLE_REXMIT: Final = 0x01
CHANNEL_PARTIAL_RELIABLE_TIMED: Final = 0x02
CHANNEL_UNORDERED: Final = 0x80

_OPEN: Final = struct.Struct("!BBHIHH")

PRIORITIES: Final[dict[str, int]] = {"very-low": 128, "low": 256, "medium": 512, "high": 1024}
"""W3C RTCPriorityType to the DCEP priority value (RFC 8832 §5.1, webrtc-priority §4.2)."""

ACK_MESSAGE: Final = bytes([MSG_ACK])


def priority_name(value: int) -> str:
    """The W3C priority for a DCEP value (the nearest level at or below it)."""
    name = "very-low"
    for level, threshold in PRIORITIES.items():
        if value >= threshold:
            name = level
    return name


@dataclass(frozen=True, slots=True)
class ChannelParameters:
    """How a data channel behaves: what DATA_CHANNEL_OPEN carries (RFC 8832 §5.1)."""

    label: str = ""
    protocol: str = ""
    ordered: bool = True
    max_retransmits: int | None = None
    max_packet_lifetime: int | None = None
    """Milliseconds."""
    priority: int = 256
    negotiated: bool = False
    """Opened out of band with an agreed id: no DCEP on the wire."""

    def __post_init__(self) -> None:
        if self.max_retransmits is not None and self.max_packet_lifetime is not None:
            raise TypeError("maxRetransmits and maxPacketLifeTime cannot both be set")
        for name, value in (
            ("max_retransmits", self.max_retransmits),
            ("max_packet_lifetime", self.max_packet_lifetime),
        ):
            if value is not None and not 0 <= value <= 0xFFFFFFFF:
                raise ValueError(f"{name} must be in 0..2**32-1")
        if not 0 <= self.priority <= 0xFFFF:
            raise ValueError("priority must be in 0..65535")
        if len(self.label.encode()) > 0xFFFF or len(self.protocol.encode()) > 0xFFFF:
            raise ValueError("label and protocol must each fit in 65535 bytes")

    @property
    def lifetime_seconds(self) -> float | None:
        return None if self.max_packet_lifetime is None else self.max_packet_lifetime / 1000


def encode_open(params: ChannelParameters) -> bytes:
    if params.max_retransmits is not None:
        kind, reliability = CHANNEL_PARTIAL_RELIABLE_REXMIT, params.max_retransmits
    elif params.max_packet_lifetime is not None:
        kind, reliability = CHANNEL_PARTIAL_RELIABLE_TIMED, params.max_packet_lifetime
    else:
        kind, reliability = CHANNEL_RELIABLE, 0
    if not params.ordered:
        kind |= CHANNEL_UNORDERED
    label = params.label.encode()
    protocol = params.protocol.encode()
    head = _OPEN.pack(MSG_OPEN, kind, params.priority, reliability, len(label), len(protocol))
    return head + label + protocol


def decode_open(data: bytes) -> ChannelParameters:
    """Decode DATA_CHANNEL_OPEN; raises :class:`SctpParseError` if it is not one."""
    if len(data) < _OPEN.size:
        raise SctpParseError("DATA_CHANNEL_OPEN shorter than 12 bytes", len(data))
    mtype, kind, priority, reliability, label_len, protocol_len = _OPEN.unpack_from(data, 0)
    if mtype != MSG_OPEN:
        raise SctpParseError(f"not a DATA_CHANNEL_OPEN (type {mtype})", 0)
    base = kind & ~CHANNEL_UNORDERED
    if base not in (
        CHANNEL_RELIABLE,
        CHANNEL_PARTIAL_RELIABLE_REXMIT,
        CHANNEL_PARTIAL_RELIABLE_TIMED,
    ):
        raise SctpParseError(f"unknown channel type {kind:#x}", 1)
    label, protocol = _label_and_protocol(bytes(data[_OPEN.size :]), label_len, protocol_len)
    return ChannelParameters(
        label=label,
        protocol=protocol,
        ordered=not kind & CHANNEL_UNORDERED,
        max_retransmits=reliability if base == CHANNEL_PARTIAL_RELIABLE_REXMIT else None,
        max_packet_lifetime=reliability if base == CHANNEL_PARTIAL_RELIABLE_TIMED else None,
        priority=priority,
    )


def _label_and_protocol(tail: bytes, label_len: int, protocol_len: int) -> tuple[str, str]:
    """Split what follows the fixed header into label and protocol (RFC 8832 §5.1: lengths in
    bytes of UTF-8).

    aiortc (through 1.x) writes the lengths in *characters*, so a non-ASCII label or protocol
    from it never adds up. When the byte reading fails but the character reading fits the
    message exactly, take that: the peer meant it, and the channel opens instead of hanging in
    "connecting" on its side.
    """
    if label_len + protocol_len == len(tail):
        try:
            return tail[:label_len].decode(), tail[label_len:].decode()
        except UnicodeDecodeError as exc:
            raise SctpParseError("label or protocol is not UTF-8", _OPEN.size) from exc
    try:
        text = tail.decode()
    except UnicodeDecodeError as exc:
        raise SctpParseError("label or protocol is not UTF-8", _OPEN.size) from exc
    if label_len + protocol_len != len(text):
        raise SctpParseError("label and protocol lengths do not match the message", _OPEN.size)
    return text[:label_len], text[label_len:]


def encode_message(data: bytes | str) -> tuple[int, bytes]:
    """PPID and payload for a user message; empty ones become one zero byte (RFC 8831 §6.6)."""
    if isinstance(data, str):
        return (PPID_STRING, data.encode()) if data else (PPID_STRING_EMPTY, b"\x00")
    return (PPID_BINARY, bytes(data)) if data else (PPID_BINARY_EMPTY, b"\x00")


def decode_message(ppid: int, payload: bytes) -> bytes | str | None:
    """The user message for a PPID, or None if the PPID is not a user-message PPID."""
    if ppid == PPID_BINARY:
        return payload
    if ppid == PPID_STRING:
        return payload.decode("utf-8", "replace")
    if ppid == PPID_BINARY_EMPTY:
        return b""
    if ppid == PPID_STRING_EMPTY:
        return ""
    return None
