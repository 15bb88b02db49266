"""Helpers for PeerConnection tests: loopback-only settings and signalling between two peers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ice import IceSettings, NetworkType
from webrtc import RTCDataChannel, RTCPeerConnection, RTCSessionDescription, Settings

LOOPBACK = Settings(
    ice=IceSettings(
        include_loopback=True,
        interface_filter=lambda name: name == "lo",
        network_types=frozenset({NetworkType.UDP4}),
    )
)


def loopback_pc(**kwargs: Any) -> RTCPeerConnection:
    return RTCPeerConnection(settings=kwargs.pop("settings", LOOPBACK), **kwargs)


def trickle(a: RTCPeerConnection, b: RTCPeerConnection) -> None:
    """Forward every candidate of each side to the other as it is gathered."""

    def forward(to: RTCPeerConnection) -> Callable[[Any], None]:
        def on_candidate(candidate: Any) -> None:
            if to.connectionState != "closed":
                task = to.addIceCandidate(candidate)
                task.add_done_callback(lambda t: t.cancelled() or t.exception())

        return on_candidate

    a.on("icecandidate", forward(b))
    b.on("icecandidate", forward(a))


async def wait_gathered(pc: RTCPeerConnection, timeout: float = 10.0) -> None:
    done = asyncio.Event()
    if pc.iceGatheringState == "complete":
        return

    @pc.on("icegatheringstatechange")
    def check() -> None:
        if pc.iceGatheringState == "complete":
            done.set()

    await asyncio.wait_for(done.wait(), timeout)


async def negotiate(
    offerer: RTCPeerConnection, answerer: RTCPeerConnection, *, trickled: bool = True
) -> None:
    """One offer/answer; without trickle each description goes once gathering is complete."""
    await offerer.setLocalDescription(await offerer.createOffer())
    if not trickled:
        await wait_gathered(offerer)
    offer = offerer.localDescription
    assert offer is not None
    await answerer.setRemoteDescription(RTCSessionDescription(offer.sdp, offer.type))
    await answerer.setLocalDescription(await answerer.createAnswer())
    if not trickled:
        await wait_gathered(answerer)
    answer = answerer.localDescription
    assert answer is not None
    await offerer.setRemoteDescription(RTCSessionDescription(answer.sdp, answer.type))


async def wait_state(pc: RTCPeerConnection, state: str, timeout: float = 10.0) -> None:
    if pc.connectionState == state:
        return
    reached = asyncio.Event()

    def check() -> None:
        if pc.connectionState == state:
            reached.set()

    pc.on("connectionstatechange", check)
    try:
        await asyncio.wait_for(reached.wait(), timeout)
    finally:
        pc.remove_listener("connectionstatechange", check)


async def exchange(channel: RTCDataChannel, messages: list[str | bytes]) -> list[str | bytes]:
    """Send ``messages`` once the channel is open; return the replies (the peer echoes)."""
    got: asyncio.Queue[str | bytes] = asyncio.Queue()
    channel.on("message", got.put_nowait)
    if channel.readyState != "open":
        opened = asyncio.Event()
        channel.on("open", opened.set)
        await asyncio.wait_for(opened.wait(), 20)
    for message in messages:
        channel.send(message)
    return [await asyncio.wait_for(got.get(), 20) for _ in messages]
