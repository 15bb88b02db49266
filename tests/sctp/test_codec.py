"""The chunk, packet and DCEP codecs: round trips, known values, and garbage in."""

from __future__ import annotations

import struct
from collections.abc import Callable

import google_crc32c
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sctp import chunks as C
from sctp import dcep
from sctp.errors import SctpParseError
from sctp.packet import build, checksum_ok, parse_header, seal_zero, with_checksum


def test_crc32c_is_the_castagnoli_polynomial() -> None:
    # The standard check value of CRC-32C (RFC 3720 §B.4 uses the same polynomial).
    assert google_crc32c.value(b"123456789") == 0xE3069283


def test_packet_checksum_round_trip_and_byte_order() -> None:
    body = C.chunk(C.COOKIE_ACK)
    packet = build(5000, 5001, 0xDEADBEEF, body)
    assert parse_header(packet) == (5000, 5001, 0xDEADBEEF)
    assert checksum_ok(packet)
    zeroed = packet[:8] + b"\x00" * 4 + packet[12:]
    # Stored least significant byte first: the reflected CRC as every stack writes it.
    assert packet[8:12] == google_crc32c.value(zeroed).to_bytes(4, "little")
    for i in range(len(packet)):
        corrupted = bytearray(packet)
        corrupted[i] ^= 0x40
        assert not checksum_ok(bytes(corrupted)), i
    assert checksum_ok(with_checksum(seal_zero(packet[:8], body)))
    with pytest.raises(SctpParseError):
        parse_header(b"\x00" * 11)


def test_init_round_trip_with_extensions() -> None:
    init = C.InitChunk(
        initiate_tag=0x01020304,
        a_rwnd=1 << 20,
        outbound_streams=100,
        inbound_streams=200,
        initial_tsn=0xFFFFFFF0,
        cookie=b"cookie!",
        forward_tsn=True,
        reconfig=True,
        zero_checksum=True,
    )
    wire = C.encode_init(C.INIT_ACK, init)
    ctype, _, length = C.CHUNK_HEADER.unpack_from(wire)
    assert ctype == C.INIT_ACK and len(wire) == (length + 3) & ~3
    assert C.decode_init(wire[4:length]) == init


def test_init_unknown_parameters_follow_the_high_bits() -> None:
    base = C.encode_init(C.INIT, C.InitChunk(1, 1500, 1, 1, 7))[4:]
    skip_report = C.param(0xC123, b"abc")  # 11: skip, continue, report
    skip_silent = C.param(0x8123, b"x")  # 10: skip, continue
    stop = C.param(0x0123, b"")  # 00: stop here
    after = C.param(C.PARAM_FORWARD_TSN_SUPPORTED, b"")
    decoded = C.decode_init(base + skip_report + skip_silent + after)
    assert decoded.forward_tsn and decoded.unrecognized == (skip_report,)
    decoded = C.decode_init(base + stop + after)
    assert not decoded.forward_tsn and decoded.unrecognized == ()


def test_sack_round_trip() -> None:
    wire = C.encode_sack(0xFFFFFFFE, 5000, [(2, 3), (5, 9)], [7, 0xFFFFFFFF])
    cum, a_rwnd, gaps, ndups = C.decode_sack(wire, 0, len(wire))
    assert (cum, a_rwnd, gaps, ndups) == (0xFFFFFFFE, 5000, [2, 3, 5, 9], 2)
    assert C.decode_sack(C.encode_sack(1, 2, (), ()), 0, 16) == (1, 2, [], 0)
    with pytest.raises(SctpParseError):
        C.decode_sack(wire, 0, 20)  # counts claim more than the chunk holds


def test_forward_tsn_and_reconfig_round_trip() -> None:
    wire = C.encode_forward_tsn(123, [(1, 2), (65535, 0)])
    assert C.decode_forward_tsn(wire[4:]) == (123, [(1, 2), (65535, 0)])
    request = C.OutgoingResetRequest(10, 11, 12, (1, 3, 5))
    response = C.ReconfigResponse(9, C.RESULT_SUCCESS_PERFORMED)
    body = C.encode_outgoing_reset(request) + C.encode_reconfig_response(response)
    assert C.decode_reconfig(body) == [request, response]
    assert C.decode_reconfig(C.encode_outgoing_reset(C.OutgoingResetRequest(1, 2, 3, ()))) == [
        C.OutgoingResetRequest(1, 2, 3, ())
    ]
    with pytest.raises(SctpParseError):
        C.decode_reconfig(b"")


def test_error_causes_are_described() -> None:
    body = C.cause(C.CAUSE_USER_ABORT, b"bye") + C.cause(C.CAUSE_STALE_COOKIE, b"\x00" * 4)
    assert C.describe_causes(body) == "user initiated abort: bye; stale cookie"
    assert C.describe_causes(b"\x00\x01\x00\x09") == "malformed error causes"


@pytest.mark.parametrize(
    "params",
    [
        dcep.ChannelParameters(label="a", protocol="b"),
        dcep.ChannelParameters(label="", ordered=False),
        dcep.ChannelParameters(label="x" * 300, max_retransmits=0),
        dcep.ChannelParameters(label="ü", ordered=False, max_retransmits=5),
        dcep.ChannelParameters(label="t", max_packet_lifetime=150, priority=1024),
        dcep.ChannelParameters(label="t", ordered=False, max_packet_lifetime=0, priority=128),
    ],
)
def test_dcep_open_round_trip_every_channel_type(params: dcep.ChannelParameters) -> None:
    assert dcep.decode_open(dcep.encode_open(params)) == params


def test_dcep_open_with_lengths_in_characters_as_aiortc_writes_them() -> None:
    """aiortc counts the label and protocol in characters, not UTF-8 bytes (found in the lab:
    its channel "ünïcødé✓" never opened against us). Unambiguous, so it is accepted."""
    label, protocol = "ünïcødé✓", "chat.v1"
    head = struct.pack("!BBHIHH", 0x03, 0x00, 0, 0, len(label), len(protocol))
    params = dcep.decode_open(head + label.encode() + protocol.encode())
    assert (params.label, params.protocol) == (label, protocol)
    head = struct.pack("!BBHIHH", 0x03, 0x00, 0, 0, len(label) - 1, len(protocol))
    with pytest.raises(SctpParseError):  # fits neither reading
        dcep.decode_open(head + label.encode() + protocol.encode())


def test_dcep_parameters_are_validated() -> None:
    with pytest.raises(TypeError):
        dcep.ChannelParameters(max_retransmits=1, max_packet_lifetime=1)
    with pytest.raises(ValueError):
        dcep.ChannelParameters(max_retransmits=-1)
    with pytest.raises(SctpParseError):
        dcep.decode_open(b"\x03\x05" + b"\x00" * 10)  # unknown channel type
    with pytest.raises(SctpParseError):
        dcep.decode_open(dcep.encode_open(dcep.ChannelParameters(label="ab"))[:-1])
    assert dcep.priority_name(256) == "low" and dcep.priority_name(1000) == "medium"


def test_empty_messages_use_their_own_ppids() -> None:
    assert dcep.encode_message("") == (dcep.PPID_STRING_EMPTY, b"\x00")
    assert dcep.encode_message(b"") == (dcep.PPID_BINARY_EMPTY, b"\x00")
    assert dcep.encode_message("é") == (dcep.PPID_STRING, "é".encode())
    assert dcep.decode_message(dcep.PPID_STRING_EMPTY, b"\x00") == ""
    assert dcep.decode_message(dcep.PPID_BINARY_EMPTY, b"\x00") == b""
    assert dcep.decode_message(dcep.PPID_DCEP, b"\x02") is None


def _sack(data: bytes) -> object:
    return C.decode_sack(data, 0, len(data))


DECODERS: list[Callable[[bytes], object]] = [
    C.decode_init,
    _sack,
    C.decode_forward_tsn,
    C.decode_reconfig,
    C.decode_causes,
    dcep.decode_open,
]


@settings(max_examples=300)
@given(st.binary(max_size=80), st.sampled_from(range(len(DECODERS))))
def test_decoders_raise_only_parse_errors(data: bytes, which: int) -> None:
    try:
        DECODERS[which](data)
    except SctpParseError:
        pass


def test_decoders_fed_every_truncation() -> None:
    samples = [
        (0, C.encode_init(C.INIT, C.InitChunk(1, 2, 3, 4, 5, b"ck", True, True, True))[4:]),
        (1, C.encode_sack(1, 2, [(1, 2)], [3])),
        (2, C.encode_forward_tsn(5, [(1, 1)])[4:]),
        (3, C.encode_outgoing_reset(C.OutgoingResetRequest(1, 2, 3, (4,)))),
        (5, dcep.encode_open(dcep.ChannelParameters(label="lbl", protocol="p"))),
    ]
    for which, whole in samples:
        DECODERS[which](whole)
        for cut in range(len(whole)):
            try:
                DECODERS[which](whole[:cut])
            except SctpParseError:
                pass
