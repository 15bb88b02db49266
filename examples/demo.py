"""The main demo: two RTCPeerConnections of this stack talk over a data channel.

    python examples/demo.py [--megabytes 32]

Both peers live in this process and gather loopback only (``Settings`` with an interface
filter), so nothing leaves the machine. It shows the offer/answer with trickled candidates,
the W3C state changes, a few chat messages, a bulk transfer with ``bufferedAmount``
backpressure, and what ``getStats()`` reports.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import webrtc
from ice import IceSettings, NetworkType
from webrtc import (
    RTCDataChannel,
    RTCIceCandidate,
    RTCPeerConnection,
    RTCTransportStats,
    Settings,
)

LOOPBACK = Settings(
    ice=IceSettings(
        include_loopback=True,
        interface_filter=lambda name: name == "lo",
        network_types=frozenset({NetworkType.UDP4}),
    )
)
CHUNK = 16 * 1024


def show_states(name: str, pc: RTCPeerConnection) -> None:
    @pc.on("connectionstatechange")
    def on_change() -> None:
        print(f"  {name}: connection {pc.connectionState}")


class Signalling:
    """Carries trickled candidates; like any app, it holds them until the other side has the
    description they belong to (addIceCandidate needs a remote description)."""

    def __init__(self, a: RTCPeerConnection, b: RTCPeerConnection) -> None:
        self.held: dict[RTCPeerConnection, list[RTCIceCandidate]] = {a: [], b: []}
        a.on("icecandidate", lambda c: self.forward(b, c))
        b.on("icecandidate", lambda c: self.forward(a, c))

    def forward(self, dst: RTCPeerConnection, candidate: RTCIceCandidate | None) -> None:
        if candidate is None:
            return
        if dst.remoteDescription is None:
            self.held[dst].append(candidate)
        else:
            dst.addIceCandidate(candidate)

    def release(self, dst: RTCPeerConnection) -> None:
        for candidate in self.held[dst]:
            dst.addIceCandidate(candidate)
        self.held[dst].clear()


async def main(megabytes: int) -> None:
    alice = RTCPeerConnection(settings=LOOPBACK)
    bob = RTCPeerConnection(settings=LOOPBACK)
    show_states("alice", alice)
    show_states("bob", bob)
    signalling = Signalling(alice, bob)
    received = asyncio.Queue[str]()
    bulk_done = asyncio.Event()
    total = megabytes * 1024 * 1024

    @bob.on("datachannel")
    def on_datachannel(channel: RTCDataChannel) -> None:
        counted = 0

        @channel.on("message")
        def on_message(message: str | bytes) -> None:
            nonlocal counted
            if isinstance(message, str):
                channel.send(f"bob got {message!r}")
            else:
                counted += len(message)
                if counted >= total:
                    bulk_done.set()

    chat = alice.createDataChannel("chat")
    chat.on("message", received.put_nowait)
    opened = asyncio.Event()
    chat.on("open", opened.set)

    print("offer/answer with trickled candidates:")
    await alice.setLocalDescription(await alice.createOffer())
    await bob.setRemoteDescription(alice.localDescription)  # type: ignore[arg-type]
    signalling.release(bob)
    await bob.setLocalDescription(await bob.createAnswer())
    await alice.setRemoteDescription(bob.localDescription)  # type: ignore[arg-type]
    signalling.release(alice)
    await asyncio.wait_for(opened.wait(), 10)

    print("chat:")
    for text in ("hello", "how are you?", "Grüße 🎉"):
        chat.send(text)
        print("  alice <-", await asyncio.wait_for(received.get(), 5))

    print(f"bulk: {megabytes} MiB in {CHUNK // 1024} KiB messages, with backpressure")
    chat.bufferedAmountLowThreshold = 256 * 1024
    room = asyncio.Event()
    chat.on("bufferedamountlow", room.set)
    payload = bytes(CHUNK)
    start = time.perf_counter()
    sent = 0
    while sent < total:
        if chat.bufferedAmount > 1024 * 1024:
            room.clear()
            await room.wait()
        chat.send(payload)
        sent += CHUNK
    await asyncio.wait_for(bulk_done.wait(), 120)
    elapsed = time.perf_counter() - start
    print(f"  {total / elapsed / 1e6:.1f} MB/s ({elapsed:.2f} s)")

    report = await alice.getStats()
    transport = next(s for s in report.values() if isinstance(s, RTCTransportStats))
    pair = report[transport.selectedCandidatePairId or ""]
    print("stats:")
    print(
        f"  transport: ICE {transport.iceState} ({transport.iceRole}), DTLS {transport.dtlsState}"
    )
    print(f"  cipher {transport.dtlsCipher}, {transport.bytesSent} bytes sent")
    print(f"  selected pair: {pair.id}")
    await alice.close()
    await bob.close()
    print("closed:", alice.connectionState, bob.connectionState)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=int, default=32)
    webrtc.run(main(parser.parse_args().megabytes))  # on uvloop when installed
