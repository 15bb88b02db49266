"""Our stack as a peer of the WebRTC lab harness (../shared/lab): ``dc-bulk`` and ``dc-echo``.

    PEER="cmd:$PWD/.venv/bin/python -u $PWD/bench/lab_peer.py"
    python3 /work/shared/lab/run.py --scenario dc-bulk --bytes 67108864 \\
        --offer "$PEER" --answer "$PEER" [--netem "delay 20ms loss 1%"]

Add ``--loop uvloop`` inside the quoted command to run on uvloop. The harness runs each peer
in its own network namespace (10.77.0.1 / 10.77.0.2, optionally through its netem relay),
relays the line-delimited JSON on stdin/stdout, samples CPU, and prints one summary line: the
same harness, link and measurement as for its aiortc and Chromium peers.

The scenarios do what ``peers/aiortc_peer.py`` does, with the same sizes and backpressure
(send while bufferedAmount <= 1 MiB - 16 KiB, then wait for bufferedamountlow at 256 KiB), so
the figures compare.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from webrtc import (
    RTCDataChannel,
    RTCPeerConnection,
    RTCSessionDescription,
)

CHUNK = 16 * 1024
HIGH_WATER = 1024 * 1024
LOW_WATER = 256 * 1024
T0 = time.monotonic()


def log(*parts: object) -> None:
    print(f"[ours {time.monotonic() - T0:7.3f}]", *parts, file=sys.stderr, flush=True)


def emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def echo_messages() -> list[bytes | str]:
    """The lab's dc-echo set: 50 messages, str and bytes in turn, 1 B to 64 KiB."""
    out: list[bytes | str] = []
    for i in range(50):
        size = max(1, math.floor(65536 ** (i / 49) + 0.5))
        if i % 2 == 0:
            alpha = (
                "abcdefghijklmnopqrstuvwxyzé✓" if i < 20 else "abcdefghijklmnopqrstuvwxyz0123456789"
            )
            out.append("".join(alpha[(i + j) % len(alpha)] for j in range(size)))
        else:
            out.append(bytes(((i * 7 + j * 13) & 0xFF) for j in range(size)))
    return out


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", required=True, choices=["offer", "answer"])
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--bytes", type=int, default=32 * 1024 * 1024)
    parser.add_argument("--trickle", action="store_true")
    parser.add_argument("--loop", default="asyncio")
    args = parser.parse_args()
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
    done: asyncio.Future[dict[str, Any]] = loop.create_future()

    def read_stdin() -> None:
        line = sys.stdin.readline()
        inbox.put_nowait(json.loads(line) if line.strip() else None)
        if not line:
            loop.remove_reader(sys.stdin.fileno())

    loop.add_reader(sys.stdin.fileno(), read_stdin)

    def finish(**result: Any) -> None:
        if not done.done():
            done.set_result(result)

    if args.scenario not in ("dc-bulk", "dc-echo"):
        emit({"type": "result", "ok": False, "error": f"unsupported scenario {args.scenario}"})
        return
    pc = RTCPeerConnection()

    @pc.on("connectionstatechange")
    def on_state() -> None:
        log("connectionState", pc.connectionState)
        if pc.connectionState in ("failed", "closed"):
            finish(ok=False, error=f"connectionState {pc.connectionState}")

    async def wait_for(kind: str) -> dict[str, Any]:
        while True:
            message = await inbox.get()
            if message is None:
                raise SystemExit(f"stdin closed while waiting for {kind}")
            if message.get("type") == kind:
                return message
            log("ignoring", message.get("type"))

    if args.role == "offer":
        channel = pc.createDataChannel("bulk" if args.scenario == "dc-bulk" else "echo")
        if args.scenario == "dc-bulk":
            setup_bulk_sender(channel, args.bytes, finish)
        else:
            setup_echo_sender(channel, finish)
        await pc.setLocalDescription(await pc.createOffer())
        assert pc.localDescription is not None
        emit({"type": "offer", "sdp": pc.localDescription.sdp})
        answer = await wait_for("answer")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
    else:

        @pc.on("datachannel")
        def on_datachannel(channel: RTCDataChannel) -> None:
            if args.scenario == "dc-bulk":
                setup_bulk_receiver(channel, args.bytes, finish)
            else:
                echoed = [0]

                def echo(message: bytes | str) -> None:
                    channel.send(message)
                    echoed[0] += 1
                    if echoed[0] == len(echo_messages()):
                        finish(ok=True, echoed=echoed[0])

                channel.on("message", echo)

        offer = await wait_for("offer")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        assert pc.localDescription is not None
        emit({"type": "answer", "sdp": pc.localDescription.sdp})

    result = await asyncio.wait_for(done, 900)
    emit({"type": "result", **result})
    sctp = pc.sctp
    if sctp is not None:
        stats = sctp.core.stats.as_dict()
        log("sctp stats", json.dumps({k: v for k, v in stats.items() if v}))
    # Linger so a last "done:" or echo leaves, until the harness closes stdin (max 5 s).
    try:
        while await asyncio.wait_for(inbox.get(), 5) is not None:
            pass
    except TimeoutError:
        pass
    await pc.close()


def setup_bulk_sender(channel: RTCDataChannel, total: int, finish: Any) -> None:
    state: dict[str, Any] = {}
    low = asyncio.Event()
    channel.bufferedAmountLowThreshold = LOW_WATER
    channel.on("bufferedamountlow", low.set)

    async def pump() -> None:
        base = bytearray((j * 31) & 0xFF for j in range(CHUNK))
        state["t_start"] = time.monotonic()
        sent = index = 0
        while sent < total:
            while channel.bufferedAmount <= HIGH_WATER - CHUNK and sent < total:
                n = min(CHUNK, total - sent)
                base[0:4] = index.to_bytes(4, "big")
                channel.send(bytes(base[:n]))
                sent += n
                index += 1
            if sent < total:
                low.clear()
                if channel.bufferedAmount > LOW_WATER:
                    await low.wait()
        state["t_sent"] = time.monotonic()

    channel.on("open", lambda: asyncio.ensure_future(pump()))

    def on_message(message: bytes | str) -> None:
        if isinstance(message, str) and message.startswith("done:"):
            seconds = time.monotonic() - state["t_start"]
            received = int(message[5:])
            finish(
                ok=received == total,
                bytes=received,
                expected=total,
                seconds=round(seconds, 4),
                mbps=round(received / seconds / 1e6, 3),
                send_s=round(state.get("t_sent", time.monotonic()) - state["t_start"], 4),
            )

    channel.on("message", on_message)


def setup_bulk_receiver(channel: RTCDataChannel, total: int, finish: Any) -> None:
    state = {"bytes": 0, "count": 0, "order_ok": True, "t_first": 0.0}

    def on_message(message: bytes | str) -> None:
        if state["bytes"] == 0:
            state["t_first"] = time.monotonic()
        if isinstance(message, str) or int.from_bytes(message[:4], "big") != state["count"]:
            state["order_ok"] = False
        state["count"] += 1
        state["bytes"] += len(message)
        if state["bytes"] >= total:
            channel.send(f"done:{state['bytes']}")
            seconds = time.monotonic() - state["t_first"]
            finish(
                ok=bool(state["order_ok"]) and state["bytes"] == total,
                bytes=state["bytes"],
                messages=state["count"],
                order_ok=state["order_ok"],
                recv_seconds=round(seconds, 4),
                recv_mbps=round(state["bytes"] / seconds / 1e6, 3),
            )

    channel.on("message", on_message)


def setup_echo_sender(channel: RTCDataChannel, finish: Any) -> None:
    expected = echo_messages()
    got: list[bytes | str] = []

    def on_open() -> None:
        channel.send(expected[0])

    def on_message(message: bytes | str) -> None:
        index = len(got)
        got.append(message)
        if (
            index >= len(expected)
            or type(message) is not type(expected[index])
            or message != expected[index]
        ):
            finish(ok=False, error=f"mismatch at #{index}")
        elif len(got) == len(expected):
            finish(ok=True, messages=len(got))
        elif index == 0:
            for rest in expected[1:]:
                channel.send(rest)

    channel.on("open", on_open)
    channel.on("message", on_message)


if __name__ == "__main__":
    if "--loop" in sys.argv and sys.argv[sys.argv.index("--loop") + 1] == "uvloop":
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())
