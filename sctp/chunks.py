"""The SCTP chunk codec (RFC 9260 §3.2-3.3, RFC 3758 §3.2, RFC 6525 §3-4).

Encoding is a set of functions that return the padded wire bytes of one chunk. Decoding of
control chunks returns small frozen dataclasses; they are rare (handshake, shutdown, reset).
DATA chunks and SACKs are the hot path and never become objects here: the association unpacks
DATA headers in place with :data:`DATA_HEADER`, and :func:`decode_sack` returns plain tuples.

Every decoder raises :class:`SctpParseError` (a ``ValueError``) with the offset of the problem;
the association turns that into a dropped, counted chunk.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from .errors import SctpParseError

# Chunk types (RFC 9260 §3.2, RFC 3758 §3.2, RFC 6525 §3.1).
DATA: Final = 0
INIT: Final = 1
INIT_ACK: Final = 2
SACK: Final = 3
HEARTBEAT: Final = 4
HEARTBEAT_ACK: Final = 5
ABORT: Final = 6
SHUTDOWN: Final = 7
SHUTDOWN_ACK: Final = 8
ERROR: Final = 9
COOKIE_ECHO: Final = 10
COOKIE_ACK: Final = 11
SHUTDOWN_COMPLETE: Final = 14
RECONFIG: Final = 130
FORWARD_TSN: Final = 192

# DATA chunk flags (RFC 9260 §3.3.1, RFC 7053 for I).
FLAG_END: Final = 0x01
FLAG_BEGIN: Final = 0x02
FLAG_UNORDERED: Final = 0x04
FLAG_IMMEDIATE: Final = 0x08
# ABORT and SHUTDOWN COMPLETE: the verification tag is the reflected one.
FLAG_T: Final = 0x01

# Parameter types (RFC 9260 §3.3.2-3.3.3, RFC 3758, RFC 5061, RFC 6525).
PARAM_HEARTBEAT_INFO: Final = 1
PARAM_STATE_COOKIE: Final = 7
PARAM_UNRECOGNIZED: Final = 8
PARAM_OUTGOING_RESET: Final = 13
PARAM_INCOMING_RESET: Final = 14
PARAM_SSN_TSN_RESET: Final = 15
PARAM_RECONFIG_RESPONSE: Final = 16
PARAM_ADD_OUTGOING: Final = 17
PARAM_ADD_INCOMING: Final = 18
PARAM_SUPPORTED_EXTENSIONS: Final = 0x8008
PARAM_FORWARD_TSN_SUPPORTED: Final = 0xC000
PARAM_ZERO_CHECKSUM: Final = 0x8001
"""Zero Checksum Acceptable (RFC 9653 §3), carrying an error detection method id."""
EDMID_DTLS: Final = 1
"""RFC 9653 §6: SCTP over DTLS, whose record integrity replaces the CRC."""

# Error cause codes (RFC 9260 §3.3.10).
CAUSE_INVALID_STREAM: Final = 1
CAUSE_STALE_COOKIE: Final = 3
CAUSE_UNRECOGNIZED_CHUNK: Final = 6
CAUSE_INVALID_MANDATORY_PARAM: Final = 7
CAUSE_NO_USER_DATA: Final = 9
CAUSE_USER_ABORT: Final = 12
CAUSE_PROTOCOL_VIOLATION: Final = 13

# Re-configuration response results (RFC 6525 §4.4).
RESULT_SUCCESS_NOTHING: Final = 0
RESULT_SUCCESS_PERFORMED: Final = 1
RESULT_DENIED: Final = 2
RESULT_ERROR_WRONG_SSN: Final = 3
RESULT_ERROR_IN_PROGRESS: Final = 4
RESULT_ERROR_BAD_SEQUENCE: Final = 5
RESULT_IN_PROGRESS: Final = 6

CHUNK_HEADER: Final = struct.Struct("!BBH")
DATA_HEADER: Final = struct.Struct("!BBHIHHI")
"""type, flags, length, TSN, stream id, stream sequence number, PPID: 16 bytes."""
DATA_HEADER_SIZE: Final = 16
_INIT_BODY: Final = struct.Struct("!IIHHI")
_SACK_HEAD: Final = struct.Struct("!BBHIIHH")
_U16: Final = struct.Struct("!H")
_U32: Final = struct.Struct("!I")
_U16_PAIR: Final = struct.Struct("!HH")
_PARAM: Final = struct.Struct("!HH")
_RESET_REQUEST: Final = struct.Struct("!III")
_RESPONSE: Final = struct.Struct("!II")
_PADDING: Final = (b"", b"\x00\x00\x00", b"\x00\x00", b"\x00")
NO_GAPS: Final[list[int]] = []
"""Shared, never mutated: the gap list of a SACK without gap blocks."""


def padding(length: int) -> bytes:
    """Zero bytes that bring ``length`` to a multiple of four."""
    return _PADDING[length & 3]


def chunk(ctype: int, flags: int = 0, body: bytes = b"") -> bytes:
    """One chunk on the wire: header, body, and padding to four bytes."""
    length = 4 + len(body)
    return CHUNK_HEADER.pack(ctype, flags, length) + body + _PADDING[length & 3]


def param(ptype: int, value: bytes) -> bytes:
    """One TLV parameter (or error cause, same layout), padded."""
    length = 4 + len(value)
    return _PARAM.pack(ptype, length) + value + _PADDING[length & 3]


def iter_params(body: bytes, offset: int = 0) -> Iterator[tuple[int, bytes]]:
    """``(type, value)`` of each TLV in ``body[offset:]``; raises on a truncated one."""
    end = len(body)
    while offset + 4 <= end:
        ptype, length = _PARAM.unpack_from(body, offset)
        if length < 4 or offset + length > end:
            raise SctpParseError(f"parameter {ptype:#x} of length {length} overruns", offset)
        yield ptype, body[offset + 4 : offset + length]
        offset += (length + 3) & ~3
    if offset < end and any(body[offset:]):
        raise SctpParseError("trailing bytes after the last parameter", offset)


# --- INIT and INIT ACK (RFC 9260 §3.3.2, §3.3.3) -------------------------------------------


@dataclass(frozen=True, slots=True)
class InitChunk:
    """The fixed fields and the parameters we understand of an INIT or INIT ACK."""

    initiate_tag: int
    a_rwnd: int
    outbound_streams: int
    inbound_streams: int
    initial_tsn: int
    cookie: bytes | None = None
    """The State Cookie (INIT ACK only)."""
    forward_tsn: bool = False
    """The peer supports PR-SCTP (RFC 3758 §3.1): Forward-TSN-Supported or listed extension."""
    reconfig: bool = False
    """The peer lists RE-CONFIG among its Supported Extensions (RFC 6525 §3.1)."""
    zero_checksum: bool = False
    """Zero Checksum Acceptable with the DTLS method (RFC 9653)."""
    unrecognized: tuple[bytes, ...] = ()
    """Whole unknown parameters whose type asks to be reported (RFC 9260 §3.2.1)."""


def encode_init(
    ctype: int,
    init: InitChunk,
    *,
    extra: Sequence[bytes] = (),
) -> bytes:
    """An INIT or INIT ACK with our extension parameters (and the cookie for INIT ACK)."""
    body = _INIT_BODY.pack(
        init.initiate_tag,
        init.a_rwnd,
        init.outbound_streams,
        init.inbound_streams,
        init.initial_tsn,
    )
    parts = [body]
    if init.cookie is not None:
        parts.append(param(PARAM_STATE_COOKIE, init.cookie))
    extensions = []
    if init.reconfig:
        extensions.append(RECONFIG)
    if init.forward_tsn:
        extensions.append(FORWARD_TSN)
        parts.append(param(PARAM_FORWARD_TSN_SUPPORTED, b""))
    if extensions:
        parts.append(param(PARAM_SUPPORTED_EXTENSIONS, bytes(extensions)))
    if init.zero_checksum:
        parts.append(param(PARAM_ZERO_CHECKSUM, _U32.pack(EDMID_DTLS)))
    parts.extend(extra)
    return chunk(ctype, 0, b"".join(parts))


def decode_init(body: bytes) -> InitChunk:
    """Decode the value of an INIT or INIT ACK chunk (the bytes after its 4-byte header)."""
    if len(body) < _INIT_BODY.size:
        raise SctpParseError("INIT shorter than its fixed fields", len(body))
    tag, a_rwnd, os_, mis, tsn = _INIT_BODY.unpack_from(body, 0)
    cookie: bytes | None = None
    forward_tsn = reconfig = zero_checksum = False
    unrecognized: list[bytes] = []
    offset = _INIT_BODY.size
    for ptype, value in iter_params(body, offset):
        if ptype == PARAM_STATE_COOKIE:
            cookie = value
        elif ptype == PARAM_FORWARD_TSN_SUPPORTED:
            forward_tsn = True
        elif ptype == PARAM_SUPPORTED_EXTENSIONS:
            forward_tsn = forward_tsn or FORWARD_TSN in value
            reconfig = RECONFIG in value
        elif ptype == PARAM_ZERO_CHECKSUM:
            zero_checksum = len(value) == 4 and _U32.unpack(value)[0] == EDMID_DTLS
        elif ptype in (5, 6, 9, 11, 12):
            pass  # addresses, cookie preservative, host name, address types: not used over DTLS
        else:
            # RFC 9260 §3.2.1: the two high bits say whether to go on and whether to report.
            if ptype & 0x4000:
                unrecognized.append(param(ptype, value))
            if not ptype & 0x8000:
                break
    return InitChunk(
        tag,
        a_rwnd,
        os_,
        mis,
        tsn,
        cookie,
        forward_tsn,
        reconfig,
        zero_checksum,
        tuple(unrecognized),
    )


# --- SACK (RFC 9260 §3.3.4) -----------------------------------------------------------------


def encode_sack(
    cum_tsn: int, a_rwnd: int, gaps: Sequence[tuple[int, int]], dups: Sequence[int]
) -> bytes:
    """A SACK; ``gaps`` are (start, end) offsets from ``cum_tsn``, ``dups`` are 32-bit TSNs."""
    if not gaps and not dups:
        return _SACK_HEAD.pack(SACK, 0, 16, cum_tsn, a_rwnd, 0, 0)
    length = 16 + 4 * len(gaps) + 4 * len(dups)
    parts = [_SACK_HEAD.pack(SACK, 0, length, cum_tsn, a_rwnd, len(gaps), len(dups))]
    if gaps:
        parts.append(struct.pack(f"!{2 * len(gaps)}H", *[v for gap in gaps for v in gap]))
    if dups:
        parts.append(struct.pack(f"!{len(dups)}I", *dups))
    return b"".join(parts)


def decode_sack(data: bytes, offset: int, length: int) -> tuple[int, int, list[int], int]:
    """``(cum_tsn, a_rwnd, flat gap offsets [s1, e1, s2, e2, ...], duplicate count)`` of the
    SACK at ``offset`` in a packet; ``length`` is the chunk's length field."""
    if length < 16:
        raise SctpParseError("SACK shorter than 16 bytes", offset)
    _, _, _, cum, a_rwnd, ngaps, ndups = _SACK_HEAD.unpack_from(data, offset)
    if 16 + 4 * (ngaps + ndups) > length:
        raise SctpParseError("SACK gap and duplicate counts overrun the chunk", offset)
    if not ngaps:
        return cum, a_rwnd, NO_GAPS, ndups
    return cum, a_rwnd, list(struct.unpack_from(f"!{2 * ngaps}H", data, offset + 16)), ndups


# --- FORWARD TSN (RFC 3758 §3.2) ------------------------------------------------------------


def encode_forward_tsn(new_cum_tsn: int, streams: Sequence[tuple[int, int]]) -> bytes:
    """A FORWARD TSN skipping to ``new_cum_tsn``, with the last skipped SSN of ordered streams."""
    parts = [_U32.pack(new_cum_tsn)]
    parts.extend(_U16_PAIR.pack(sid, ssn) for sid, ssn in streams)
    return chunk(FORWARD_TSN, 0, b"".join(parts))


def decode_forward_tsn(body: bytes) -> tuple[int, list[tuple[int, int]]]:
    if len(body) < 4 or (len(body) - 4) % 4:
        raise SctpParseError("FORWARD TSN of bad length", len(body))
    new_cum = _U32.unpack_from(body, 0)[0]
    streams = [_U16_PAIR.unpack_from(body, i) for i in range(4, len(body), 4)]
    return new_cum, streams


# --- RE-CONFIG (RFC 6525 §3-4) --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutgoingResetRequest:
    """The sender resets its outgoing streams: our incoming ones (RFC 6525 §4.1)."""

    request_seq: int
    response_seq: int
    last_tsn: int
    """The sender's last assigned TSN: reset once everything up to it has arrived."""
    streams: tuple[int, ...]
    """Stream ids; empty means every stream."""


@dataclass(frozen=True, slots=True)
class ReconfigResponse:
    response_seq: int
    result: int


@dataclass(frozen=True, slots=True)
class OtherReconfigRequest:
    """A request we do not perform (incoming reset, SSN/TSN reset, add streams): we deny it."""

    ptype: int
    request_seq: int


ReconfigParam = OutgoingResetRequest | ReconfigResponse | OtherReconfigRequest


def encode_outgoing_reset(request: OutgoingResetRequest) -> bytes:
    value = _RESET_REQUEST.pack(request.request_seq, request.response_seq, request.last_tsn)
    if request.streams:
        value += struct.pack(f"!{len(request.streams)}H", *request.streams)
    return param(PARAM_OUTGOING_RESET, value)


def encode_reconfig_response(response: ReconfigResponse) -> bytes:
    return param(PARAM_RECONFIG_RESPONSE, _RESPONSE.pack(response.response_seq, response.result))


def decode_reconfig(body: bytes) -> list[ReconfigParam]:
    """The one or two parameters of a RE-CONFIG chunk (RFC 6525 §3.1)."""
    found: list[ReconfigParam] = []
    for ptype, value in iter_params(body):
        if ptype == PARAM_OUTGOING_RESET:
            if len(value) < 12 or len(value) % 2:
                raise SctpParseError("outgoing reset request of bad length", 0)
            req, resp, last = _RESET_REQUEST.unpack_from(value, 0)
            count = (len(value) - 12) // 2
            streams = struct.unpack_from(f"!{count}H", value, 12) if count else ()
            found.append(OutgoingResetRequest(req, resp, last, tuple(streams)))
        elif ptype == PARAM_RECONFIG_RESPONSE:
            if len(value) not in (8, 16):
                raise SctpParseError("re-configuration response of bad length", 0)
            found.append(ReconfigResponse(*_RESPONSE.unpack_from(value, 0)))
        elif ptype in (
            PARAM_INCOMING_RESET,
            PARAM_SSN_TSN_RESET,
            PARAM_ADD_OUTGOING,
            PARAM_ADD_INCOMING,
        ):
            if len(value) < 4:
                raise SctpParseError("re-configuration request of bad length", 0)
            found.append(OtherReconfigRequest(ptype, _U32.unpack_from(value, 0)[0]))
        else:
            raise SctpParseError(f"unknown re-configuration parameter {ptype}", 0)
    if not 1 <= len(found) <= 2:
        raise SctpParseError("RE-CONFIG must carry one or two parameters", 0)
    return found


# --- ERROR and ABORT causes (RFC 9260 §3.3.10) ----------------------------------------------


def cause(code: int, info: bytes = b"") -> bytes:
    return param(code, info)


def decode_causes(body: bytes) -> list[tuple[int, bytes]]:
    return list(iter_params(body))


def describe_causes(body: bytes) -> str:
    """A short human reason from ABORT/ERROR causes, for events and logs."""
    names = {
        1: "invalid stream identifier",
        2: "missing mandatory parameter",
        3: "stale cookie",
        4: "out of resource",
        6: "unrecognized chunk type",
        7: "invalid mandatory parameter",
        8: "unrecognized parameters",
        9: "no user data",
        10: "cookie received while shutting down",
        12: "user initiated abort",
        13: "protocol violation",
    }
    try:
        causes = decode_causes(body)
    except SctpParseError:
        return "malformed error causes"
    texts = []
    for code, info in causes:
        text = names.get(code, f"cause {code}")
        if code in (12, 13) and info:
            text += ": " + info.decode("utf-8", "replace")
        texts.append(text)
    return "; ".join(texts) or "no cause given"
