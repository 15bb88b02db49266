"""Time from createOffer to data channel open: our RTCPeerConnection against aiortc's, same run.

Each run builds two peer connections (not timed: both generate a certificate there), then the
clock starts; the offerer creates a channel, the offer and answer go across in-process as soon
as ``setLocalDescription`` returns, and the clock stops when the offerer's channel fires
``open``: gathering, ICE checks and nomination, the DTLS handshake, the SCTP handshake and the
DCEP exchange. Runs alternate between the two stacks; the median of ``--runs`` each is reported,
and the ratio. Everything is closed between runs (not timed).

aiortc gathers every interface address except loopback, and this machine's own addresses are
off limits, so both stacks run inside a network namespace the benchmark creates, on the two
ends of a veth pair (tests/netns.py): the same two private addresses for both. Our stack is
also timed on loopback alone (``ours-lo``: one address), for reference. Needs root.

    .venv/bin/python bench/pc_connect.py [--runs 20] [--uvloop]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiortc

import webrtc
from ice import IceSettings, NetworkType
from tests.netns import Namespace, run_in_namespace, veth_namespace


def our_settings(interfaces: tuple[str, ...], loopback: bool = False) -> webrtc.Settings:
    return webrtc.Settings(
        ice=IceSettings(
            network_types=frozenset({NetworkType.UDP4}),
            interface_filter=lambda name: name in interfaces,
            include_loopback=loopback,
        )
    )


async def connect_once(
    offerer: Any, answerer: Any, description: Callable[[str, str], Any]
) -> float:
    """createOffer → channel open, the same steps with either stack."""
    opened = asyncio.Event()
    start = time.perf_counter()
    channel = offerer.createDataChannel("bench")
    channel.on("open", opened.set)
    await offerer.setLocalDescription(await offerer.createOffer())
    await answerer.setRemoteDescription(description(offerer.localDescription.sdp, "offer"))
    await answerer.setLocalDescription(await answerer.createAnswer())
    await offerer.setRemoteDescription(description(answerer.localDescription.sdp, "answer"))
    await asyncio.wait_for(opened.wait(), 30)
    return time.perf_counter() - start


async def ours_once(settings: webrtc.Settings) -> float:
    a = webrtc.RTCPeerConnection(settings=settings)
    b = webrtc.RTCPeerConnection(settings=settings)
    try:
        return await connect_once(a, b, webrtc.RTCSessionDescription)
    finally:
        await a.close()
        await b.close()


async def aiortc_once() -> float:
    a, b = aiortc.RTCPeerConnection(), aiortc.RTCPeerConnection()
    try:
        return await connect_once(a, b, aiortc.RTCSessionDescription)
    finally:
        await a.close()
        await b.close()


async def measure(ns: Namespace, runs: int) -> dict[str, list[float]]:
    kinds: dict[str, Callable[[], Awaitable[float]]] = {
        "ours": lambda: ours_once(our_settings(ns.interfaces)),
        "aiortc": aiortc_once,
        "ours-lo": lambda: ours_once(our_settings(("lo",), loopback=True)),
    }
    for once in kinds.values():
        await once()  # warm up imports and caches of each
    times: dict[str, list[float]] = {name: [] for name in kinds}
    for _ in range(runs):
        for name, once in kinds.items():
            times[name].append(await once())
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--uvloop", action="store_true", help="run both on uvloop")
    args = parser.parse_args()
    if args.uvloop:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    with veth_namespace() as ns:
        times = run_in_namespace(ns, lambda: measure(ns, args.runs))
    loop = "uvloop" if args.uvloop else "asyncio"
    print(f"python {sys.version.split()[0]} on {loop}, {args.runs} runs each, in {ns.name}")
    for name, values in times.items():
        low, mid, high = (1000 * x for x in (min(values), statistics.median(values), max(values)))
        print(f"{name:8}: median {mid:7.2f} ms  (min {low:.2f}, max {high:.2f})")
    ratio = statistics.median(times["ours"]) / statistics.median(times["aiortc"])
    print(f"ratio ours/aiortc (median, same veth addresses): {ratio:.3f}  (target <= 0.5)")


if __name__ == "__main__":
    main()
