"""Configuration and settings seen through the PeerConnection: policies, pool, NAT 1:1."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import sdp
from tests.webrtc.peers import LOOPBACK, loopback_pc, negotiate, trickle, wait_state
from webrtc import RTCConfiguration, RTCIceCandidate, RTCPeerConnection


def candidates_of(text: str) -> list[sdp.Candidate]:
    return [c for m in sdp.parse(text).media for c in m.candidates]


async def test_relay_policy_gathers_nothing_without_a_relay() -> None:
    pc = loopback_pc(configuration=RTCConfiguration(iceTransportPolicy="relay"))  # type: ignore[arg-type]
    events: list[RTCIceCandidate | None] = []
    pc.on("icecandidate", events.append)
    try:
        pc.createDataChannel("x")
        await pc.setLocalDescription(await pc.createOffer())
        for _ in range(50):
            if pc.iceGatheringState == "complete":
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.01)
        assert pc.iceGatheringState == "complete"
        assert pc.localDescription is not None
        assert candidates_of(pc.localDescription.sdp) == []
        assert events == [None]
    finally:
        await pc.close()


async def test_candidate_pool_gathers_before_the_offer() -> None:
    pc = loopback_pc(configuration=RTCConfiguration(iceCandidatePoolSize=1))
    events: list[RTCIceCandidate | None] = []
    pc.on("icecandidate", events.append)
    try:
        for _ in range(50):
            if pc._transports.local_candidates:
                break
            await asyncio.sleep(0.02)
        pc.createDataChannel("x")
        offer = await pc.createOffer()
        assert [c.address for c in candidates_of(offer.sdp)] == ["127.0.0.1"]
        assert events == []  # nothing surfaces before a local description
        await pc.setLocalDescription(offer)
        await asyncio.sleep(0.05)
        assert [e.address for e in events if e is not None] == ["127.0.0.1"]
        assert all(e is None or e.sdpMid == "0" for e in events)
    finally:
        await pc.close()


async def test_nat_1to1_address_is_announced() -> None:
    settings = replace(LOOPBACK, ice=replace(LOOPBACK.ice, nat_1to1_ips=("203.0.113.7",)))
    pc = RTCPeerConnection(settings=settings)
    try:
        pc.createDataChannel("x")
        await pc.setLocalDescription(await pc.createOffer())
        assert pc.localDescription is not None
        addresses = {c.address for c in candidates_of(pc.localDescription.sdp)}
        assert addresses == {"203.0.113.7"}
    finally:
        await pc.close()


async def test_create_offer_with_ice_restart() -> None:
    a, b = loopback_pc(), loopback_pc()
    try:
        trickle(a, b)
        channel = a.createDataChannel("x")
        await negotiate(a, b)
        await wait_state(a, "connected")
        before = sdp.parse(a.localDescription.sdp).media[0].ice_ufrag  # type: ignore[union-attr]
        offer = await a.createOffer(iceRestart=True)
        after = sdp.parse(offer.sdp).media[0].ice_ufrag
        assert after != before
        await a.setLocalDescription(offer)
        await b.setRemoteDescription(a.localDescription)  # type: ignore[arg-type]
        answer = await b.createAnswer()
        assert (
            sdp.parse(answer.sdp).media[0].ice_ufrag
            != sdp.parse(
                b.currentLocalDescription.sdp  # type: ignore[union-attr]
            )
            .media[0]
            .ice_ufrag
        )
        await b.setLocalDescription(answer)
        await a.setRemoteDescription(answer)
        await wait_state(a, "connected")
        assert b.connectionState == "connected" and channel.readyState == "open"
    finally:
        await a.close()
        await b.close()
