"""write(parse(s)) keeps every line of every fixture; parse(write(m)) == m."""

from __future__ import annotations

from pathlib import Path

import pytest

import sdp
from tests.sdp.fixtures import ALL, CHROMIUM, HANDWRITTEN, normalised, read


def test_there_are_fixtures_of_each_kind() -> None:
    names = {p.name for p in CHROMIUM}
    for scenario in ("data", "audio", "video", "audio-video-data", "simulcast", "tracks-data"):
        assert f"{scenario}-offer.sdp" in names and f"{scenario}-answer.sdp" in names
    assert {p.name for p in HANDWRITTEN} >= {"firefox-offer.sdp", "safari-offer.sdp"}


@pytest.mark.parametrize("path", CHROMIUM, ids=lambda p: p.name)
def test_chromium_fixture_round_trips_byte_exact(path: Path) -> None:
    text = read(path)
    assert normalised(sdp.write(sdp.parse(text))) == normalised(text)


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_every_line_kept_and_model_stable(path: Path) -> None:
    text = read(path)
    session = sdp.parse(text)
    written = sdp.write(session)
    assert written.endswith("\r\n") and "\n" not in written.replace("\r\n", "")
    assert sorted(normalised(written).splitlines()) == sorted(normalised(text).splitlines())
    assert sdp.parse(written) == session


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_bytes_and_lf_input_parse_the_same(path: Path) -> None:
    text = read(path)
    assert sdp.parse(text.encode()) == sdp.parse(normalised(text)) == sdp.parse(text)


def test_built_model_round_trips() -> None:
    media = sdp.MediaDescription(
        kind="application",
        port=9,
        proto="UDP/DTLS/SCTP",
        formats=["webrtc-datachannel"],
        connections=[sdp.Connection()],
        attributes=[
            sdp.IceUfrag("abcd"),
            sdp.IcePwd("0123456789012345678901"),
            sdp.Fingerprint("sha-256", "AB:CD"),
            sdp.Setup("actpass"),
            sdp.Mid("0"),
            sdp.SctpPort(5000),
            sdp.MaxMessageSize(262144),
            sdp.Candidate("1", 1, "udp", 2130706431, "127.0.0.1", 5000, "host"),
            sdp.Attribute("end-of-candidates"),
        ],
    )
    session = sdp.SessionDescription(
        origin=sdp.Origin(session_id="123", session_version=1),
        attributes=[sdp.Group("BUNDLE", ("0",)), sdp.MsidSemantic("WMS", ("*",))],
        media=[media],
    )
    text = sdp.write(session)
    assert "a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\n" in text
    assert "a=group:BUNDLE 0\r\na=msid-semantic:WMS *\r\nm=application 9 UDP/DTLS/SCTP" in text
    assert sdp.parse(text) == session
