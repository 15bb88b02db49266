"""The lab's scenarios (``../shared/lab/README.md``) on our RTCPeerConnection.

Each scenario has an offerer and an answerer side: a function that creates channels and
registers handlers on ``peer.pc`` before signalling starts, and reports once through
``peer.finish``. Payloads, checks and result fields follow the lab's reference peers (the
messages must be byte-identical to what Chromium's and aiortc's peers generate and expect).
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from webrtc import RTCDataChannel

if TYPE_CHECKING:
    from lab_peer import LabPeer

Message = str | bytes
CHUNK = 16 * 1024
HIGH_WATER = 1024 * 1024
LOW_WATER = 256 * 1024
TYPES: list[tuple[str, dict[str, Any]]] = [
    ("rel-ord", {}),
    ("rel-unord", {"ordered": False}),
    ("rexmit0", {"ordered": False, "maxRetransmits": 0}),
    ("lifetime", {"maxPacketLifeTime": 150}),
    ("negotiated", {"negotiated": True, "id": 42}),
    ("ünïcødé✓", {"protocol": "chat.v1"}),
]
RELIABLE = ("rel-ord", "rel-unord", "negotiated", "ünïcødé✓")
TYPES_N = 20
LARGE_SIZES = (64 * 1024, 256 * 1024, 1024 * 1024)
CHURN_N = 30
MEDIA_ERROR = "media is not implemented yet: the webrtc package has no RTP media path"


# --- payloads (identical to the other lab peers') ------------------------------------------------


def echo_messages() -> list[Message]:
    """50 messages, alternating str/bytes, sizes 1 B .. 64 KiB (geometric)."""
    out: list[Message] = []
    for i in range(50):
        size = max(1, math.floor(65536 ** (i / 49) + 0.5))
        if i % 2 == 0:
            alpha = (
                "abcdefghijklmnopqrstuvwxyzé✓" if i < 20 else "abcdefghijklmnopqrstuvwxyz0123456789"
            )
            out.append("".join(alpha[(i + j) % len(alpha)] for j in range(size)))
        else:
            out.append(bytes((i * 7 + j * 13) & 0xFF for j in range(size)))
    return out


def empty_messages() -> list[Message]:
    return ["", b"", "after-empty", b"\x00\x01"]


def types_messages(label: str) -> list[Message]:
    out: list[Message] = []
    for i in range(TYPES_N):
        if i % 2 == 0:
            out.append(f"{label}#{i}:" + "é✓x" * i)
        else:
            out.append(bytes((i * 11 + j * 7) & 0xFF for j in range(8 + i * 37)))
    return out


def large_payload(size: int, k: int) -> bytes:
    return bytes((j * 13 + k * 101 + (j >> 12)) & 0xFF for j in range(size))


def describe(m: object) -> str:
    if isinstance(m, str):
        return f"str[{len(m)}]"
    if isinstance(m, bytes):
        return f"bytes[{len(m)}]"
    return type(m).__name__


def msg_key(m: Message) -> str:
    return ("s:" + m) if isinstance(m, str) else ("b:" + m.hex())


def same(got: object, expected: Message) -> bool:
    return type(got) is type(expected) and got == expected


def max_message_size(sdp: str | None) -> int | None:
    match = re.search(r"^a=max-message-size:(\d+)", sdp or "", re.M)
    return int(match.group(1)) if match else None


def ch_props(ch: RTCDataChannel) -> dict[str, Any]:
    return {
        "label": ch.label,
        "protocol": ch.protocol,
        "id": ch.id,
        "ordered": ch.ordered,
        "maxRetransmits": ch.maxRetransmits,
        "maxPacketLifeTime": ch.maxPacketLifeTime,
        "negotiated": ch.negotiated,
    }


def _ufrag(sdp: str | None) -> str | None:
    match = re.search(r"^a=ice-ufrag:(\S+)", sdp or "", re.M)
    return match.group(1) if match else None


# --- offerer sides ---------------------------------------------------------------------------


def offer_echo(peer: LabPeer) -> None:
    """dc-echo / dc-empty: #0 alone, the rest once its echo is back (as the other peers do)."""
    expected = echo_messages() if peer.scenario == "dc-echo" else empty_messages()
    ch = peer.pc.createDataChannel("echo")
    got: list[Message] = []
    t_open = [0.0]

    @ch.on("open")
    def on_open() -> None:
        t_open[0] = time.monotonic()
        peer.mark_open()
        ch.send(expected[0])
        peer.after(
            20 if peer.scenario == "dc-echo" else 5,
            lambda: peer.finish(
                ok=False,
                error=f"echo timeout: got {len(got)}/{len(expected)}",
                got=[describe(m) for m in got[-5:]],
            ),
        )

    @ch.on("message")
    def on_message(m: Message) -> None:
        i = len(got)
        got.append(m)
        if i >= len(expected) or not same(m, expected[i]):
            wanted = describe(expected[i]) if i < len(expected) else "nothing"
            peer.finish(ok=False, error=f"mismatch at #{i}: got {describe(m)} expected {wanted}")
        elif len(got) == len(expected):
            peer.finish(
                ok=True, messages=len(got), echo_ms=round((time.monotonic() - t_open[0]) * 1000, 1)
            )
        elif i == 0:
            for rest in expected[1:]:
                ch.send(rest)


class _Restart:
    """The ICE restart of the ``restart`` scenario, half way through the transfer."""

    def __init__(self, peer: LabPeer) -> None:
        self.peer = peer
        self.started = False
        self.info: dict[str, Any] | None = None
        self.error: str | None = None
        self.task: asyncio.Task[None] | None = None

    def start(self, sent_at: int) -> None:
        self.started = True
        self.task = asyncio.get_running_loop().create_task(self._guarded(sent_at))

    async def _guarded(self, sent_at: int) -> None:
        try:
            await self._restart(sent_at)
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            self.peer.log("restart:", self.error)

    async def _restart(self, sent_at: int) -> None:
        pc = self.peer.pc
        before = _ufrag(pc.localDescription.sdp if pc.localDescription else None)
        remote_before = _ufrag(pc.remoteDescription.sdp if pc.remoteDescription else None)
        t0 = time.monotonic()
        pc.restartIce()
        waiter = self.peer.answer_waiter = asyncio.get_running_loop().create_future()
        await self.peer.send_local("offer")
        await asyncio.wait_for(waiter, 10)
        after = _ufrag(pc.localDescription.sdp if pc.localDescription else None)
        remote_after = _ufrag(pc.remoteDescription.sdp if pc.remoteDescription else None)
        self.info = {
            "restart_at_bytes": sent_at,
            "restart_method": "restartIce()",
            "ufrag_before": before,
            "ufrag_after": after,
            "ufrag_changed": bool(before and after and before != after),
            "remote_ufrag_before": remote_before,
            "remote_ufrag_after": remote_after,
            "remote_ufrag_changed": bool(
                remote_before and remote_after and remote_before != remote_after
            ),
            "restart_ms": round((time.monotonic() - t0) * 1000, 1),
        }


def offer_bulk(peer: LabPeer) -> None:
    """dc-bulk / restart: 16 KiB messages, bufferedAmount backpressure (1 MiB / 256 KiB)."""
    total = peer.bytes
    ch = peer.pc.createDataChannel("bulk")
    restart = _Restart(peer)
    ch.bufferedAmountLowThreshold = LOW_WATER
    low = asyncio.Event()
    ch.on("bufferedamountlow", low.set)
    st: dict[str, Any] = {}

    async def pump() -> None:
        base = bytearray((j * 31) & 0xFF for j in range(CHUNK))
        st["t_start"] = time.monotonic()
        sent = idx = max_buf = 0
        while sent < total:
            while ch.bufferedAmount <= HIGH_WATER - CHUNK and sent < total:
                n = min(CHUNK, total - sent)
                base[0:4] = idx.to_bytes(4, "big")
                ch.send(bytes(base[:n]))
                sent += n
                idx += 1
            max_buf = max(max_buf, ch.bufferedAmount)
            if peer.scenario == "restart" and not restart.started and sent >= total // 2:
                restart.start(sent)
            if sent < total:
                low.clear()
                if ch.bufferedAmount > LOW_WATER:
                    await low.wait()
        st["t_sent"] = time.monotonic()
        st["max_buffered"] = max_buf

    @ch.on("open")
    def on_open() -> None:
        peer.mark_open()
        peer.spawn(pump(), "pump")

    post: dict[str, asyncio.Future[Message]] = {}

    @ch.on("message")
    def on_message(m: Message) -> None:
        waiter = post.get("fut")
        if m == "post-restart" and waiter is not None and not waiter.done():
            waiter.set_result(m)
            return
        if not (isinstance(m, str) and m.startswith("done:")):
            return
        t_end = time.monotonic()
        n = int(m[5:])
        secs = t_end - st["t_start"]
        res: dict[str, Any] = {
            "ok": n == total,
            "bytes": n,
            "expected": total,
            "seconds": round(secs, 4),
            "mbps": round(n / secs / 1e6, 3),
            "mibps": round(n / secs / 1048576, 3),
            "send_s": round(st.get("t_sent", t_end) - st["t_start"], 4),
            "max_buffered": st.get("max_buffered"),
        }
        if peer.scenario != "restart":
            peer.finish(**res)
            return

        async def after_restart() -> None:
            done_before = restart.info is None
            if restart.task is not None:
                try:
                    await asyncio.wait_for(asyncio.shield(restart.task), 10)
                except TimeoutError:
                    pass
            echo = False
            if restart.info is not None:
                fut = post["fut"] = asyncio.get_running_loop().create_future()
                ch.send("post-restart")
                try:
                    echo = await asyncio.wait_for(fut, 10) == "post-restart"
                except TimeoutError:
                    pass
            err = restart.error
            if err is None and restart.info is None:
                err = (
                    "no answer to the restart offer" if restart.started else "restart never started"
                )
            info = restart.info or {}
            peer.finish(
                **{
                    **info,
                    **res,
                    "ok": res["ok"] and bool(info.get("ufrag_changed")) and echo and not err,
                    "restart_error": err,
                    "done_before_restart_answer": done_before,
                    "post_restart_echo": echo,
                }
            )

        peer.spawn(after_restart(), "after restart")


def offer_types(peer: LabPeer) -> None:
    """dc-types: six kinds of channel; the answerer reports what it sees and echoes."""
    props: dict[str, Any] = {}
    mism: list[str] = []
    local_mism: list[str] = []
    echoes: dict[str, list[Message]] = {}
    t_open: list[float] = []

    def check() -> None:
        if peer.done.done() or len(props) < len(TYPES):
            return
        if any(len(echoes[lb]) < TYPES_N for lb in RELIABLE):
            return
        echo_err = []
        for lb, init in TYPES:
            if lb not in RELIABLE:
                continue
            exp, got = types_messages(lb), echoes[lb]
            if init.get("ordered") is False:
                if sorted(map(msg_key, got)) != sorted(map(msg_key, exp)):
                    echo_err.append(f"{lb}: echoed set differs")
            else:
                for i, e in enumerate(exp):
                    if not same(got[i], e):
                        echo_err.append(
                            f"{lb}: mismatch at #{i} got {describe(got[i])} expected {describe(e)}"
                        )
                        break
        peer.finish(
            ok=not mism and not echo_err,
            channels=len(props),
            mismatches=mism,
            echo_errors=echo_err,
            local_api_mismatches=local_mism,
            unreliable_echoes={lb: len(echoes[lb]) for lb, _ in TYPES if lb not in RELIABLE},
            echo_ms=round((time.monotonic() - t_open[0]) * 1000, 1),
            remote_props=props,
        )

    def make(lb: str, init: dict[str, Any]) -> None:
        try:
            ch = peer.pc.createDataChannel(lb, **init)
        except Exception as exc:
            peer.finish(
                ok=False,
                error=f"unsupported: createDataChannel({lb!r}, {init}) raised "
                f"{type(exc).__name__}: {exc}",
            )
            return
        echoes[lb] = []

        @ch.on("open")
        def on_open() -> None:
            if t_open:
                return
            t_open.append(time.monotonic())
            peer.mark_open()
            peer.after(
                20,
                lambda: peer.finish(
                    ok=False,
                    error=f"dc-types timeout (20 s): props missing for "
                    f"{[x for x, _ in TYPES if x not in props]}, echoes "
                    f"{ {k: len(v) for k, v in echoes.items()} }",
                    mismatches=mism,
                    remote_props=props,
                ),
            )

        @ch.on("message")
        def on_message(m: Message) -> None:
            if lb in props:
                echoes[lb].append(m)
                check()
                return
            try:
                p = json.loads(m)["props"]
            except Exception:
                p = None
            props[lb] = p
            if p is None:
                mism.append(f"{lb}: first message is not the props JSON: {describe(m)}")
            else:
                exp = {
                    "label": lb,
                    "protocol": init.get("protocol", ""),
                    "id": ch.id,
                    "ordered": init.get("ordered", True) is not False,
                    "maxRetransmits": init.get("maxRetransmits"),
                    "maxPacketLifeTime": init.get("maxPacketLifeTime"),
                    "negotiated": bool(init.get("negotiated")),
                }
                mine = ch_props(ch)
                for k, v in exp.items():
                    if p.get(k) != v or type(p.get(k)) is not type(v):
                        mism.append(
                            f"{lb}.{k}: remote {json.dumps(p.get(k))}, expected {json.dumps(v)}"
                        )
                    if k != "id" and (mine[k] != v or type(mine[k]) is not type(v)):
                        local_mism.append(
                            f"{lb}.{k}: local {json.dumps(mine[k])}, expected {json.dumps(v)}"
                        )
            try:
                for x in types_messages(lb):
                    ch.send(x)
            except Exception as exc:
                mism.append(
                    f"{lb}: send failed: {type(exc).__name__} {exc} (readyState "
                    f"{ch.readyState} when the first message arrived)"
                )
            check()

    for lb, init in TYPES:
        make(lb, init)


def offer_large(peer: LabPeer) -> None:
    """dc-large: 64 KiB, 256 KiB and 1 MiB echoed byte-exact, within a=max-message-size."""
    ch = peer.pc.createDataChannel("large")
    st: dict[str, Any] = {"plan": [], "skipped": [], "got": []}

    def effective(x: int | None) -> float:  # RFC 8841: absent = 64 KiB, 0 = no limit
        return 65536 if x is None else (math.inf if x == 0 else x)

    @ch.on("open")
    def on_open() -> None:
        st["t_open"] = time.monotonic()
        peer.mark_open()
        pc = peer.pc
        rmax = max_message_size(pc.remoteDescription.sdp if pc.remoteDescription else None)
        lmax = max_message_size(pc.localDescription.sdp if pc.localDescription else None)
        st["rmax"], st["lmax"] = rmax, lmax
        for k, size in enumerate(LARGE_SIZES):
            if size > effective(rmax):
                why = "absent (64 KiB default)" if rmax is None else rmax
                st["skipped"].append({"size": size, "reason": f"remote a=max-message-size {why}"})
            elif size > effective(lmax):
                st["skipped"].append(
                    {
                        "size": size,
                        "reason": f"local a=max-message-size {lmax}: the echo could not come back",
                    }
                )
            else:
                st["plan"].append(k)
        try:
            for k in st["plan"]:
                ch.send(large_payload(LARGE_SIZES[k], k))
            ch.send("end")
        except Exception as exc:
            peer.finish(
                ok=False,
                error=f"send failed: {type(exc).__name__}: {exc}",
                skipped=st["skipped"],
                remote_max_message_size=rmax,
                local_max_message_size=lmax,
            )
            return
        peer.after(
            30,
            lambda: peer.finish(
                ok=False,
                error=f"dc-large timeout (30 s): {len(st['got'])}/{len(st['plan'])} echoes",
                got=[describe(x) for x in st["got"]],
                skipped=st["skipped"],
                remote_max_message_size=rmax,
                local_max_message_size=lmax,
            ),
        )

    @ch.on("message")
    def on_message(m: Message) -> None:
        if m != "end":
            st["got"].append(m)
            return
        errs = []
        for i, k in enumerate(st["plan"]):
            exp = large_payload(LARGE_SIZES[k], k)
            g = st["got"][i] if i < len(st["got"]) else None
            if not isinstance(g, bytes):
                errs.append(
                    f"#{i}: got {describe(g) if g is not None else 'nothing'} "
                    f"expected bytes[{len(exp)}]"
                )
            elif len(g) != len(exp):
                errs.append(f"#{i}: got {len(g)} bytes, expected {len(exp)}")
            elif g != exp:
                j = next(j for j in range(len(exp)) if g[j] != exp[j])
                errs.append(f"#{i} ({len(exp)} B): first difference at byte {j}")
        if len(st["got"]) != len(st["plan"]):
            errs.append(f"got {len(st['got'])} echoes, expected {len(st['plan'])}")
        peer.finish(
            ok=not errs and bool(st["plan"]),
            sent_sizes=[LARGE_SIZES[k] for k in st["plan"]],
            skipped=st["skipped"],
            errors=errs,
            remote_max_message_size=st["rmax"],
            local_max_message_size=st["lmax"],
            echo_ms=round((time.monotonic() - st["t_open"]) * 1000, 1),
        )


class _Watched:
    """A channel with its open and close events and its incoming messages, awaitable."""

    def __init__(self, ch: RTCDataChannel) -> None:
        self.ch = ch
        self.opened = asyncio.Event()
        self.closed = asyncio.Event()
        self.messages: asyncio.Queue[Message] = asyncio.Queue()
        ch.on("open", self.opened.set)
        ch.on("close", self.closed.set)
        ch.on("message", self.messages.put_nowait)


async def _within(awaitable: Any, timeout: float) -> Any:
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except TimeoutError:
        return None


def offer_churn(peer: LabPeer) -> None:
    """dc-churn: 30 channels opened, echoed once and closed in turn, then a final one."""
    first = _Watched(peer.pc.createDataChannel("c0"))
    st: dict[str, Any] = {"opens": 0, "echoes": 0, "closes_local": 0, "ids": [], "errors": []}

    def report(**extra: Any) -> None:
        peer.finish(
            opens=st["opens"],
            echoes=st["echoes"],
            closes_local=st["closes_local"],
            ids=st["ids"],
            errors=st["errors"][:10],
            **extra,
        )

    async def churn() -> None:
        for i in range(CHURN_N):
            w = first if i == 0 else _Watched(peer.pc.createDataChannel(f"c{i}"))
            ch = w.ch
            if ch.readyState != "open" and await _within(w.opened.wait(), 5) is None:
                st["errors"].append(f"c{i}: no open within 5 s (state {ch.readyState})")
                break
            st["opens"] += 1
            st["ids"].append(ch.id)
            ch.send(f"ping-c{i}")
            m = await _within(w.messages.get(), 5)
            if m == f"ping-c{i}":
                st["echoes"] += 1
            else:
                what = "timeout (5 s)" if m is None else "wrong: " + describe(m)
                st["errors"].append(f"c{i}: echo {what}")
                break
            ch.close()
            if await _within(w.closed.wait(), 3) is None:
                st["errors"].append(
                    f"c{i}: no local close event within 3 s (state {ch.readyState})"
                )
            else:
                st["closes_local"] += 1
        final = _Watched(peer.pc.createDataChannel("final"))
        if await _within(final.opened.wait(), 5) is None:
            report(ok=False, error="final channel did not open within 5 s")
            return
        final.ch.send("closes?")
        m = await _within(final.messages.get(), 8)
        n = int(m[7:]) if isinstance(m, str) and m.startswith("closes:") else None
        report(
            ok=st["opens"] == CHURN_N and st["echoes"] == CHURN_N and n == CHURN_N,
            closes_remote=n,
            final_ok=n is not None,
            error=None if n is not None else "no reply on the final channel",
        )

    async def guarded() -> None:
        try:
            await asyncio.wait_for(churn(), 70)
        except TimeoutError:
            report(ok=False, error="dc-churn timeout (70 s)")

    @first.ch.on("open")
    def on_open() -> None:
        peer.mark_open()
        peer.spawn(guarded(), "churn")


def media(peer: LabPeer) -> None:
    peer.finish(ok=False, error=MEDIA_ERROR)


# --- answerer sides --------------------------------------------------------------------------


def answer_types(peer: LabPeer) -> None:
    seen: dict[str, dict[str, Any]] = {}
    echoed: dict[str, int] = {}

    def check() -> None:
        if (
            peer.done.done()
            or len(seen) < len(TYPES)
            or not all(v.get("sent") for v in seen.values())
        ):
            return
        known = dict(TYPES)
        unexpected = [lb for lb in seen if lb not in known]
        if any((lb in RELIABLE or lb in unexpected) and echoed[lb] < TYPES_N for lb in seen):
            return
        peer.finish(
            ok=not unexpected,
            channels=len(seen),
            echoed=echoed,
            props={k: v.get("props") for k, v in seen.items()},
            error=f"unexpected channel label(s) {unexpected}" if unexpected else None,
        )

    def attach(ch: RTCDataChannel, how: str) -> None:
        if not seen:
            peer.after(
                25,
                lambda: peer.finish(
                    ok=False,
                    error=f"dc-types timeout (25 s): saw {list(seen)}, echoed {echoed}",
                    props={k: v.get("props") for k, v in seen.items()},
                ),
            )
        seen[ch.label] = {"how": how}
        echoed[ch.label] = 0

        def send_props() -> None:
            s = seen[ch.label]
            if s.get("sent"):
                return
            s["sent"] = True
            s["props"] = ch_props(ch)
            ch.send(json.dumps({"props": s["props"]}))
            check()

        @ch.on("message")
        def on_message(m: Message) -> None:
            ch.send(m)
            echoed[ch.label] += 1
            check()

        if ch.readyState == "open":
            send_props()
        else:
            ch.on("open", send_props)

    @peer.pc.on("datachannel")
    def on_datachannel(ch: RTCDataChannel) -> None:
        attach(ch, "datachannel")

    def make_negotiated() -> None:
        try:
            attach(peer.pc.createDataChannel("negotiated", negotiated=True, id=42), "negotiated")
        except Exception as exc:
            peer.finish(
                ok=False, error=f"unsupported: negotiated channel: {type(exc).__name__}: {exc}"
            )

    peer.after_remote_offer.append(make_negotiated)


def answer_large(peer: LabPeer) -> None:
    @peer.pc.on("datachannel")
    def on_datachannel(ch: RTCDataChannel) -> None:
        sizes: list[int] = []

        @ch.on("message")
        def on_message(m: Message) -> None:
            try:
                ch.send(m)
            except Exception as exc:
                peer.finish(
                    ok=False,
                    error=f"echo of {describe(m)} failed: {type(exc).__name__}: {exc}",
                    echoed=sizes,
                )
                return
            if m == "end":
                pc = peer.pc
                peer.finish(
                    ok=True,
                    echoed=sizes,
                    remote_max_message_size=max_message_size(
                        pc.remoteDescription.sdp if pc.remoteDescription else None
                    ),
                    local_max_message_size=max_message_size(
                        pc.localDescription.sdp if pc.localDescription else None
                    ),
                )
            else:
                sizes.append(len(m))


def answer_churn(peer: LabPeer) -> None:
    cst = {"opens": 0, "closes": 0, "echoes": 0}

    @peer.pc.on("datachannel")
    def on_datachannel(ch: RTCDataChannel) -> None:
        if ch.label == "final":

            @ch.on("message")
            def on_final(m: Message) -> None:
                if m != "closes?":
                    ch.send(m)
                    return

                async def reply() -> None:
                    t0 = time.monotonic()
                    while cst["closes"] < CHURN_N and time.monotonic() - t0 < 5:
                        await asyncio.sleep(0.05)
                    ch.send(f"closes:{cst['closes']}")
                    peer.finish(
                        ok=cst["opens"] == CHURN_N
                        and cst["closes"] == CHURN_N
                        and cst["echoes"] == CHURN_N,
                        **cst,
                    )

                peer.spawn(reply(), "final reply")

            return
        cst["opens"] += 1

        @ch.on("message")
        def on_message(m: Message) -> None:
            ch.send(m)
            cst["echoes"] += 1

        @ch.on("close")
        def on_close() -> None:
            cst["closes"] += 1


def answer_echo_bulk(peer: LabPeer) -> None:
    """dc-echo / dc-empty echo every message; dc-bulk / restart count and check the order."""
    sc = peer.scenario
    bulk = sc in ("dc-bulk", "restart")
    n_expected = len(echo_messages()) if sc == "dc-echo" else len(empty_messages())
    state: dict[str, Any] = {"count": 0, "bytes": 0, "order_ok": True}

    @peer.pc.on("datachannel")
    def on_datachannel(ch: RTCDataChannel) -> None:
        peer.mark_open()

        def closed(why: str = "channel closed") -> None:
            if bulk:
                peer.finish(
                    ok=False, error=f"{why} after {state['bytes']} bytes", bytes=state["bytes"]
                )
            else:
                peer.finish(ok=state["count"] == n_expected, echoed=state["count"], error=why)

        ch.on("close", closed)
        peer.on_close = closed
        if not bulk:

            @ch.on("message")
            def on_echo(m: Message) -> None:
                ch.send(m)
                state["count"] += 1
                if state["count"] >= n_expected:
                    peer.finish(ok=True, echoed=state["count"])

            return

        def fin() -> None:
            secs = state["t_done"] - state["t_first"]
            extra: dict[str, Any] = {}
            if sc == "restart":
                extra = {
                    "renegotiations": peer.marks.get("renegotiations", 0),
                    "restart": peer.marks.get("restart"),
                    "post_restart_echoed": bool(state.get("post_echo")),
                }
            peer.finish(
                ok=state["order_ok"] and state["bytes"] == peer.bytes,
                bytes=state["bytes"],
                messages=state["count"],
                order_ok=state["order_ok"],
                recv_seconds=round(secs, 4),
                recv_mbps=round(state["bytes"] / secs / 1e6, 3),
                **extra,
            )

        @ch.on("message")
        def on_bulk(m: Message) -> None:
            if sc == "restart" and m == "post-restart":
                ch.send(m)
                state["post_echo"] = True
                if state.get("sent_done"):
                    fin()
                return
            if not isinstance(m, bytes):
                state["order_ok"] = False
                return
            if state["bytes"] == 0:
                state["t_first"] = time.monotonic()
            if len(m) >= 4 and int.from_bytes(m[:4], "big") != state["count"]:
                state["order_ok"] = False
            state["count"] += 1
            state["bytes"] += len(m)
            if state["bytes"] >= peer.bytes and "sent_done" not in state:
                state["sent_done"] = True
                state["t_done"] = time.monotonic()
                ch.send(f"done:{state['bytes']}")
                if sc == "restart":  # report after the offerer's post-restart echo (max 15 s)
                    peer.after(15, fin)
                else:
                    fin()


Setup = Callable[["LabPeer"], None]
OFFERERS: dict[str, Setup] = {
    "dc-echo": offer_echo,
    "dc-empty": offer_echo,
    "dc-bulk": offer_bulk,
    "restart": offer_bulk,
    "dc-types": offer_types,
    "dc-large": offer_large,
    "dc-churn": offer_churn,
    "media": media,
}
ANSWERERS: dict[str, Setup] = {
    "dc-echo": answer_echo_bulk,
    "dc-empty": answer_echo_bulk,
    "dc-bulk": answer_echo_bulk,
    "restart": answer_echo_bulk,
    "dc-types": answer_types,
    "dc-large": answer_large,
    "dc-churn": answer_churn,
    "media": media,
}
