"""JSEP offer/answer over transceivers and the data section, without any transport."""

from __future__ import annotations

import random

import pytest

import sdp
from tests.sdp.fixtures import FIXTURES, read
from webrtc.exceptions import InvalidAccessError
from webrtc.jsep import TransportSpec, read_description
from webrtc.negotiation import Negotiation

FP = (sdp.Fingerprint("sha-256", ":".join(["AB"] * 32)),)
CANDIDATE = sdp.Candidate("1", 1, "udp", 2130706431, "127.0.0.1", 40000, "host")


def transport(setup: str, ufrag: str = "ufrg") -> TransportSpec:
    return TransportSpec(
        ice_ufrag=ufrag,
        ice_pwd="p" * 24,
        fingerprints=FP,
        setup=setup,
        candidates=(CANDIDATE,),
        end_of_candidates=True,
    )


def negotiation(seed: int = 1) -> Negotiation:
    return Negotiation(rng=random.Random(seed), session_id="123", cname="cname")


def roundtrip(description: sdp.SessionDescription) -> sdp.SessionDescription:
    return sdp.parse(sdp.write(description))


def offer_answer(
    offerer: Negotiation, answerer: Negotiation
) -> tuple[sdp.SessionDescription, sdp.SessionDescription]:
    offer = roundtrip(offerer.create_offer(transport("actpass", "offr")))
    offerer.apply_local(offer, "offer")
    answerer.apply_remote(read_description(offer, "offer"), "offer")
    answer = roundtrip(answerer.create_answer(transport("active", "answ")))
    answerer.apply_local(answer, "answer")
    offerer.apply_remote(read_description(answer, "answer"), "answer")
    return offer, answer


def test_data_only_offer_and_answer() -> None:
    a, b = negotiation(1), negotiation(2)
    a.data_wanted = True
    assert a.negotiation_needed()
    offer, answer = offer_answer(a, b)
    assert offer.bundle == [("0",)]
    media = offer.media[0]
    assert (media.kind, media.proto, media.mid) == ("application", "UDP/DTLS/SCTP", "0")
    assert media.setup == "actpass" and media.sctp_port == 5000
    assert media.candidates == [CANDIDATE] and media.end_of_candidates
    assert (media.port, media.connection) == (40000, sdp.Connection("IN", "IP4", "127.0.0.1"))
    assert answer.media[0].setup == "active" and answer.media[0].mid == "0"
    assert b.sctp_mid == "0" and a.sctp_mid == "0"
    assert not a.negotiation_needed()


def test_transceivers_directions_and_renegotiation() -> None:
    a, b = negotiation(1), negotiation(2)
    a.data_wanted = True
    offer_answer(a, b)
    audio = a.add_transceiver("audio", "sendrecv")
    assert a.negotiation_needed()
    offer, answer = offer_answer(a, b)
    assert [m.mid for m in offer.media] == ["0", "1"]
    assert offer.bundle == [("0", "1")]
    assert audio.mid == "1" and offer.media[1].direction == "sendrecv"
    assert [r.encoding for r in offer.media[1].rtpmaps] == ["opus", "PCMU", "PCMA"]
    remote = b.transceivers[0]
    assert remote.mid == "1" and remote.direction == "recvonly"
    assert answer.media[1].direction == "recvonly"
    assert audio.currentDirection == "sendonly"
    assert remote.currentDirection == "recvonly"
    assert not a.negotiation_needed() and not b.negotiation_needed()
    # Candidates only in the bundle tag's m-line, the others ride on it.
    assert answer.media[1].candidates == [] and answer.media[1].port == 9

    audio.direction = "recvonly"
    assert a.negotiation_needed()
    offer, answer = offer_answer(a, b)
    assert answer.media[1].direction == "inactive"
    assert audio.currentDirection == "inactive"


def test_track_events_follow_remote_direction() -> None:
    a, b = negotiation(1), negotiation(2)
    a.add_transceiver("video", "sendonly")
    offer = roundtrip(a.create_offer(transport("actpass")))
    a.apply_local(offer, "offer")
    applied = b.apply_remote(read_description(offer, "offer"), "offer")
    assert applied.tracks == b.transceivers and applied.tracks[0].kind == "video"
    answer = roundtrip(b.create_answer(transport("active")))
    b.apply_local(answer, "answer")
    applied = a.apply_remote(read_description(answer, "answer"), "answer")
    assert applied.tracks == []


def test_answering_a_chromium_offer() -> None:
    b = negotiation()
    offer = sdp.parse(read(FIXTURES / "chromium" / "audio-video-data-offer.sdp"))
    applied = b.apply_remote(read_description(offer, "offer"), "offer")
    assert [t.kind for t in applied.tracks] == ["audio", "video"]
    assert applied.sctp is not None and applied.sctp.max_message_size == 262144
    answer = roundtrip(b.create_answer(transport("active")))
    assert [m.mid for m in answer.media] == ["0", "1", "2"]
    assert answer.bundle == [("0", "1", "2")]
    audio, video, data = answer.media
    assert [(r.payload_type, r.encoding) for r in audio.rtpmaps] == [
        (111, "opus"),
        (0, "PCMU"),
        (8, "PCMA"),
    ]
    assert audio.direction == "recvonly"
    names = [(r.payload_type, r.encoding) for r in video.rtpmaps]
    assert names[:2] == [(96, "VP8"), (97, "rtx")]
    h264 = [r.payload_type for r in video.rtpmaps if r.encoding == "H264"]
    assert h264, names
    for fmtp in video.fmtps:
        if fmtp.payload_type in h264:
            assert fmtp.params["packetization-mode"] == "1"
            assert str(fmtp.params["profile-level-id"]).startswith("42e0")
    feedback = {(f.type, f.parameter) for f in video.rtcp_feedback if f.payload_type == "96"}
    assert ("nack", "pli") in feedback and ("transport-cc", None) not in feedback
    assert data.kind == "application" and data.setup == "active"
    # sdes:mid keeps the offerer's id
    assert [e.uri for e in audio.extmaps] == ["urn:ietf:params:rtp-hdrext:sdes:mid"]
    assert audio.extmaps[0].id == 4


def test_non_bundle_offer_accepts_only_the_first_section() -> None:
    b = negotiation()
    text = read(FIXTURES / "chromium" / "audio-video-data-offer.sdp")
    text = text.replace("a=group:BUNDLE 0 1 2\r\n", "")
    answer = roundtrip(
        (
            b.apply_remote(read_description(sdp.parse(text), "offer"), "offer"),
            b.create_answer(transport("active")),
        )[1]
    )
    assert [m.port != 0 for m in answer.media] == [True, False, False]


def test_rollback_of_a_remote_offer_removes_created_transceivers() -> None:
    a, b = negotiation(1), negotiation(2)
    a.add_transceiver("audio", "sendrecv")
    offer = roundtrip(a.create_offer(transport("actpass")))
    b.apply_remote(read_description(offer, "offer"), "offer")
    assert len(b.transceivers) == 1
    b.rollback()
    assert b.transceivers == [] and b.layout == []


def test_stopped_transceiver_rejected_then_recycled() -> None:
    a, b = negotiation(1), negotiation(2)
    first = a.add_transceiver("audio", "sendrecv")
    a.data_wanted = True
    offer_answer(a, b)
    first.stop()
    assert a.negotiation_needed()
    offer, answer = offer_answer(a, b)
    assert offer.media[0].port == 0 and answer.media[0].port == 0
    assert first.mid is None
    second = a.add_transceiver("video", "sendrecv")
    offer, _ = offer_answer(a, b)
    assert len(offer.media) == 2
    assert offer.media[0].kind == "video" and second.mid not in ("0", "1")


def test_answer_with_other_mids_is_refused() -> None:
    a, b = negotiation(1), negotiation(2)
    a.data_wanted = True
    offer = roundtrip(a.create_offer(transport("actpass")))
    a.apply_local(offer, "offer")
    b.apply_remote(read_description(offer, "offer"), "offer")
    answer = roundtrip(b.create_answer(transport("active")))
    answer.media[0].attributes = [
        sdp.Mid("x") if isinstance(attr, sdp.Mid) else attr for attr in answer.media[0].attributes
    ]
    with pytest.raises(InvalidAccessError):
        a.apply_remote(read_description(answer, "answer"), "answer")


@pytest.mark.parametrize(
    ("remove", "kind"),
    [("a=ice-ufrag", "offer"), ("a=fingerprint", "offer"), ("a=mid", "offer")],
)
def test_remote_description_missing_essentials(remove: str, kind: str) -> None:
    text = read(FIXTURES / "chromium" / "data-offer.sdp")
    lines = [line for line in text.split("\r\n") if not line.startswith(remove)]
    with pytest.raises(InvalidAccessError):
        read_description(sdp.parse("\r\n".join(lines)), kind)


def test_answer_must_choose_a_dtls_role() -> None:
    text = read(FIXTURES / "chromium" / "data-answer.sdp").replace(
        "a=setup:active", "a=setup:actpass"
    )
    with pytest.raises(InvalidAccessError):
        read_description(sdp.parse(text), "answer")
