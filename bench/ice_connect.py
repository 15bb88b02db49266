"""Time from two ICE agents started to both connected: ours against aioice, same run, same place.

Each run creates two agents, gathers, exchanges candidates and credentials the moment they exist
(in-process signalling), and connects one controlling and one controlled; the clock stops when
both report connected. Runs alternate between the two libraries; the median of ``--runs`` each
is reported, and the ratio. Sockets, tasks and timers are closed between runs (not timed).

aioice gathers every interface address except 127.0.0.1/::1 and offers no loopback switch, and
this machine's own addresses are off limits, so both libraries run inside a network namespace
the benchmark creates, on the two ends of a veth pair (tests/netns.py): two private addresses,
hence four candidate pairs, for both. Needs root.

    .venv/bin/python bench/ice_connect.py [--runs 20] [--uvloop]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aioice

from ice import IceConnection, IceSettings, NetworkType
from tests.netns import Namespace, run_in_namespace, veth_namespace


async def ours_once(ns: Namespace) -> float:
    settings = IceSettings(
        network_types=frozenset({NetworkType.UDP4}),
        interface_filter=lambda name: name in ns.interfaces,
    )
    start = time.perf_counter()
    a, b = IceConnection(settings), IceConnection(settings)
    a.on_candidate(b.add_remote_candidate)
    b.on_candidate(a.add_remote_candidate)
    await asyncio.gather(a.gather(), b.gather())
    await asyncio.gather(a.dial(*b.local_credentials), b.accept(*a.local_credentials))
    elapsed = time.perf_counter() - start
    await a.close()
    await b.close()
    return elapsed


async def aioice_once() -> float:
    start = time.perf_counter()
    a = aioice.Connection(ice_controlling=True, use_ipv6=False)
    b = aioice.Connection(ice_controlling=False, use_ipv6=False)
    await asyncio.gather(a.gather_candidates(), b.gather_candidates())
    for x, y in ((a, b), (b, a)):
        for candidate in x.local_candidates:
            await y.add_remote_candidate(candidate)
        await y.add_remote_candidate(None)
        y.remote_username, y.remote_password = x.local_username, x.local_password
    await asyncio.gather(a.connect(), b.connect())
    elapsed = time.perf_counter() - start
    await a.close()
    await b.close()
    return elapsed


async def measure(ns: Namespace, runs: int) -> tuple[list[float], list[float]]:
    await ours_once(ns)
    await aioice_once()  # warm up imports and caches of both
    ours, theirs = [], []
    for _ in range(runs):
        ours.append(await ours_once(ns))
        theirs.append(await aioice_once())
    return ours, theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--uvloop", action="store_true", help="run both on uvloop")
    args = parser.parse_args()
    if args.uvloop:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    with veth_namespace() as ns:
        ours, theirs = run_in_namespace(ns, lambda: measure(ns, args.runs))
    med_ours, med_theirs = statistics.median(ours), statistics.median(theirs)
    loop = "uvloop" if args.uvloop else "asyncio"
    print(f"python {sys.version.split()[0]} on {loop}, {args.runs} runs each, in {ns.name}")
    for name, times in (("ours", ours), ("aioice", theirs)):
        low, mid, high = (1000 * x for x in (min(times), statistics.median(times), max(times)))
        print(f"{name:7}: median {mid:7.2f} ms  (min {low:.2f}, max {high:.2f})")
    print(f"ratio ours/aioice (median): {med_ours / med_theirs:.3f}  (target <= 0.5)")


if __name__ == "__main__":
    main()
