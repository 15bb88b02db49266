"""Two of our RTCPeerConnections in one process on loopback: the whole stack, real sockets."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

from tests.webrtc.peers import exchange, loopback_pc, negotiate, trickle, wait_state
from webrtc import RTCDataChannel, RTCIceCandidate, RTCPeerConnection, RTCSessionDescription

T = TypeVar("T")


async def echo_on(pc: RTCPeerConnection) -> asyncio.Queue[RTCDataChannel]:
    """Every channel the peer opens echoes what it gets; the channels go into the queue."""
    channels: asyncio.Queue[RTCDataChannel] = asyncio.Queue()

    @pc.on("datachannel")
    def on_channel(channel: RTCDataChannel) -> None:
        @channel.on("message")
        def on_message(message: str | bytes) -> None:
            channel.send(message)

        channels.put_nowait(channel)

    return channels


MESSAGES: list[str | bytes] = ["hello", b"\x00\x01binary", "", b"", "é" * 1000, os.urandom(65536)]


@pytest.mark.parametrize("trickled", [True, False], ids=["trickle", "non-trickle"])
async def test_data_channel_echo(trickled: bool) -> None:
    a, b = loopback_pc(), loopback_pc()
    try:
        if trickled:
            trickle(a, b)
        await echo_on(b)
        channel = a.createDataChannel("chat")
        await negotiate(a, b, trickled=trickled)
        assert await exchange(channel, MESSAGES) == MESSAGES
        await wait_state(a, "connected")
        assert a.connectionState == b.connectionState == "connected"
        assert a.iceConnectionState in ("connected", "completed")
        assert channel.id is not None and channel.id % 2 == 1  # a is the DTLS server (passive)
    finally:
        await a.close()
        await b.close()
    assert a.connectionState == b.connectionState == "closed"
    assert channel.readyState == "closed"


async def test_answerer_opens_a_channel_too() -> None:
    a, b = loopback_pc(), loopback_pc()
    try:
        trickle(a, b)
        await echo_on(a)
        a.createDataChannel("first")
        await negotiate(a, b)
        channel = b.createDataChannel("from-answerer")
        assert await exchange(channel, ["ping"]) == ["ping"]
        assert channel.id is not None and channel.id % 2 == 0  # b is the DTLS client
    finally:
        await a.close()
        await b.close()


async def test_renegotiation_adds_a_second_channel_and_ice_restart_keeps_it() -> None:
    a, b = loopback_pc(), loopback_pc()
    try:
        trickle(a, b)
        needed = asyncio.Event()
        a.on("negotiationneeded", needed.set)
        await echo_on(b)
        first = a.createDataChannel("first")
        await asyncio.wait_for(needed.wait(), 5)
        await negotiate(a, b)
        assert await exchange(first, ["one"]) == ["one"]
        # A second channel on an existing association needs no negotiation.
        needed.clear()
        second = a.createDataChannel("second")
        assert await exchange(second, ["two"]) == ["two"]
        await asyncio.sleep(0.05)
        assert not needed.is_set()

        ufrag = a.localDescription.sdp.split("a=ice-ufrag:")[1].split("\r\n")[0]  # type: ignore[union-attr]
        a.restartIce()
        await asyncio.wait_for(needed.wait(), 5)
        await negotiate(a, b)
        new_ufrag = a.localDescription.sdp.split("a=ice-ufrag:")[1].split("\r\n")[0]  # type: ignore[union-attr]
        assert new_ufrag != ufrag
        assert await exchange(first, ["after restart"]) == ["after restart"]
        assert a.connectionState == "connected"
    finally:
        await a.close()
        await b.close()


async def test_close_leaves_no_tasks() -> None:
    before = asyncio.all_tasks()
    a, b = loopback_pc(), loopback_pc()
    trickle(a, b)
    await echo_on(b)
    channel = a.createDataChannel("x")
    await negotiate(a, b)
    assert await exchange(channel, ["x"]) == ["x"]
    await a.close()
    await b.close()
    await asyncio.sleep(0)
    left = asyncio.all_tasks() - before
    assert not left, left


async def test_perfect_negotiation_glare_ends_connected() -> None:
    """Both sides offer at once; the polite one rolls back (webrtc-pc §10.7 example)."""
    peers = [loopback_pc(), loopback_pc()]
    boxes: list[asyncio.Queue[RTCSessionDescription]] = [asyncio.Queue(), asyncio.Queue()]
    trickle(peers[0], peers[1])
    tasks = []

    async def run(index: int) -> None:
        pc, polite = peers[index], index == 0
        inbox, outbox = boxes[index], boxes[1 - index]
        making_offer = False

        @pc.on("negotiationneeded")
        async def on_negotiation_needed() -> None:
            nonlocal making_offer
            making_offer = True
            try:
                await pc.setLocalDescription()
                assert pc.localDescription is not None
                outbox.put_nowait(pc.localDescription)
            finally:
                making_offer = False

        while True:
            description = await inbox.get()
            collision = description.type == "offer" and (
                making_offer or pc.signalingState != "stable"
            )
            if collision and not polite:
                continue
            await pc.setRemoteDescription(description)
            if description.type == "offer":
                await pc.setLocalDescription()
                assert pc.localDescription is not None
                outbox.put_nowait(pc.localDescription)

    try:
        queues = [await echo_on(pc) for pc in peers]
        tasks = [asyncio.create_task(run(i)) for i in range(2)]
        await asyncio.sleep(0)  # both handlers registered before negotiation is needed
        channels = [pc.createDataChannel(f"from-{i}") for i, pc in enumerate(peers)]
        for i, channel in enumerate(channels):
            assert await exchange(channel, [f"hi {i}"]) == [f"hi {i}"]
        for queue in queues:
            assert (await asyncio.wait_for(queue.get(), 10)).readyState == "open"
        assert [pc.connectionState for pc in peers] == ["connected", "connected"]
    finally:
        for task in tasks:
            task.cancel()
        for pc in peers:
            await pc.close()


def ice_ufrag(description: RTCSessionDescription | None) -> str | None:
    assert description is not None
    return description.sdp.split("a=ice-ufrag:")[1].split("\r\n")[0]


async def test_restart_candidates_surface_with_their_local_description() -> None:
    """An ICE restart gathers at once (at createOffer, or at the remote restart offer), but each
    candidate must surface only with the local description of its generation. Found in the lab:
    the answerer trickled its new candidates ahead of its answer, and the offerer refused them
    ("usernameFragment matches no ICE generation")."""
    a, b = loopback_pc(), loopback_pc()
    seen: list[tuple[str, str | None, str | None]] = []

    def watch(name: str, pc: RTCPeerConnection) -> None:
        def on_candidate(candidate: RTCIceCandidate | None) -> None:
            if candidate is not None:
                seen.append((name, candidate.usernameFragment, ice_ufrag(pc.localDescription)))

        pc.on("icecandidate", on_candidate)

    try:
        watch("a", a)
        watch("b", b)
        await echo_on(b)
        channel = a.createDataChannel("chat")
        await negotiate(a, b)  # the descriptions carry the host candidates
        assert await exchange(channel, ["before"]) == ["before"]
        old_b = ice_ufrag(b.localDescription)

        a.restartIce()
        await a.setLocalDescription(await a.createOffer())
        gathered = asyncio.Event()

        @b.on("icegatheringstatechange")
        def on_gathering() -> None:
            if b.iceGatheringState == "complete":
                gathered.set()

        await b.setRemoteDescription(a.localDescription)  # type: ignore[arg-type]
        await asyncio.wait_for(gathered.wait(), 5)  # b's new generation is gathered...
        await asyncio.sleep(0.05)
        assert all(ufrag == old_b for name, ufrag, _ in seen if name == "b")  # ...but held back
        await b.setLocalDescription(await b.createAnswer())
        new_b = ice_ufrag(b.localDescription)
        assert new_b != old_b
        await a.setRemoteDescription(b.localDescription)  # type: ignore[arg-type]
        assert await exchange(channel, ["after"]) == ["after"]
        await asyncio.sleep(0.05)
        assert ("b", new_b, new_b) in seen  # surfaced once the answer was set
        assert all(ufrag == local for _, ufrag, local in seen), seen
    finally:
        await a.close()
        await b.close()


async def test_close_does_not_wait_for_a_peer_that_has_gone() -> None:
    """Found in the lab: ``close()`` waited 5 s for a SHUTDOWN-ACK once Chromium had exited.
    webrtc-pc's "close the connection" (and every browser) ends the association with an ABORT.
    The peer here runs on an event loop of its own, in a thread, which we then stall."""
    loop_b = asyncio.new_event_loop()
    thread = threading.Thread(target=loop_b.run_forever, name="peer-b", daemon=True)
    thread.start()

    def on_b(coroutine: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, loop_b))

    async def answer(offer: RTCSessionDescription) -> tuple[RTCPeerConnection, str]:
        b = loopback_pc()
        await echo_on(b)
        await b.setRemoteDescription(offer)
        await b.setLocalDescription(await b.createAnswer())
        assert b.localDescription is not None
        return b, b.localDescription.sdp

    a = loopback_pc()
    b: RTCPeerConnection | None = None
    stalled = threading.Event()
    try:
        channel = a.createDataChannel("x")
        await a.setLocalDescription(await a.createOffer())
        assert a.localDescription is not None
        b, answer_sdp = await on_b(answer(a.localDescription))
        await a.setRemoteDescription(RTCSessionDescription(answer_sdp, "answer"))
        assert await exchange(channel, ["x"]) == ["x"]
        loop_b.call_soon_threadsafe(stalled.wait, 10)  # b stops answering anything
        started = time.monotonic()
        await a.close()
        elapsed = time.monotonic() - started
        assert a.connectionState == "closed"
        assert channel.readyState == "closed"
        assert elapsed < 1.0, f"close() took {elapsed:.2f} s"
    finally:
        stalled.set()
        await a.close()
        if b is not None:
            await on_b(b.close())
        loop_b.call_soon_threadsafe(loop_b.stop)
        thread.join(5)
        loop_b.close()
