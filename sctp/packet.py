"""The SCTP common header and its CRC32c checksum (RFC 9260 §3.1, Appendix A).

A packet is a 12-byte common header (source port, destination port, verification tag,
checksum) followed by chunks. The checksum is CRC32c over the whole packet with the checksum
field taken as zero, stored least-significant byte first (the byte order the reflected CRC of
Appendix A produces, and what every deployed stack writes).

Sending reuses the CRC of the constant 8-byte header prefix: the association computes it once
(:func:`header_crc`) and :func:`seal` only extends it over the chunk bytes, so each packet costs
one pass of the C CRC over its body and one join.

Over DTLS the CRC adds nothing to DTLS's own integrity check, so RFC 9653 lets two endpoints
that both announce it (Zero Checksum Acceptable, error detection method 1: DTLS) send packets
with a zero checksum field: :func:`seal_zero`. A receiver that announced it accepts such
packets without computing anything, and still checks every non-zero checksum.
"""

from __future__ import annotations

import struct
from typing import Final

from google_crc32c import extend as _crc_extend
from google_crc32c import value as _crc_value

from .errors import SctpParseError

COMMON_HEADER: Final = struct.Struct("!HHI")
"""Source port, destination port, verification tag: the checksum follows as 4 more bytes."""
FULL_HEADER: Final = struct.Struct("!HHII")
"""The whole common header; the last field is the raw checksum (only compared with zero)."""
COMMON_HEADER_SIZE: Final = 12
_CHECKSUM: Final = struct.Struct("<I")
_ZERO4: Final = b"\x00\x00\x00\x00"


def header_prefix(src_port: int, dst_port: int, vtag: int) -> bytes:
    """The first 8 bytes of every packet an association sends with this tag."""
    return COMMON_HEADER.pack(src_port, dst_port, vtag)


def header_crc(prefix: bytes) -> int:
    """CRC32c of the 12 header bytes with a zero checksum: the seed :func:`seal` extends."""
    return _crc_value(prefix + _ZERO4)  # type: ignore[no-any-return]


def seal(prefix: bytes, prefix_crc: int, body: bytes) -> bytes:
    """A complete packet: the header prefix, the checksum over everything, then the chunks."""
    return prefix + _CHECKSUM.pack(_crc_extend(prefix_crc, body)) + body


def seal_zero(prefix: bytes, body: bytes) -> bytes:
    """A packet with a zero checksum field (RFC 9653), once both ends accepted that."""
    return prefix + _ZERO4 + body


def build(src_port: int, dst_port: int, vtag: int, body: bytes) -> bytes:
    """A complete packet from scratch (tests, one-off replies; the hot path uses :func:`seal`)."""
    prefix = header_prefix(src_port, dst_port, vtag)
    return seal(prefix, header_crc(prefix), body)


def checksum_ok(data: bytes) -> bool:
    """True when the packet's CRC32c matches; the caller has checked ``len(data) >= 12``."""
    expected = _CHECKSUM.unpack_from(data, 8)[0]
    actual = _crc_extend(_crc_value(data[:8] + _ZERO4), data[12:])
    return bool(actual == expected)


def parse_header(data: bytes) -> tuple[int, int, int]:
    """``(src_port, dst_port, vtag)`` of a packet, or :class:`SctpParseError` if too short."""
    if len(data) < COMMON_HEADER_SIZE:
        raise SctpParseError("packet shorter than the 12-byte common header", len(data))
    src, dst, vtag = COMMON_HEADER.unpack_from(data, 0)
    return src, dst, vtag


def with_checksum(data: bytes) -> bytes:
    """The same packet with its checksum recomputed (for tests that forge packets)."""
    return (
        data[:8] + _CHECKSUM.pack(_crc_extend(_crc_value(data[:8] + _ZERO4), data[12:])) + data[12:]
    )
