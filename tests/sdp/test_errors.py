"""Malformed SDP raises SDPParseError naming the line, and nothing else."""

from __future__ import annotations

import pytest

import sdp
from tests.sdp.fixtures import FIXTURES, read

GOOD = read(FIXTURES / "chromium" / "data-offer.sdp")

BAD_LINES = [
    "m=application notaport UDP/DTLS/SCTP webrtc-datachannel",
    "a=rtpmap:111 opus",
    "a=rtpmap:300 opus/48000",
    "a=fmtp:x a=b",
    "a=candidate:1 1 udp 1 1.2.3.4 70000 typ host",
    "a=candidate:1 1 udp 1 1.2.3.4 5 type host",
    "a=candidate:1 1 udp 1 1.2.3.4 5 typ host generation",
    "a=candidate:1 1 udp 99999999999 1.2.3.4 5 typ host",
    "a=setup:sideways",
    "a=fingerprint:sha-256 not-hex",
    "a=sctp-port:-1",
    "a=max-message-size:lots",
    "a=extmap:5/upward urn:x",
    "a=ssrc:notanumber cname:x",
    "a=ssrc-group:FID 1 x",
    "a=rid:q sideways",
    "a=simulcast:send",
    "a=rtcp-mux:yes",
    "a=mid",
    "x=unknown line type",
    "no equals sign",
    "a=ice-ufrag:bad ufrag",
    "a=bad name:x",
]


@pytest.mark.parametrize("bad", BAD_LINES)
def test_bad_line_is_named(bad: str) -> None:
    lines = GOOD.split("\r\n")
    index = lines.index("a=mid:0")
    lines.insert(index, bad)
    with pytest.raises(sdp.SDPParseError) as info:
        sdp.parse("\r\n".join(lines))
    assert info.value.line_number == index + 1
    assert info.value.line == bad
    assert isinstance(info.value, ValueError)
    assert f"line {index + 1}" in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "o=- 1 1 IN IP4 0.0.0.0\r\n",
        "v=1\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",
        "v=0\r\ns=-\r\nt=0 0\r\n",
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n",
        "v=0\r\no=- x 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",
        "v=0\r\nv=0\r\n",
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\nt=0 0\r\n",
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=x\x00y\r\n",
    ],
)
def test_malformed_documents(text: str) -> None:
    with pytest.raises(sdp.SDPParseError):
        sdp.parse(text)


def test_non_utf8_refused() -> None:
    with pytest.raises(sdp.SDPParseError, match="UTF-8"):
        sdp.parse(GOOD.encode() + b"a=x:\xff\xfe\r\n")


def test_oversized_input_refused_quickly() -> None:
    huge = GOOD + "a=x-padding:" + "y" * sdp.MAX_SDP_SIZE + "\r\n"
    with pytest.raises(sdp.SDPParseError, match="larger than"):
        sdp.parse(huge)
    many_lines = GOOD + "a=rtcp-mux\r\n" * 40000
    with pytest.raises(sdp.SDPParseError):
        sdp.parse(many_lines)


def test_candidate_errors_are_sdp_parse_errors() -> None:
    for bad in ["", "candidate:", "candidate:1 1 udp 1 a 1 typ", "candidate:{} 1 udp 1 a 1 typ h"]:
        with pytest.raises(sdp.SDPParseError):
            sdp.Candidate.from_sdp(bad)
