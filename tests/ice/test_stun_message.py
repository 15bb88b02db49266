"""The STUN codec: RFC 5769 test vectors, every attribute ICE and TURN use, and malformed input."""

from __future__ import annotations

import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ice.errors import StunError, StunFingerprintError
from ice.stun import (
    Attr,
    Method,
    StunClass,
    StunMessage,
    encode_message,
    is_stun,
    long_term_key,
    message_type,
    parse_message,
    split_type,
)
from ice.stun import attributes as a
from ice.stun.integrity import hmac_sha1, hmac_sha256


def unhex(text: str) -> bytes:
    return bytes.fromhex(" ".join(text.split()))


PASSWORD = b"VOkJxbRl1RmTxUk/WvJxBt"
TID = unhex("b7 e7 a7 01 bc 34 d6 86 fa 87 df ae")

# RFC 5769 §2.1: a Binding request with SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME,
# MESSAGE-INTEGRITY and FINGERPRINT (padding bytes are spaces in the RFC).
REQUEST = unhex("""
    00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
    00 24 00 04 6e 00 01 ff
    80 29 00 08 93 2f f9 b1 51 26 3b 36
    00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
    00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
    80 28 00 04 e5 7a 3b cf""")

# §2.2: the IPv4 response (192.0.2.1:32853).
RESPONSE_V4 = unhex("""
    01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
    00 20 00 08 00 01 a1 47 e1 12 a6 43
    00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
    80 28 00 04 c0 7d 4c 96""")

# §2.3: the IPv6 response ([2001:db8:1234:5678:11:2233:4455:6677]:32853).
RESPONSE_V6 = unhex("""
    01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
    00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
    00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
    80 28 00 04 c8 fb 0b 4c""")

# §2.4: a request with long-term credentials (no FINGERPRINT; zero padding).
LONG_TERM = unhex("""
    00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
    00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
    00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
    00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
    00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66""")


# --- RFC 5769 -------------------------------------------------------------------------------------


def test_rfc5769_request_decodes_and_verifies() -> None:
    m = parse_message(REQUEST)
    assert (m.method, m.cls, m.transaction_id) == (Method.BINDING, StunClass.REQUEST, TID)
    assert m.get_text(Attr.SOFTWARE) == "STUN test client"
    assert m.get_u32(Attr.PRIORITY) == 0x6E0001FF
    assert m.get_u64(Attr.ICE_CONTROLLED) == 0x932FF9B151263B36
    assert m.get_text(Attr.USERNAME) == "evtj:h6vY"
    assert m.fingerprint_ok
    assert m.check_integrity(PASSWORD)
    assert not m.check_integrity(b"VOkJxbRl1RmTxUk/WvJxBT")


def test_rfc5769_request_is_reproduced_byte_for_byte() -> None:
    fields: dict[int, bytes] = {
        Attr.SOFTWARE: a.encode_text(Attr.SOFTWARE, "STUN test client"),
        Attr.PRIORITY: a.encode_u32(0x6E0001FF),
        Attr.ICE_CONTROLLED: a.encode_u64(0x932FF9B151263B36),
        Attr.USERNAME: a.encode_text(Attr.USERNAME, "evtj:h6vY"),
    }
    out = encode_message(Method.BINDING, StunClass.REQUEST, TID, fields, key=PASSWORD, padding=b" ")
    assert out == REQUEST


@pytest.mark.parametrize(
    ("vector", "address"),
    [
        (RESPONSE_V4, ("192.0.2.1", 32853)),
        (RESPONSE_V6, ("2001:db8:1234:5678:11:2233:4455:6677", 32853)),
    ],
)
def test_rfc5769_responses(vector: bytes, address: tuple[str, int]) -> None:
    m = parse_message(vector)
    assert (m.method, m.cls) == (Method.BINDING, StunClass.SUCCESS)
    assert m.get_xor_address(Attr.XOR_MAPPED_ADDRESS) == address
    assert m.get_text(Attr.SOFTWARE) == "test vector"
    assert m.check_integrity(PASSWORD) and m.fingerprint_ok
    rebuilt = StunMessage(Method.BINDING, StunClass.SUCCESS, TID)
    rebuilt.set_text(Attr.SOFTWARE, "test vector")
    rebuilt.set_xor_address(Attr.XOR_MAPPED_ADDRESS, address)
    assert (
        encode_message(
            rebuilt.method, rebuilt.cls, TID, rebuilt.attributes, key=PASSWORD, padding=b" "
        )
        == vector
    )


def test_rfc5769_long_term_credentials() -> None:
    m = parse_message(LONG_TERM)
    username = m.get_text(Attr.USERNAME)
    assert username == "\u30de\u30c8\u30ea\u30c3\u30af\u30b9"
    assert m.get_text(Attr.NONCE) == "f//499k954d6OL34oL9FSTvy64sA"
    assert m.get_text(Attr.REALM) == "example.org"
    assert not m.fingerprint_ok
    assert m.check_integrity(long_term_key(username, "example.org", "TheMatrIX"))
    assert not m.check_integrity(long_term_key(username, "example.org", "TheMatrix"))
    rebuilt = encode_message(
        Method.BINDING, StunClass.REQUEST, m.transaction_id, dict(m.attributes),
        key=long_term_key(username, "example.org", "TheMatrIX"), fingerprint=False,
    )  # fmt: skip
    assert rebuilt == LONG_TERM


# --- the header and the attribute codecs ----------------------------------------------------------


@pytest.mark.parametrize("method", [0x001, 0x003, 0x009, 0xFFF, 0x080])
@pytest.mark.parametrize("cls", list(StunClass))
def test_message_type_round_trip(method: int, cls: StunClass) -> None:
    mtype = message_type(method, cls)
    assert mtype < 0x4000
    assert split_type(mtype) == (method, cls)


def test_known_message_types() -> None:
    assert message_type(Method.BINDING, StunClass.REQUEST) == 0x0001
    assert message_type(Method.BINDING, StunClass.SUCCESS) == 0x0101
    assert message_type(Method.BINDING, StunClass.ERROR) == 0x0111
    assert message_type(Method.BINDING, StunClass.INDICATION) == 0x0011
    assert message_type(Method.ALLOCATE, StunClass.REQUEST) == 0x0003
    assert message_type(Method.DATA, StunClass.INDICATION) == 0x0017


def test_every_ice_and_turn_attribute_round_trips() -> None:
    m = StunMessage(Method.ALLOCATE, StunClass.SUCCESS, TID)
    m.set_address(Attr.MAPPED_ADDRESS, ("10.1.2.3", 4000))
    m.set_xor_address(Attr.XOR_MAPPED_ADDRESS, ("2001:db8::9", 65535))
    m.set_xor_address(Attr.XOR_RELAYED_ADDRESS, ("198.51.100.4", 50000))
    m.set_xor_address(Attr.XOR_PEER_ADDRESS, ("::1", 1))
    m.set_text(Attr.USERNAME, "user:peer")
    m.set_text(Attr.REALM, "example.org")
    m.set_text(Attr.NONCE, "abc123")
    m.set_text(Attr.SOFTWARE, "webrtc-stack")
    m.set_u32(Attr.PRIORITY, 1862270975)
    m.set_flag(Attr.USE_CANDIDATE)
    m.set_u64(Attr.ICE_CONTROLLING, 2**64 - 1)
    m.set_u64(Attr.ICE_CONTROLLED, 7)
    m.set_u32(Attr.LIFETIME, 600)
    m.attributes[Attr.REQUESTED_TRANSPORT] = a.encode_requested_transport(17)
    m.attributes[Attr.CHANNEL_NUMBER] = a.encode_channel_number(0x4001)
    m.attributes[Attr.DATA] = b"\x01\x02\x03"
    m.set_flag(Attr.DONT_FRAGMENT)
    m.set_error_code(438, "Stale Nonce")
    m.attributes[Attr.UNKNOWN_ATTRIBUTES] = a.encode_unknown_attributes([0x0031, 0x7FFF])
    m.attributes[0xC057] = b"\x00\x01\x00\x0a"  # GOOG-NETWORK-INFO, comprehension-optional
    for sha256 in (False, True):
        p = parse_message(m.encode(key=b"secret", sha256=sha256))
        assert p.check_integrity(b"secret") and not p.check_integrity(b"Secret")
        assert p.get_address(Attr.MAPPED_ADDRESS) == ("10.1.2.3", 4000)
        assert p.get_xor_address(Attr.XOR_MAPPED_ADDRESS) == ("2001:db8::9", 65535)
        assert p.get_xor_address(Attr.XOR_RELAYED_ADDRESS) == ("198.51.100.4", 50000)
        assert p.get_xor_address(Attr.XOR_PEER_ADDRESS) == ("::1", 1)
        assert p.get_text(Attr.USERNAME) == "user:peer"
        assert p.get_text(Attr.REALM) == "example.org"
        assert p.get_text(Attr.NONCE) == "abc123"
        assert p.get_text(Attr.SOFTWARE) == "webrtc-stack"
        assert p.get_u32(Attr.PRIORITY) == 1862270975
        assert p.has(Attr.USE_CANDIDATE) and p.attributes[Attr.USE_CANDIDATE] == b""
        assert p.get_u64(Attr.ICE_CONTROLLING) == 2**64 - 1
        assert p.get_u64(Attr.ICE_CONTROLLED) == 7
        assert p.get_u32(Attr.LIFETIME) == 600
        assert a.decode_requested_transport(p.attributes[Attr.REQUESTED_TRANSPORT]) == 17
        assert a.decode_channel_number(p.attributes[Attr.CHANNEL_NUMBER]) == 0x4001
        assert p.attributes[Attr.DATA] == b"\x01\x02\x03"
        assert p.get_error_code() == (438, "Stale Nonce")
        assert p.get_unknown_attributes() == [0x0031, 0x7FFF]
        assert p.attributes[0xC057] == b"\x00\x01\x00\x0a"
        assert p.unknown_required() == []
        assert list(p.attributes) == list(m.attributes)


def test_unknown_attributes_are_kept_and_the_required_ones_reported() -> None:
    m = StunMessage(Method.BINDING, StunClass.REQUEST, TID)
    m.attributes[0x0031] = b"x"  # unknown, comprehension-required
    m.attributes[0x8123] = b"yy"  # unknown, comprehension-optional
    p = parse_message(m.encode())
    assert p.attributes == {0x0031: b"x", 0x8123: b"yy"}
    assert p.unknown_required() == [0x0031]
    assert a.comprehension_required(0x0031) and not a.comprehension_required(0x8123)


def test_attributes_after_message_integrity_are_ignored() -> None:
    # Header, MESSAGE-INTEGRITY, then a SOFTWARE attribute the MAC does not cover.
    body = encode_message(Method.BINDING, StunClass.REQUEST, TID, {}, key=b"k", fingerprint=False)
    extra = b"\x80\x22\x00\x04abcd"
    data = bytearray(body + extra)
    data[2:4] = (len(data) - 20).to_bytes(2, "big")
    p = parse_message(bytes(data))
    assert Attr.SOFTWARE not in p.attributes
    assert p.check_integrity(b"k")  # the MAC covers what came before it only


def test_is_stun() -> None:
    assert is_stun(REQUEST)
    assert not is_stun(b"\x16\xfe\xfd" + bytes(30))  # a DTLS record
    assert not is_stun(REQUEST[:19])


# --- malformed input: each class raises StunError, nothing else ---------------------------------


def test_truncated_messages() -> None:
    for end in range(len(REQUEST)):
        with pytest.raises(StunError):
            parse_message(REQUEST[:end])


def test_wrong_length_field() -> None:
    for delta in (-4, 4, 1):
        data = bytearray(REQUEST)
        data[2:4] = (len(REQUEST) - 20 + delta).to_bytes(2, "big")
        with pytest.raises(StunError):
            parse_message(bytes(data))


def test_attribute_running_past_the_end() -> None:
    data = bytearray(REQUEST)
    data[0x3E:0x40] = (0x40).to_bytes(2, "big")  # USERNAME claims 64 bytes
    with pytest.raises(StunError, match="runs past"):
        parse_message(bytes(data))


def test_oversized_message() -> None:
    big = StunMessage(Method.BINDING, StunClass.INDICATION, TID)
    big.attributes[0x8999] = bytes(3000)
    with pytest.raises(StunError, match="larger than"):
        parse_message(big.encode())


def test_bad_cookie_and_leading_bits() -> None:
    data = bytearray(REQUEST)
    data[4] ^= 1
    with pytest.raises(StunError, match="cookie"):
        parse_message(bytes(data))
    data = bytearray(REQUEST)
    data[0] |= 0x40
    with pytest.raises(StunError, match="leading bits"):
        parse_message(bytes(data))


def test_wrong_fingerprint() -> None:
    data = bytearray(REQUEST)
    data[-1] ^= 0xFF
    with pytest.raises(StunFingerprintError):
        parse_message(bytes(data))
    data = bytearray(REQUEST)
    data[0x2C] ^= 1  # PRIORITY changed: CRC and HMAC both break
    with pytest.raises(StunFingerprintError):
        parse_message(bytes(data))


def test_wrong_integrity_is_detected_on_check() -> None:
    data = bytearray(RESPONSE_V4[:-8])  # drop the FINGERPRINT so only the HMAC guards it
    data[2:4] = (len(data) - 20).to_bytes(2, "big")
    data[0x2A] ^= 1  # one bit of the mapped port
    m = parse_message(bytes(data))
    assert not m.check_integrity(PASSWORD)


def test_malformed_attribute_values() -> None:
    with pytest.raises(StunError):
        a.decode_u32(b"\x00\x01")
    with pytest.raises(StunError):
        a.decode_u64(bytes(7))
    with pytest.raises(StunError):
        a.decode_xor_address(b"\x00\x03\x00\x01" + bytes(4), TID)  # unknown family
    with pytest.raises(StunError):
        a.decode_address(b"\x00\x01\x00\x01" + bytes(16))  # v4 family, v6 length
    with pytest.raises(StunError):
        a.decode_error_code(b"\x00\x00\x09\x63")  # class 9
    with pytest.raises(StunError):
        a.decode_text(Attr.USERNAME, b"\xff\xfe")
    with pytest.raises(StunError):
        a.decode_text(Attr.USERNAME, b"x" * 514)
    with pytest.raises(StunError):
        a.decode_unknown_attributes(b"\x00")
    with pytest.raises(StunError):
        a.encode_xor_address(("not-an-ip", 1), TID)


@settings(max_examples=500)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_parse_or_raise_stun_error(data: bytes) -> None:
    try:
        m = parse_message(data)
    except StunError:
        return
    # Whatever parsed must survive reading every attribute through the typed getters.
    for attr in list(m.attributes):
        for getter in (m.get_text, m.get_u32, m.get_u64, m.get_address, m.get_xor_address):
            try:
                getter(attr)
            except StunError:
                pass


@settings(max_examples=500)
@given(st.binary(min_size=1, max_size=40), st.integers(0, len(REQUEST) - 1))
def test_mutated_vectors_parse_or_raise_stun_error(patch: bytes, at: int) -> None:
    data = (REQUEST[:at] + patch + REQUEST[at + len(patch) :])[: len(REQUEST) + 8]
    try:
        m = parse_message(data)
    except StunError:
        return
    assert isinstance(m.check_integrity(PASSWORD), bool)


def test_error_reason_is_truncated_to_its_limit() -> None:
    value = a.encode_error_code(400, "x" * 1000)
    assert a.decode_error_code(value) == (400, "x" * 763)
    with pytest.raises(StunError):
        a.encode_error_code(700, "out of range")


def test_truncated_message_integrity_sha256_verifies() -> None:
    # RFC 8489 §14.6 lets a sender truncate MESSAGE-INTEGRITY-SHA256 to 16-32 bytes.
    body = encode_message(Method.BINDING, StunClass.REQUEST, TID, {Attr.USERNAME: b"u:v"},
                          fingerprint=False)  # fmt: skip
    header = bytearray(body[:20])
    header[2:4] = (len(body) - 20 + 4 + 16).to_bytes(2, "big")
    mac = hmac_sha256(b"key", bytes(header), body[20:])[:16]
    data = bytes(header) + body[20:] + b"\x00\x1c\x00\x10" + mac
    m = parse_message(data)
    assert m.has_integrity and m.check_integrity(b"key") and not m.check_integrity(b"kez")


@settings(max_examples=200)
@given(st.binary(max_size=100), st.binary(min_size=1, max_size=150), st.binary(max_size=300))
def test_hmac_matches_the_standard_library(key: bytes, part1: bytes, part2: bytes) -> None:
    assert hmac_sha1(key, part1, part2) == hmac.digest(key, part1 + part2, "sha1")
    assert hmac_sha256(key, part1, part2) == hmac.digest(key, part1 + part2, "sha256")
