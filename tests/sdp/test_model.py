"""Typed access to what browsers write."""

from __future__ import annotations

import sdp
from tests.sdp.fixtures import FIXTURES, read


def load(name: str) -> sdp.SessionDescription:
    return sdp.parse(read(FIXTURES / name))


def test_chromium_audio_video_data_offer() -> None:
    s = load("chromium/audio-video-data-offer.sdp")
    assert s.bundle == [("0", "1", "2")]
    assert s.extmap_allow_mixed
    assert s.msid_semantic == sdp.MsidSemantic("WMS")
    assert [m.kind for m in s.media] == ["audio", "video", "application"]
    audio, video, data = s.media
    assert audio.mid == "0" and audio.direction == "sendrecv"
    assert audio.rtcp_mux and audio.rtcp_rsize and audio.setup == "actpass"
    assert audio.rtcp == sdp.Rtcp(9, "IN", "IP4", "0.0.0.0")
    assert audio.rtpmaps[0] == sdp.Rtpmap(111, "opus", 48000, 2)
    assert audio.fmtps[0].params == {"minptime": "10", "useinbandfec": "1"}
    assert audio.ice_ufrag and audio.ice_pwd and audio.ice_options == ("trickle",)
    assert audio.fingerprints[0].algorithm == "sha-256"
    assert len(audio.fingerprints[0].value) == 95
    assert audio.extmaps[0] == sdp.Extmap(1, "urn:ietf:params:rtp-hdrext:ssrc-audio-level")
    assert {c.protocol for c in audio.candidates} == {"udp", "tcp"}
    tcp = next(c for c in audio.candidates if c.protocol == "tcp")
    assert tcp.tcptype == "active" and tcp.port == 9 and tcp.network_cost == 50
    assert audio.msids[0].stream_id == "-"
    assert audio.ssrcs[0].attribute == "cname"
    assert ("nack", "pli") in {(fb.type, fb.parameter) for fb in video.rtcp_feedback}
    rtx = [m for m in video.rtpmaps if m.encoding == "rtx"]
    assert rtx and all(
        f.params.get("apt") for f in video.fmtps if f.payload_type in {r.payload_type for r in rtx}
    )
    assert data.proto == "UDP/DTLS/SCTP" and data.formats == ["webrtc-datachannel"]
    assert data.sctp_port == 5000 and data.max_message_size == 262144


def test_chromium_simulcast() -> None:
    video = load("chromium/simulcast-offer.sdp").media[0]
    assert [r.id for r in video.rids] == ["q", "h", "f"]
    assert all(r.direction == "send" for r in video.rids)
    assert video.simulcast == sdp.Simulcast(send=(("q",), ("h",), ("f",)))
    assert video.direction == "sendonly"


def test_chromium_answer_roles() -> None:
    s = load("chromium/data-answer.sdp")
    assert s.media[0].setup == "active"


def test_firefox_offer() -> None:
    s = load("handwritten/firefox-offer.sdp")
    assert s.fingerprints and s.ice_options == ("trickle",)
    audio, video, data = s.media
    assert audio.connection == sdp.Connection("IN", "IP4", "198.51.100.7")
    assert audio.end_of_candidates
    host, tcp, srflx, relay = audio.candidates
    assert host.address.endswith(".local") and host.transport == "UDP" and host.protocol == "udp"
    assert tcp.tcptype == "active"
    assert (srflx.type, srflx.related_address, srflx.related_port) == ("srflx", "0.0.0.0", 0)
    assert relay.type == "relay" and relay.related_port == 49203
    assert audio.extmaps[1].direction == "recvonly"
    assert audio.fmtps[1].params == {"": "0-15"}
    assert video.ssrc_groups == [sdp.SsrcGroup("FID", (3412784501, 1093874562))]
    assert video.simulcast == sdp.Simulcast(send=(("a",), ("b",), ("c",)))
    assert data.max_message_size == 1073741823


def test_safari_offer() -> None:
    s = load("handwritten/safari-offer.sdp")
    audio, video, _ = s.media
    assert audio.bandwidths == [sdp.Bandwidth("AS", 64)]
    assert s.msid_semantic == sdp.MsidSemantic("WMS", ("4f8e2a1c-9b3d-4e6f-8a7c-5d2b1e0f9c8a",))
    assert {g.semantics for g in video.ssrc_groups} == {"FID", "SIM"}
    assert video.rtpmaps[0].encoding == "H264"


def test_ice_lite_and_unknown_attributes() -> None:
    s = load("handwritten/ice-lite-answer.sdp")
    assert s.ice_lite
    media = s.media[0]
    assert media.rtcp_mux_only and media.bundle_only and media.end_of_candidates
    assert [f.algorithm for f in media.fingerprints] == ["sha-256", "sha-512"]
    assert list(media.values("x-unknown-vendor-attribute")) == ["with a value : and colons"]
    assert media.has("another-flag")


def test_candidate_lines_round_trip() -> None:
    lines = [
        "candidate:861648990 1 udp 2122260223 127.0.0.1 34685 typ host generation 0 "
        "network-id 1 network-cost 50",
        "candidate:1 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 "
        "ufrag e7ot network-id 1",
        "candidate:842163049 1 udp 1677729535 203.0.113.9 61234 typ srflx raddr 0.0.0.0 rport 0",
        "candidate:x 2 UDP 1 ::1 5 typ relay raddr ::1 rport 6 foo bar",
    ]
    for line in lines:
        assert sdp.Candidate.from_sdp(line).to_sdp() == line
        assert sdp.Candidate.from_sdp("a=" + line) == sdp.Candidate.from_sdp(line)
        assert sdp.Candidate.from_sdp(line[len("candidate:") :]) == sdp.Candidate.from_sdp(line)
    last = sdp.Candidate.from_sdp(lines[-1])
    assert last.extensions == (("foo", "bar"),) and last.component == 2
