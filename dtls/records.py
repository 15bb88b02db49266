"""DTLS record framing: headers, splitting datagrams, packing records, alert names.

RFC 6347 §4.1: every record starts with a 13-byte header::

    type(1) | version(2) | epoch(2) | sequence_number(6) | length(2) | fragment(length)

A datagram may carry several records, but a record never spans datagrams (§4.1.1). OpenSSL
writes its records into a memory BIO that is a plain byte stream, so the boundaries between the
datagrams it meant to send are lost; we find them again from these headers and pack whole
records into datagrams no larger than the path MTU (:func:`pack_datagrams`).

Incoming datagrams are checked here before anything else looks at them: a datagram whose
records do not tile it exactly, or that carries an unknown content type or version, is garbage
and is dropped whole (§4.1.2.7: invalid records are silently discarded).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, Mapping
from enum import IntEnum
from typing import Final, NamedTuple

HEADER: Final = struct.Struct("!BHHHIH")
"""type, version, epoch, sequence number high 16 bits, low 32 bits, length."""
HEADER_SIZE: Final = 13

DTLS_1_0: Final = 0xFEFF
DTLS_1_2: Final = 0xFEFD
MAX_SEQUENCE: Final = (1 << 48) - 1


class ContentType(IntEnum):
    """TLS record content types (RFC 5246 §6.2.1)."""

    CHANGE_CIPHER_SPEC = 20
    ALERT = 21
    HANDSHAKE = 22
    APPLICATION_DATA = 23


class Record(NamedTuple):
    """One record inside a datagram: its header fields and where it sits."""

    content_type: int
    version: int
    epoch: int
    sequence: int
    start: int
    """Offset of the header in the datagram."""
    end: int
    """Offset just past the fragment."""


def split_records(data: bytes) -> list[Record] | None:
    """The records of a datagram, or None when it is not a well-formed DTLS datagram.

    Well formed means: the records tile the datagram exactly, each has a known content type
    and a DTLS version number. (ClientHellos may carry 1.0 in the record layer, §4.1.)
    """
    records: list[Record] = []
    size = len(data)
    offset = 0
    if size == 0:
        return None
    while offset < size:
        if size - offset < HEADER_SIZE:
            return None
        ctype, version, epoch, seq_hi, seq_lo, length = HEADER.unpack_from(data, offset)
        end = offset + HEADER_SIZE + length
        if end > size or not 20 <= ctype <= 23 or version not in (DTLS_1_2, DTLS_1_0):
            return None
        records.append(Record(ctype, version, epoch, (seq_hi << 32) | seq_lo, offset, end))
        offset = end
    return records


def iter_stream_records(stream: bytes) -> Iterator[tuple[int, int, int]]:
    """Walk records OpenSSL wrote into its output BIO: ``(epoch, sequence, end)`` each.

    The stream is our own library's output, so a truncated tail can only be a bug; it is
    returned as one last chunk rather than lost.
    """
    offset, size = 0, len(stream)
    while offset < size:
        if size - offset < HEADER_SIZE:
            yield -1, -1, size
            return
        _, _, epoch, seq_hi, seq_lo, length = HEADER.unpack_from(stream, offset)
        offset = min(size, offset + HEADER_SIZE + length)
        yield epoch, (seq_hi << 32) | seq_lo, offset


def pack_datagrams(stream: bytes, boundaries: Iterable[int], mtu: int) -> list[bytes]:
    """Cut a stream of whole records into datagrams of at most ``mtu`` bytes.

    ``boundaries`` are the record ends in order. Consecutive records share a datagram while
    they fit; a record longer than the MTU (it cannot happen with OpenSSL's fragmentation set
    to the same MTU) goes out alone rather than being cut.
    """
    datagrams: list[bytes] = []
    start = last = 0
    for end in boundaries:
        if end - start > mtu and last > start:
            datagrams.append(stream[start:last])
            start = last
        last = end
    if last > start:
        datagrams.append(stream[start:last])
    return datagrams


ALERT_NAMES: Final[Mapping[int, str]] = {
    0: "close_notify",
    10: "unexpected_message",
    20: "bad_record_mac",
    22: "record_overflow",
    30: "decompression_failure",
    40: "handshake_failure",
    42: "bad_certificate",
    43: "unsupported_certificate",
    44: "certificate_revoked",
    45: "certificate_expired",
    46: "certificate_unknown",
    47: "illegal_parameter",
    48: "unknown_ca",
    49: "access_denied",
    50: "decode_error",
    51: "decrypt_error",
    70: "protocol_version",
    71: "insufficient_security",
    80: "internal_error",
    86: "inappropriate_fallback",
    90: "user_canceled",
    100: "no_renegotiation",
    109: "missing_extension",
    110: "unsupported_extension",
    112: "unrecognized_name",
    120: "no_application_protocol",
}
"""Alert descriptions (RFC 5246 §7.2, RFC 7301, RFC 8446 §6) for messages and failure details."""

ALERT_WARNING: Final = 1
ALERT_FATAL: Final = 2
CLOSE_NOTIFY: Final = 0


def alert_name(description: int) -> str:
    return ALERT_NAMES.get(description, f"alert {description}")
