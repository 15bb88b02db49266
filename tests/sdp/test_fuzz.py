"""Mutated fixtures either parse (and then round-trip) or raise SDPParseError; nothing else.

The mutations are the damage real input suffers: truncation, byte flips, line shuffles,
duplicated and dropped lines, huge numbers, and bytes that are not UTF-8.
"""

from __future__ import annotations

from hypothesis import event, given
from hypothesis import strategies as st

import sdp
from tests.sdp.fixtures import ALL

SOURCES = [p.read_bytes() for p in ALL]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SOURCES)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(
            st.sampled_from(["truncate", "flip", "shuffle", "drop", "dup", "number", "raw"])
        )
        if kind == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        elif kind == "flip" and data:
            i = draw(st.integers(0, len(data) - 1))
            data[i] = draw(st.integers(0, 255))
        elif kind in ("shuffle", "drop", "dup"):
            lines = bytes(data).split(b"\r\n")
            if len(lines) > 1:
                i = draw(st.integers(0, len(lines) - 1))
                j = draw(st.integers(0, len(lines) - 1))
                if kind == "shuffle":
                    lines[i], lines[j] = lines[j], lines[i]
                elif kind == "drop":
                    del lines[i]
                else:
                    lines.insert(j, lines[i])
            data = bytearray(b"\r\n".join(lines))
        elif kind == "number":
            digits = [i for i, b in enumerate(data) if 0x30 <= b <= 0x39]
            if digits:
                i = draw(st.sampled_from(digits))
                data[i : i + 1] = str(draw(st.integers(0, 10**40))).encode()
        elif kind == "raw" and data:
            i = draw(st.integers(0, len(data)))
            data[i:i] = draw(st.binary(max_size=8))
    return bytes(data)


@given(mutated())
def test_mutated_sdp_parses_or_raises_sdp_parse_error(data: bytes) -> None:
    try:
        session = sdp.parse(data)
    except sdp.SDPParseError as exc:
        event(f"refused: {exc.reason.split(':')[0][:40]}")
        return
    event("parsed")
    assert sdp.parse(sdp.write(session)) == session


@given(st.binary(max_size=512))
def test_random_bytes(data: bytes) -> None:
    try:
        sdp.parse(b"v=0\r\n" + data)
    except sdp.SDPParseError:
        pass


@given(st.text(max_size=200))
def test_random_candidate_text(text: str) -> None:
    try:
        candidate = sdp.Candidate.from_sdp(text)
    except sdp.SDPParseError:
        return
    assert sdp.Candidate.from_sdp(candidate.to_sdp()) == candidate
