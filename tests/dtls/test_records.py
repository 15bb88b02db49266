"""Record framing: splitting datagrams, packing OpenSSL's stream into datagrams."""

from __future__ import annotations

import itertools
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from dtls.records import (
    DTLS_1_0,
    DTLS_1_2,
    HEADER_SIZE,
    alert_name,
    iter_stream_records,
    pack_datagrams,
    split_records,
)


def record(
    ctype: int = 22, epoch: int = 0, seq: int = 0, body: bytes = b"", version: int = 0
) -> bytes:
    version = version or DTLS_1_2
    return (
        struct.pack("!BHHHIH", ctype, version, epoch, seq >> 32, seq & 0xFFFFFFFF, len(body)) + body
    )


def test_split_finds_every_record() -> None:
    data = (
        record(22, 0, 5, b"hello") + record(20, 0, 6, b"\x01") + record(23, 1, 2**40 + 3, b"x" * 30)
    )
    records = split_records(data)
    assert records is not None
    assert [(r.content_type, r.epoch, r.sequence) for r in records] == [
        (22, 0, 5),
        (20, 0, 6),
        (23, 1, 2**40 + 3),
    ]
    assert records[0].start == 0 and records[-1].end == len(data)
    assert all(a.end == b.start for a, b in itertools.pairwise(records))


def test_split_accepts_the_dtls_1_0_record_version_of_client_hellos() -> None:
    assert split_records(record(22, version=DTLS_1_0, body=b"hi")) is not None


def test_split_rejects_malformed_datagrams() -> None:
    good = record(23, 1, 1, b"abc")
    assert split_records(b"") is None
    assert split_records(good[:-1]) is None  # truncated fragment
    assert split_records(good + b"\x17\xfe") is None  # trailing partial header
    assert split_records(record(24, body=b"hb")) is None  # heartbeat: not ours
    assert split_records(record(19, body=b"")) is None
    assert split_records(record(22, version=0x0303, body=b"tls")) is None  # a TLS version


@settings(max_examples=500)
@given(st.binary(max_size=300))
def test_split_either_tiles_the_datagram_or_refuses(data: bytes) -> None:
    records = split_records(data)
    if records is None:
        return
    position = 0
    for r in records:
        assert r.start == position
        length = struct.unpack_from("!H", data, r.start + 11)[0]
        assert r.end == r.start + HEADER_SIZE + length
        position = r.end
    assert position == len(data)


@settings(max_examples=300)
@given(
    st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=20),
    st.integers(min_value=HEADER_SIZE, max_value=1500),
)
def test_packing_keeps_records_whole_and_under_the_mtu(sizes: list[int], mtu: int) -> None:
    stream = b"".join(record(22, 1, i, bytes([i % 256]) * size) for i, size in enumerate(sizes))
    walked = list(iter_stream_records(stream))
    assert [seq for _, seq, _ in walked] == list(range(len(sizes)))
    datagrams = pack_datagrams(stream, [end for _, _, end in walked], mtu)
    assert b"".join(datagrams) == stream
    for datagram in datagrams:
        records = split_records(datagram)
        assert records is not None
        assert len(datagram) <= mtu or len(records) == 1  # only a lone oversized record
    # Greedy: no two neighbours could have shared a datagram.
    for a, b in itertools.pairwise(datagrams):
        first = split_records(b)
        assert first is not None
        assert len(a) + (first[0].end - first[0].start) > mtu


def test_stream_walk_reports_a_truncated_tail() -> None:
    stream = record(22, 1, 9, b"abc") + b"\x16\xfe"
    assert list(iter_stream_records(stream)) == [(1, 9, 16), (-1, -1, 18)]


def test_alert_names() -> None:
    assert alert_name(0) == "close_notify"
    assert alert_name(42) == "bad_certificate"
    assert alert_name(250) == "alert 250"
