"""Interop with aiortc (PyPI), the other Python stack, both offering and answering.

aiortc never gathers loopback addresses, so the test makes a namespace with a veth pair whose
two ends live in it: aiortc gathers both, we use ``v1``'s address, and nothing leaves the
namespace.
"""

from __future__ import annotations

import asyncio
import os

import aiortc
import pytest

from ice import IceSettings, NetworkType
from tests.netns import network_namespace
from tests.webrtc.peers import wait_state
from webrtc import RTCDataChannel, RTCPeerConnection, RTCSessionDescription, Settings

pytestmark = pytest.mark.timeout(120)

OURS = Settings(
    ice=IceSettings(
        interface_filter=lambda name: name == "v1",
        network_types=frozenset({NetworkType.UDP4}),
    )
)
MESSAGES: list[str | bytes] = ["hello aiortc", b"\x00\x01\x02", "x" * 60000, os.urandom(65000)]


async def collect(channel: RTCDataChannel, count: int) -> list[str | bytes]:
    got: asyncio.Queue[str | bytes] = asyncio.Queue()
    channel.on("message", got.put_nowait)
    return [await asyncio.wait_for(got.get(), 20) for _ in range(count)]


def aiortc_echo(pc: aiortc.RTCPeerConnection) -> None:
    @pc.on("datachannel")
    def on_channel(channel: aiortc.RTCDataChannel) -> None:
        @channel.on("message")
        def on_message(message: str | bytes) -> None:
            channel.send(message)


@pytest.mark.parametrize("we_offer", [True, False], ids=["we-offer", "aiortc-offers"])
async def test_echo_with_aiortc(we_offer: bool) -> None:
    with network_namespace(veth=True):
        ours = RTCPeerConnection(settings=OURS)
        theirs = aiortc.RTCPeerConnection()
        try:
            if we_offer:
                aiortc_echo(theirs)
                channel = ours.createDataChannel("echo")
                await ours.setLocalDescription(await ours.createOffer())
                assert ours.localDescription is not None
                await theirs.setRemoteDescription(
                    aiortc.RTCSessionDescription(ours.localDescription.sdp, "offer")
                )
                await theirs.setLocalDescription(await theirs.createAnswer())
                await ours.setRemoteDescription(
                    RTCSessionDescription(theirs.localDescription.sdp, "answer")
                )
                opened = asyncio.Event()
                channel.on("open", opened.set)
                await asyncio.wait_for(opened.wait(), 30)
                replies = asyncio.ensure_future(collect(channel, len(MESSAGES)))
                for message in MESSAGES:
                    channel.send(message)
                assert await replies == MESSAGES
            else:
                incoming: asyncio.Queue[RTCDataChannel] = asyncio.Queue()
                ours.on("datachannel", incoming.put_nowait)
                theirs_channel = theirs.createDataChannel("from-aiortc")
                got: asyncio.Queue[str | bytes] = asyncio.Queue()
                theirs_channel.on("message", got.put_nowait)
                await theirs.setLocalDescription(await theirs.createOffer())
                await ours.setRemoteDescription(
                    RTCSessionDescription(theirs.localDescription.sdp, "offer")
                )
                await ours.setLocalDescription(await ours.createAnswer())
                assert ours.localDescription is not None
                await theirs.setRemoteDescription(
                    aiortc.RTCSessionDescription(ours.localDescription.sdp, "answer")
                )
                channel = await asyncio.wait_for(incoming.get(), 30)
                assert channel.label == "from-aiortc"
                channel.on("message", channel.send)
                opened = asyncio.Event()
                if theirs_channel.readyState != "open":
                    theirs_channel.on("open", opened.set)
                    await asyncio.wait_for(opened.wait(), 30)
                for message in MESSAGES:
                    theirs_channel.send(message)
                assert [await asyncio.wait_for(got.get(), 20) for _ in MESSAGES] == MESSAGES
            await wait_state(ours, "connected")
        finally:
            await ours.close()
            await theirs.close()
