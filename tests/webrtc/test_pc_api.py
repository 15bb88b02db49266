"""The RTCPeerConnection API: signalling rules, errors, configuration, names, stats, close."""

from __future__ import annotations

import asyncio
import os

import aiortc
import pytest

import webrtc
from tests.webrtc.peers import loopback_pc, negotiate, trickle, wait_state
from webrtc import (
    InvalidAccessError,
    InvalidModificationError,
    InvalidStateError,
    OperationError,
    RTCCertificate,
    RTCConfiguration,
    RTCIceCandidate,
    RTCIceServer,
    RTCSessionDescription,
)


def test_every_aiortc_public_name_exists() -> None:
    missing = [name for name in aiortc.__all__ if not hasattr(webrtc, name)]
    assert not missing, missing
    from webrtc.sdp import candidate_from_sdp, candidate_to_sdp

    line = "1 1 udp 2130706431 127.0.0.1 5000 typ host"
    assert candidate_to_sdp(candidate_from_sdp(line)) == line


def test_ice_candidate_fields_and_json() -> None:
    c = webrtc.candidate_from_sdp(
        "candidate:842163049 1 udp 1677729535 203.0.113.9 61234 typ srflx raddr 10.0.0.2 rport 5"
    )
    assert (c.foundation, c.component, c.protocol, c.priority) == (
        "842163049",
        1,
        "udp",
        1677729535,
    )
    assert (c.address, c.ip, c.port, c.type) == ("203.0.113.9", "203.0.113.9", 61234, "srflx")
    assert (c.relatedAddress, c.relatedPort, c.tcpType) == ("10.0.0.2", 5, None)
    c.sdpMid, c.sdpMLineIndex = "0", 0
    init = c.toJSON()
    assert init["candidate"].startswith("candidate:842163049 1 udp")
    assert (init["sdpMid"], init["sdpMLineIndex"]) == ("0", 0)
    assert RTCIceCandidate.fromJSON(init) == c
    assert RTCIceCandidate.fromJSON({"candidate": "", "sdpMid": "0"}) is None
    tcp = webrtc.candidate_from_sdp("1 1 tcp 1 127.0.0.1 9 typ host tcptype active")
    assert tcp.tcpType == "active"


async def test_answer_in_stable_and_garbage_are_refused_and_change_nothing() -> None:
    a, b = loopback_pc(), loopback_pc()
    try:
        a.createDataChannel("x")
        offer = await a.createOffer()
        with pytest.raises(InvalidStateError):
            await a.setRemoteDescription(RTCSessionDescription(offer.sdp, "answer"))
        with pytest.raises(OperationError):
            await a.setRemoteDescription(RTCSessionDescription("v=0\r\nnot sdp\r\n", "offer"))
        no_fingerprint = "\r\n".join(
            line for line in offer.sdp.split("\r\n") if not line.startswith("a=fingerprint")
        )
        with pytest.raises(InvalidAccessError):
            await b.setRemoteDescription(RTCSessionDescription(no_fingerprint, "offer"))
        no_ice = "\r\n".join(
            line for line in offer.sdp.split("\r\n") if not line.startswith("a=ice-pwd")
        )
        with pytest.raises(InvalidAccessError):
            await b.setRemoteDescription(RTCSessionDescription(no_ice, "offer"))
        assert a.signalingState == b.signalingState == "stable"
        assert a.remoteDescription is None and b.remoteDescription is None
        # ...and both still negotiate normally afterwards.
        await a.setLocalDescription(offer)
        await b.setRemoteDescription(a.localDescription)  # type: ignore[arg-type]
        answer = await b.createAnswer()
        wrong_mid = answer.sdp.replace("a=mid:0", "a=mid:9").replace("BUNDLE 0", "BUNDLE 9")
        with pytest.raises(InvalidAccessError):
            await a.setRemoteDescription(RTCSessionDescription(wrong_mid, "answer"))
        assert a.signalingState == "have-local-offer"
        trickle(a, b)
        await b.setLocalDescription(answer)
        await a.setRemoteDescription(b.localDescription)  # type: ignore[arg-type]
        await wait_state(a, "connected")
    finally:
        await a.close()
        await b.close()


async def test_create_answer_needs_a_remote_offer() -> None:
    pc = loopback_pc()
    try:
        with pytest.raises(InvalidStateError):
            await pc.createAnswer()
    finally:
        await pc.close()


async def test_pranswer_then_answer() -> None:
    a, b = loopback_pc(), loopback_pc()
    states: list[str] = []
    a.on("signalingstatechange", lambda: states.append(a.signalingState))
    try:
        trickle(a, b)
        channel = a.createDataChannel("x")
        await a.setLocalDescription(await a.createOffer())
        await b.setRemoteDescription(a.localDescription)  # type: ignore[arg-type]
        answer = await b.createAnswer()
        await b.setLocalDescription(RTCSessionDescription(answer.sdp, "pranswer"))
        assert b.signalingState == "have-local-pranswer"
        await a.setRemoteDescription(RTCSessionDescription(answer.sdp, "pranswer"))
        assert a.signalingState == "have-remote-pranswer"
        await b.setLocalDescription(answer)
        await a.setRemoteDescription(answer)
        assert a.signalingState == b.signalingState == "stable"
        assert states == ["have-local-offer", "have-remote-pranswer", "stable"]
        opened = asyncio.Event()
        channel.on("open", opened.set)
        await asyncio.wait_for(opened.wait(), 10)
    finally:
        await a.close()
        await b.close()


async def test_local_rollback_returns_to_stable() -> None:
    pc = loopback_pc()
    try:
        pc.addTransceiver("audio")
        await pc.setLocalDescription(await pc.createOffer())
        assert pc.getTransceivers()[0].mid == "0"
        await pc.setLocalDescription(RTCSessionDescription("", "rollback"))
        assert pc.signalingState == "stable"
        assert pc.localDescription is None
        assert pc.getTransceivers()[0].mid is None
        with pytest.raises(InvalidStateError):
            await pc.setLocalDescription(RTCSessionDescription("", "rollback"))
    finally:
        await pc.close()


async def test_set_configuration_refuses_immutable_fields() -> None:
    certificate = RTCCertificate.generateCertificate()
    pc = loopback_pc(configuration=RTCConfiguration(certificates=[certificate]))
    try:
        other = RTCCertificate.generateCertificate()
        with pytest.raises(InvalidModificationError):
            pc.setConfiguration(RTCConfiguration(certificates=[other]))
        with pytest.raises(InvalidModificationError):
            pc.setConfiguration(RTCConfiguration(bundlePolicy="max-bundle"))  # type: ignore[arg-type]
        servers = [RTCIceServer(urls="stun:127.0.0.1:3478")]
        pc.setConfiguration(RTCConfiguration(iceServers=servers))
        assert pc.getConfiguration().iceServers == servers
        assert pc.getConfiguration().certificates == [certificate]
        fingerprint = certificate.getFingerprints()[0].value
        pc.createDataChannel("x")
        offer = await pc.createOffer()
        assert f"a=fingerprint:sha-256 {fingerprint}" in offer.sdp
    finally:
        await pc.close()


async def test_operations_run_in_call_order() -> None:
    """setRemoteDescription and addIceCandidate called at once still run in call order."""
    a, b = loopback_pc(), loopback_pc()
    try:
        a.createDataChannel("x")
        await a.setLocalDescription(await a.createOffer())
        offer = a.localDescription
        assert offer is not None
        candidate = RTCIceCandidate.fromJSON(
            {"candidate": "candidate:9 1 udp 1 127.0.0.1 9 typ host", "sdpMid": "0"}
        )
        # Without the chain the candidate would meet no remote description and fail.
        results = await asyncio.gather(
            b.setRemoteDescription(offer), b.addIceCandidate(candidate), b.createAnswer()
        )
        assert results[2].type == "answer"
    finally:
        await a.close()
        await b.close()


async def test_stats_ids_and_types() -> None:
    a, b = loopback_pc(), loopback_pc()
    try:
        trickle(a, b)
        channel = a.createDataChannel("stats")
        await negotiate(a, b)
        opened = asyncio.Event()
        channel.on("open", opened.set)
        await asyncio.wait_for(opened.wait(), 10)
        channel.send(b"x" * 1000)
        await asyncio.sleep(0.1)
        report = await a.getStats()
        by_type: dict[str, list[webrtc.stats.RTCStats]] = {}
        for stats in report.values():
            by_type.setdefault(stats.type, []).append(stats)
            assert report[stats.id] is stats
        for kind in (
            "peer-connection",
            "transport",
            "candidate-pair",
            "local-candidate",
            "remote-candidate",
            "certificate",
            "data-channel",
        ):
            assert kind in by_type, kind
        transport = by_type["transport"][0]
        assert isinstance(transport, webrtc.RTCTransportStats)
        assert transport.dtlsState == "connected" and transport.iceRole == "controlling"
        selected = transport.selectedCandidatePairId
        assert selected is not None and selected in report
        assert transport.bytesSent > 1000 and transport.bytesReceived > 0
        pair = report[selected]
        assert isinstance(pair, webrtc.RTCIceCandidatePairStats)
        assert pair.nominated and pair.localCandidateId in report
        dc = by_type["data-channel"][0]
        assert isinstance(dc, webrtc.RTCDataChannelStats)
        assert (dc.label, dc.state, dc.messagesSent, dc.bytesSent) == ("stats", "open", 1, 1000)
        pcstats = by_type["peer-connection"][0]
        assert isinstance(pcstats, webrtc.RTCPeerConnectionStats)
        assert pcstats.dataChannelsOpened == 1
    finally:
        await a.close()
        await b.close()


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_close_releases_sockets_and_refuses_reuse() -> None:
    before = _open_fds()
    a, b = loopback_pc(), loopback_pc()
    trickle(a, b)
    a.createDataChannel("x")
    await negotiate(a, b)
    await wait_state(a, "connected")
    assert _open_fds() > before
    states: list[str] = []
    a.on("connectionstatechange", lambda: states.append(a.connectionState))
    await a.close()
    await b.close()
    assert _open_fds() == before
    assert (a.signalingState, a.iceConnectionState, a.connectionState) == (
        "closed",
        "closed",
        "closed",
    )
    assert states == ["closed"]
    with pytest.raises(InvalidStateError):
        await a.createOffer()
    with pytest.raises(InvalidStateError):
        a.createDataChannel("y")
    await a.close()  # a second close is harmless


async def test_create_data_channel_arguments() -> None:
    pc = loopback_pc()
    try:
        with pytest.raises(TypeError):
            pc.createDataChannel("x", maxRetransmits=1, maxPacketLifeTime=1)
        with pytest.raises(TypeError):
            pc.createDataChannel("x", negotiated=True)
        with pytest.raises(TypeError):
            pc.createDataChannel("x", negotiated=True, id=65535)
        channel = pc.createDataChannel("x", ordered=False, maxPacketLifeTime=100, protocol="p")
        assert (channel.label, channel.ordered, channel.maxPacketLifeTime) == ("x", False, 100)
        assert (channel.protocol, channel.readyState, channel.id) == ("p", "connecting", None)
        negotiated = pc.createDataChannel("n", negotiated=True, id=7)
        assert negotiated.id == 7 and negotiated.negotiated
    finally:
        await pc.close()


async def test_negotiated_channels_meet_on_their_agreed_id() -> None:
    a, b = loopback_pc(), loopback_pc()
    try:
        trickle(a, b)
        left = a.createDataChannel("agreed", negotiated=True, id=42)
        right = b.createDataChannel("agreed", negotiated=True, id=42)
        await negotiate(a, b)
        got: asyncio.Queue[str | bytes] = asyncio.Queue()
        right.on("message", got.put_nowait)
        opened = asyncio.Event()
        left.on("open", opened.set)
        if left.readyState != "open":
            await asyncio.wait_for(opened.wait(), 10)
        left.send("over 42")
        assert await asyncio.wait_for(got.get(), 10) == "over 42"
    finally:
        await a.close()
        await b.close()
