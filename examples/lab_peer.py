"""Our peer for the WebRTC lab harness (``../shared/lab``), written against ``webrtc`` alone.

The harness starts a peer inside a network namespace with ``--role offer|answer --scenario NAME
[--bytes N] [--trickle]`` and speaks line-delimited JSON with it: we write our offer or answer,
our trickled candidates and finally one ``result`` line to stdout, and read the other side's
messages from stdin. Logs go to stderr. The scenarios (``lab_scenarios.py``) and the result
fields are those of the lab's reference peer (``peers/aiortc_peer.py``), so the summary lines
of every implementation read alike.

    python3 ../shared/lab/run.py --scenario dc-echo --answer chromium \\
        --offer "cmd:$PWD/.venv/bin/python -u $PWD/examples/lab_peer.py"

``--uvloop`` (or ``LAB_UVLOOP=1`` in the environment) runs it on uvloop. ``LAB_DEBUG=1`` logs
the stack at DEBUG level.

Signalling: with ``--trickle`` the description goes out right after ``setLocalDescription``
and every candidate follows as it is gathered, then an empty one (end of candidates).
Without it the description goes out once gathering is complete, carrying every candidate.
Inbound messages are handled strictly one after another, as a browser's signalling code would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

from lab_scenarios import ANSWERERS, OFFERERS

import webrtc
from webrtc import RTCConfiguration, RTCIceCandidate, RTCPeerConnection, RTCSessionDescription

T_PROC = time.monotonic()
IMPL = "webrtc-stack"
GATHER_TIMEOUT = 5.0
"""Without trickle, how long we wait for gathering to end before sending what we have."""
LINGER = 5.0
"""After our result: wait this long at most for the harness to close stdin (echoes in flight)."""


def log(*parts: object) -> None:
    print(f"[ours {time.monotonic() - T_PROC:7.3f}]", *parts, file=sys.stderr, flush=True)


def ms(t0: float, t1: float | None = None) -> float:
    return round(((t1 if t1 is not None else time.monotonic()) - t0) * 1000, 1)


def sdp_attr(text: str | None, name: str) -> str | None:
    match = re.search(rf"^a={name}:(\S+)", text or "", re.M)
    return match.group(1) if match else None


class LabPeer:
    """One side of a lab run: the peer connection, the signalling and the result.

    Scenarios register their handlers on :attr:`pc` and report through :meth:`finish`
    (the first call wins). :attr:`on_close` replaces the default reaction to the connection
    failing or closing (``ok: false``).
    """

    def __init__(self, args: argparse.Namespace) -> None:
        self.role: str = args.role
        self.scenario: str = args.scenario
        self.bytes: int = args.bytes
        self.trickle: bool = args.trickle
        self.loop = asyncio.get_running_loop()
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.t_pc = time.monotonic()
        self.marks: dict[str, Any] = {}
        self.done: asyncio.Future[dict[str, Any]] = self.loop.create_future()
        self.eof = asyncio.Event()
        self.on_close: Callable[[str], None] | None = None
        self.after_remote_offer: list[Callable[[], None]] = []
        """Called once, after the first remote offer is applied (answerer)."""
        self.answer_waiter: asyncio.Future[None] | None = None
        """Set by an offerer that waits for its (re)offer's answer to be applied."""
        self.trickle_stats: dict[str, Any] = {
            "local": 0,
            "remote": 0,
            "remote_end": 0,
            "add_errors": 0,
        }
        self._inbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._description_sent = False
        self._held: list[dict[str, Any]] = []
        self._gatherings = 0
        self._gathered = asyncio.Event()
        self.pc.on("icecandidate", self._on_candidate)
        self.pc.on("connectionstatechange", self._on_connection_state)

    # --- output -----------------------------------------------------------------------------

    log = staticmethod(log)

    @staticmethod
    def emit(message: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    def finish(self, **result: Any) -> None:
        """Report the scenario's outcome (only the first report counts)."""
        if not self.done.done():
            self.done.set_result(result)

    def spawn(self, coroutine: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]:
        """Run ``coroutine`` as a task we keep; if it raises, the scenario fails with the error."""
        task = self.loop.create_task(coroutine)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                exc = t.exception()
                log(f"{what} failed: {type(exc).__name__}: {exc}")
                self.finish(ok=False, error=f"{what}: {type(exc).__name__}: {exc}")

        task.add_done_callback(done)
        return task

    def after(self, delay: float, callback: Callable[[], None]) -> None:
        """A watchdog: ``callback`` in ``delay`` seconds unless the scenario is done by then."""

        def fire() -> None:
            if not self.done.done():
                callback()

        self.loop.call_later(delay, fire)

    # --- state ------------------------------------------------------------------------------

    def _on_connection_state(self) -> None:
        state = self.pc.connectionState
        log("connectionState", state)
        if state == "connected" and "connected_ms" not in self.marks:
            self.marks["connected_ms"] = ms(self.t_pc)
        if state in ("failed", "closed"):
            if self.on_close is not None:
                self.on_close(state)
            else:
                self.finish(ok=False, error=f"connectionState {state}")

    def mark_open(self) -> None:
        """The scenario's first channel opened: record open_ms and connect_ms."""
        if "open_ms" in self.marks:
            return
        self.marks["open_ms"] = ms(self.t_pc)
        t_answer = self.marks.get("t_answer")
        self.marks["connect_ms"] = ms(t_answer) if t_answer is not None else None

    # --- local descriptions and candidates ----------------------------------------------------

    def _on_candidate(self, candidate: RTCIceCandidate | None) -> None:
        if candidate is None:
            self._gatherings += 1
            self._gathered.set()
            self._gathered = asyncio.Event()
            if self.trickle:
                self._send_candidate({"type": "candidate", "candidate": ""})
            return
        if self.trickle:
            self.trickle_stats["local"] += 1
            self._send_candidate(
                {
                    "type": "candidate",
                    "candidate": candidate.candidate,
                    "sdpMid": candidate.sdpMid,
                    "sdpMLineIndex": candidate.sdpMLineIndex,
                }
            )

    def _send_candidate(self, message: dict[str, Any]) -> None:
        # A candidate must not overtake the description it belongs to.
        if self._description_sent:
            self.emit(message)
        else:
            self._held.append(message)

    async def _wait_gathering(self, seen: int) -> str:
        """Wait until a gathering that ended after ``seen`` gatherings is complete."""
        deadline = self.loop.time() + GATHER_TIMEOUT
        while self._gatherings <= seen:
            remaining = deadline - self.loop.time()
            if remaining <= 0:
                return f"timeout {GATHER_TIMEOUT:g} s"
            try:
                await asyncio.wait_for(self._gathered.wait(), remaining)
            except TimeoutError:
                pass
        return "gathering complete"

    async def send_local(self, kind: str) -> None:
        """Create and apply our offer or answer, then send it (see the module docstring)."""
        seen = self._gatherings
        self._description_sent = False
        if kind == "offer":
            description = await self.pc.createOffer()
        else:
            description = await self.pc.createAnswer()
        await self.pc.setLocalDescription(description)
        if not self.trickle:
            why = await self._wait_gathering(seen)
            if why != "gathering complete":
                log(f"gathering did not end ({why}); sending the {kind} with what we have")
                self.marks["gather_note"] = why
        local = self.pc.localDescription
        assert local is not None
        if self.trickle and "sdp_candidates" not in self.trickle_stats:
            self.trickle_stats["sdp_candidates"] = local.sdp.count("\na=candidate:")
        self.emit({"type": kind, "sdp": local.sdp})
        self._description_sent = True
        for message in self._held:
            self.emit(message)
        self._held.clear()

    # --- inbound signalling -----------------------------------------------------------------

    async def read_stdin(self) -> None:
        reader = asyncio.StreamReader(limit=1 << 24)
        await self.loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while True:
            line = await reader.readline()
            if not line:
                self.eof.set()
                self._inbox.put_nowait(None)
                return
            try:
                message = json.loads(line)
            except ValueError:
                log("bad stdin line", line[:100])
                continue
            if isinstance(message, dict):
                self._inbox.put_nowait(message)

    async def signaling(self) -> None:
        """Handle the other side's messages one at a time, in the order they came."""
        while (message := await self._inbox.get()) is not None:
            kind = message.get("type")
            try:
                await self._handle(kind, message)
            except Exception as exc:  # reported through the scenario, the loop goes on
                log(f"signaling {kind}: {type(exc).__name__}: {exc}")
                if kind == "candidate":
                    self.trickle_stats["add_errors"] += 1
                    continue
                waiter = self.answer_waiter
                if kind == "answer" and waiter is not None and not waiter.done():
                    waiter.set_exception(exc)
                else:
                    self.finish(ok=False, error=f"signaling {kind}: {type(exc).__name__}: {exc}")

    async def _handle(self, kind: object, message: dict[str, Any]) -> None:
        pc = self.pc
        if kind == "candidate":
            init = {
                "candidate": message.get("candidate") or "",
                "sdpMid": message.get("sdpMid"),
                "sdpMLineIndex": message.get("sdpMLineIndex"),
            }
            await pc.addIceCandidate(init)
            self.trickle_stats["remote" if init["candidate"] else "remote_end"] += 1
        elif kind == "offer" and self.role == "answer":
            first = pc.remoteDescription is None
            remote_before = None if first else sdp_attr(_sdp(pc.remoteDescription), "ice-ufrag")
            local_before = None if first else sdp_attr(_sdp(pc.localDescription), "ice-ufrag")
            await pc.setRemoteDescription(RTCSessionDescription(message["sdp"], "offer"))
            if first:
                for hook in self.after_remote_offer:
                    hook()
            await self.send_local("answer")
            if first:
                self.marks["gather_ms"] = ms(self.t_pc)
                return
            remote_after = sdp_attr(_sdp(pc.remoteDescription), "ice-ufrag")
            local_after = sdp_attr(_sdp(pc.localDescription), "ice-ufrag")
            self.marks["renegotiations"] = self.marks.get("renegotiations", 0) + 1
            self.marks["restart"] = {
                "remote_ufrag_changed": remote_before != remote_after,
                "local_ufrag_changed": local_before != local_after,
                "ufrag_before": local_before,
                "ufrag_after": local_after,
            }
            log("renegotiation answered: ufrag", local_before, "->", local_after)
        elif kind == "answer" and self.role == "offer":
            self.marks.setdefault("t_answer", time.monotonic())
            await pc.setRemoteDescription(RTCSessionDescription(message["sdp"], "answer"))
            waiter = self.answer_waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
        else:
            log("ignored message", kind)

    # --- the run ----------------------------------------------------------------------------

    async def run(self) -> dict[str, Any]:
        self.spawn(self.read_stdin(), "stdin")
        table = OFFERERS if self.role == "offer" else ANSWERERS
        setup = table.get(self.scenario)
        if setup is None:
            self.finish(ok=False, error=f"unsupported scenario {self.scenario}")
        else:
            setup(self)
        if not self.done.done():
            if self.role == "offer":
                self.answer_waiter = self.loop.create_future()
                await self.send_local("offer")
                self.marks["gather_ms"] = ms(self.t_pc)
            self.spawn(self.signaling(), "signaling")
        eof: asyncio.Task[Any] = self.loop.create_task(self.eof.wait())
        ended: list[asyncio.Future[Any]] = [self.done, eof]
        await asyncio.wait(ended, return_when=asyncio.FIRST_COMPLETED)
        eof.cancel()
        if self.done.done():
            result = dict(self.done.result())
        else:
            result = {"ok": False, "error": "stdin closed before scenario finished"}
        for key in ("open_ms", "connect_ms", "gather_ms", "connected_ms", "gather_note"):
            if key in self.marks and key not in result:
                result[key] = self.marks[key]
        if self.trickle:
            result["trickle"] = self.trickle_stats
        if not result.get("ok") and self.pc.remoteDescription is not None:
            result["diagnostics"] = await self.diagnostics()
        return result

    async def diagnostics(self) -> dict[str, Any]:
        """What getStats() says about the transport, the candidates and the pairs (on failure)."""
        try:
            report = await self.pc.getStats()
        except Exception as exc:
            return {"error": f"getStats: {type(exc).__name__}: {exc}"}
        out: dict[str, Any] = {"states": self.pc.connectionState, "pairs": [], "candidates": {}}
        for stats in report.values():
            fields = {k: v for k, v in vars(stats).items() if k not in ("timestamp", "type", "id")}
            if stats.type == "transport":
                out["transport"] = fields
            elif stats.type == "candidate-pair":
                out["pairs"].append({"id": stats.id, **fields})
            elif stats.type in ("local-candidate", "remote-candidate"):
                out["candidates"][stats.id] = {
                    k: fields.get(k) for k in ("address", "port", "candidateType", "protocol")
                }
        return out

    async def close(self) -> None:
        self.on_close = lambda state: None
        try:
            await asyncio.wait_for(self.eof.wait(), LINGER)
        except TimeoutError:
            pass
        await asyncio.wait_for(self.pc.close(), 5)
        for task in list(self._tasks):
            task.cancel()


def _sdp(description: RTCSessionDescription | None) -> str | None:
    return description.sdp if description is not None else None


async def main(args: argparse.Namespace, loop_name: str) -> None:
    peer = LabPeer(args)
    try:
        result = await peer.run()
    except Exception as exc:
        log(f"fatal: {type(exc).__name__}: {exc}")
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    result["impl"] = IMPL
    result["loop"] = loop_name
    peer.emit({"type": "result", **result})
    await peer.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="webrtc-stack peer for the WebRTC lab")
    parser.add_argument("--role", required=True, choices=["offer", "answer"])
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--bytes", type=int, default=None)
    parser.add_argument("--trickle", action="store_true")
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop (or LAB_UVLOOP=1)")
    args = parser.parse_args(argv)
    if args.bytes is None:
        args.bytes = 8 * 1024 * 1024 if args.scenario == "restart" else 32 * 1024 * 1024
    return args


def entry() -> None:
    args = parse_args()
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if os.environ.get("LAB_DEBUG") == "1" else logging.WARNING,
        format="[ours %(relativeCreated)8.0f ms] %(name)s %(levelname)s: %(message)s",
    )
    on_uvloop = args.uvloop or os.environ.get("LAB_UVLOOP") == "1"
    webrtc.run(main(args, "uvloop" if on_uvloop else "asyncio"), uvloop=on_uvloop)


if __name__ == "__main__":
    entry()
