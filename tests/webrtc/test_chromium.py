"""Interop with the real Chromium (Debian's package, headless, driven by Playwright).

Everything runs inside a network namespace the test makes, with only ``lo`` up: Chromium and
our peer can reach nothing but each other over 127.0.0.1. The page's peer echoes every
message on every channel.
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.browser import BrowserPeer, chromium_peer
from tests.netns import network_namespace
from tests.webrtc.peers import exchange as echo
from tests.webrtc.peers import loopback_pc, wait_state
from webrtc import RTCDataChannel, RTCIceCandidate, RTCPeerConnection, RTCSessionDescription

pytestmark = pytest.mark.timeout(180)

SIZES = [0, 1, 1000, 16 * 1024, 65536, 256 * 1024]


@pytest.fixture
async def pair() -> AsyncIterator[tuple[RTCPeerConnection, BrowserPeer]]:
    with network_namespace():
        async with chromium_peer() as browser:
            pc = loopback_pc()
            forward_candidates(pc, browser)
            try:
                yield pc, browser
            finally:
                await pc.close()


def forward_candidates(pc: RTCPeerConnection, browser: BrowserPeer) -> None:
    @pc.on("icecandidate")
    async def ours(candidate: RTCIceCandidate | None) -> None:
        if candidate is not None:
            await browser.call("addCandidate", candidate.toJSON())


def payloads() -> list[str | bytes]:
    out: list[str | bytes] = []
    for size in SIZES:
        out.append("x" * size)
        out.append(os.urandom(size))
    out.append("Grüße, 世界 🎉")
    return out


async def test_we_offer_and_the_browser_echoes(pair: tuple[RTCPeerConnection, BrowserPeer]) -> None:
    pc, browser = pair
    channel = pc.createDataChannel("echo")
    await pc.setLocalDescription(await pc.createOffer())
    assert pc.localDescription is not None
    await browser.call("setRemote", pc.localDescription.toJSON())
    answer = await browser.call("createAnswer")
    await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
    candidates = asyncio.create_task(forward_browser_candidates(pc, browser))
    try:
        messages = payloads()
        assert await echo(channel, messages) == messages
        await wait_state(pc, "connected")
        assert (await browser.call("state"))["connection"] == "connected"
        stats = await pc.getStats()
        kinds = {s.type for s in stats.values()}
        assert {"transport", "candidate-pair", "local-candidate", "remote-candidate"} <= kinds
        assert {"certificate", "data-channel", "peer-connection"} <= kinds
    finally:
        candidates.cancel()


async def forward_browser_candidates(pc: RTCPeerConnection, browser: BrowserPeer) -> None:
    while True:
        event = await browser.next_event("candidate", timeout=3600)
        await pc.addIceCandidate(event["candidate"] or None)


async def test_browser_offers_and_opens_channels(
    pair: tuple[RTCPeerConnection, BrowserPeer],
) -> None:
    pc, browser = pair
    incoming: asyncio.Queue[RTCDataChannel] = asyncio.Queue()
    pc.on("datachannel", incoming.put_nowait)
    await browser.call("createChannel", "browser-made", {"protocol": "chat.v1"})
    offer = await browser.call("createOffer")
    await pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], offer["type"]))
    await pc.setLocalDescription(await pc.createAnswer())
    assert pc.localDescription is not None
    await browser.call("setRemote", pc.localDescription.toJSON())
    candidates = asyncio.create_task(forward_browser_candidates(pc, browser))
    try:
        theirs = await asyncio.wait_for(incoming.get(), 20)
        assert (theirs.label, theirs.protocol) == ("browser-made", "chat.v1")
        got: asyncio.Queue[str | bytes] = asyncio.Queue()
        theirs.on("message", got.put_nowait)
        if theirs.readyState != "open":
            opened = asyncio.Event()
            theirs.on("open", opened.set)
            await asyncio.wait_for(opened.wait(), 20)
        # The browser echoes what we send on its own channel.
        sent: list[str | bytes] = ["one", b"two", ""]
        for message in sent:
            theirs.send(message)
            assert await asyncio.wait_for(got.get(), 20) == message
        # Channels we open on the browser's connection: ids by DTLS role (we answered, so we
        # are the DTLS client: even ids; the browser's are odd).
        ours = pc.createDataChannel("python-made", ordered=False)
        messages = payloads()
        assert sorted(await echo(ours, messages), key=_key) == sorted(messages, key=_key)
        partial = pc.createDataChannel("partial", ordered=False, maxRetransmits=3, protocol="p")
        assert await echo(partial, ["small"]) == ["small"]
        seen = {}
        for _ in range(3):
            event = await browser.next_event("open")
            seen[event["label"]] = event
        assert seen["python-made"]["ordered"] is False
        assert seen["partial"]["maxRetransmits"] == 3 and seen["partial"]["protocol"] == "p"
        assert ours.id is not None and theirs.id is not None
        assert ours.id % 2 == 0 and theirs.id % 2 == 1 and seen["partial"]["id"] == partial.id
    finally:
        candidates.cancel()


def _key(message: str | bytes) -> tuple[int, bytes]:
    data = message.encode() if isinstance(message, str) else message
    return (isinstance(message, str), base64.b64encode(data))


async def test_browser_sends_text_binary_and_empty(
    pair: tuple[RTCPeerConnection, BrowserPeer],
) -> None:
    pc, browser = pair
    channel = pc.createDataChannel("types")
    got: asyncio.Queue[Any] = asyncio.Queue()
    channel.on("message", got.put_nowait)
    await pc.setLocalDescription(await pc.createOffer())
    assert pc.localDescription is not None
    await browser.call("setRemote", pc.localDescription.toJSON())
    answer = await browser.call("createAnswer")
    await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
    candidates = asyncio.create_task(forward_browser_candidates(pc, browser))
    try:
        await browser.next_event("open")
        await browser.call("setEcho", False)
        await browser.call("sendText", "types", "")
        await browser.call("sendText", "types", "text")
        await browser.call("sendBinary", "types", "")
        await browser.call("sendBinary", "types", base64.b64encode(b"\x00\xff").decode())
        received = [await asyncio.wait_for(got.get(), 20) for _ in range(4)]
        assert received == ["", "text", b"", b"\x00\xff"]
    finally:
        candidates.cancel()
