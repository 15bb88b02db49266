"""Bulk transfer on one reliable ordered data channel: our stack beside aiortc, in one run.

64 MiB (by default) in 16 KiB messages with bufferedAmount backpressure (send while
bufferedAmount <= 1 MiB - 16 KiB, then wait for bufferedamountlow at 256 KiB: the lab's dc-bulk
scenario). The receiver checks order and size and answers "done:<bytes>"; the sender's clock
runs from the first send to that answer.

    python bench/sctp_bulk.py                      # everything below, both stacks, both loops
    python bench/sctp_bulk.py inmem --layers sctp  # one process, in-memory link, SCTP only
    python bench/sctp_bulk.py inmem --layers dtls  # one process, SCTP over DTLS, in memory
    python bench/sctp_bulk.py udp                  # two processes, SCTP over DTLS over UDP
    python bench/sctp_bulk.py udp --netem "delay 20ms loss 1%"

Options: --bytes N, --loop asyncio|uvloop|both, --stack ours|aiortc|both, --repeat N.

What each figure measures, exactly:

* ``inmem`` runs both peers in this process over an in-memory datagram link (each datagram is
  delivered by ``loop.call_soon``). ``--layers sctp``: ours is SctpTransport on the link;
  aiortc is its RTCSctpTransport on a shim of the four RTCDtlsTransport members it uses.
  ``--layers dtls``: ours is SctpTransport over our DtlsTransport; aiortc is RTCSctpTransport
  over its RTCDtlsTransport over a shim of its ICE transport (``_send`` and an awaited
  ``_recv`` on a queue: aioice's own shape). CPU is this process's, both peers together.
* ``udp`` runs sender and receiver as two processes on 127.0.0.1: ours is SCTP over our DTLS
  over an asyncio UDP socket (no ICE: nothing of ICE is on the data path once it is
  connected); aiortc is the same over its DTLS with the same ICE shim on a UDP socket. CPU
  seconds are each process's own (getrusage), counted over the transfer only.
* ``--netem`` impairs the UDP path in this benchmark's own socket layer, both directions
  (delay with a timer per datagram, random loss): the same for both stacks in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import random
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHUNK = 16 * 1024
HIGH_WATER = 1024 * 1024
LOW_WATER = 256 * 1024


# --------------------------------------------------------------------------- links


class MemoryEnd:
    """One end of an in-memory datagram link: ``send`` now, delivery on the next loop turn."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.peer: MemoryEnd | None = None
        self.receiver: Callable[[bytes], None] | None = None

    def send(self, data: bytes) -> None:
        peer = self.peer
        if peer is not None:
            self.loop.call_soon(peer.deliver, data)

    def deliver(self, data: bytes) -> None:
        if self.receiver is not None:
            self.receiver(data)

    def set_receiver(self, receiver: Callable[[bytes], None] | None) -> None:
        self.receiver = receiver


def memory_pair() -> tuple[MemoryEnd, MemoryEnd]:
    loop = asyncio.get_running_loop()
    a, b = MemoryEnd(loop), MemoryEnd(loop)
    a.peer, b.peer = b, a
    return a, b


class Netem:
    """Delay and random loss applied to outgoing datagrams (``--netem "delay 20ms loss 1%"``)."""

    def __init__(self, spec: str | None, seed: int) -> None:
        self.delay = 0.0
        self.loss = 0.0
        self.rng = random.Random(seed)
        tokens = (spec or "").split()
        for i, token in enumerate(tokens):
            if token == "delay":
                self.delay = float(tokens[i + 1].removesuffix("ms")) / 1000
            elif token == "loss":
                self.loss = float(tokens[i + 1].removesuffix("%")) / 100

    def apply(
        self, loop: asyncio.AbstractEventLoop, send: Callable[[bytes], None], data: bytes
    ) -> None:
        if self.loss and self.rng.random() < self.loss:
            return
        if self.delay:
            loop.call_later(self.delay, send, data)
        else:
            send(data)


class UdpEnd(asyncio.DatagramProtocol):
    """A connected UDP socket with the datagram-transport shape (send / set_receiver)."""

    def __init__(self, netem: Netem) -> None:
        self.netem = netem
        self.transport: asyncio.DatagramTransport | None = None
        self.receiver: Callable[[bytes], None] | None = None
        self.peer: tuple[str, int] | None = None
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # 3.11's class is not a subclass
        # Stock asyncio reads each datagram into a fresh 256 KiB buffer (max_size); on this VM
        # that alone costs ~28 us per datagram. 64 KiB holds any UDP datagram and costs ~1 us.
        # Both stacks run on this same socket layer, so the comparison stays fair.
        if hasattr(transport, "max_size"):
            transport.max_size = 65536
        # A receive buffer as large as the SCTP receive window (4 MiB): on loopback the socket
        # buffer is the only queue, and a smaller one overflows before the window closes.
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if self.receiver is not None and addr == self.peer:
            self.receiver(data)

    def error_received(self, exc: Exception) -> None:
        pass

    def _send_now(self, data: bytes) -> None:
        if self.transport is not None:
            self.transport.sendto(data, self.peer)

    def send(self, data: bytes) -> None:
        if self.netem.delay or self.netem.loss:
            self.netem.apply(self.loop, self._send_now, data)
        elif self.transport is not None:
            self.transport.sendto(data, self.peer)

    def set_receiver(self, receiver: Callable[[bytes], None] | None) -> None:
        self.receiver = receiver


class BatchUdpEnd:
    """The same shape on a bare non-blocking socket read with ``loop.add_reader``: every
    datagram waiting is read per wake-up (as uvloop does), which stock asyncio's datagram
    transport does not do (one datagram per loop iteration). ``--reader batch``."""

    def __init__(self, netem: Netem) -> None:
        self.netem = netem
        self.loop = asyncio.get_running_loop()
        self.receiver: Callable[[bytes], None] | None = None
        self.peer: tuple[str, int] | None = None
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.loop.add_reader(self.sock.fileno(), self._read_ready)

    def _read_ready(self) -> None:
        recvfrom = self.sock.recvfrom
        for _ in range(64):
            try:
                data, addr = recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if self.receiver is not None and addr == self.peer:
                self.receiver(data)

    def _send_now(self, data: bytes) -> None:
        try:
            self.sock.sendto(data, self.peer)  # type: ignore[arg-type]
        except (BlockingIOError, InterruptedError):
            pass  # a full send buffer drops the datagram, as a router would

    def send(self, data: bytes) -> None:
        if self.netem.delay or self.netem.loss:
            self.netem.apply(self.loop, self._send_now, data)
        else:
            self._send_now(data)

    def set_receiver(self, receiver: Callable[[bytes], None] | None) -> None:
        self.receiver = receiver


async def udp_socket(netem: Netem, reader: str = "protocol") -> tuple[Any, int]:
    if reader == "batch":
        end = BatchUdpEnd(netem)
        return end, end.sock.getsockname()[1]
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: UdpEnd(netem), local_addr=("127.0.0.1", 0)
    )
    return protocol, transport.get_extra_info("sockname")[1]


def connect_udp(end: Any, port: int) -> None:
    """Point the socket at the peer (loopback only)."""
    end.peer = ("127.0.0.1", port)


# --------------------------------------------------------------------------- our stack


@functools.cache
def our_channel_classes() -> tuple[type, type]:
    from sctp import DataChannel

    class SenderChannel(DataChannel):
        buffer_messages = False

        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            self.low = asyncio.Event()
            self.opened = asyncio.Event()
            self.done: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def _event(self, name: str, *args: object) -> None:
            super()._event(name, *args)
            if name == "bufferedamountlow":
                self.low.set()
            elif name == "open":
                self.opened.set()
            elif name == "message":
                message = args[0]
                if isinstance(message, str) and message.startswith("done:"):
                    self.done.set_result(int(message[5:]))

    class ReceiverChannel(DataChannel):
        buffer_messages = False
        total = 0

        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            self.count = 0
            self.bytes = 0
            self.order_ok = True

        def _event(self, name: str, *args: object) -> None:
            super()._event(name, *args)
            if name == "message":
                message = args[0]
                assert isinstance(message, bytes)
                if int.from_bytes(message[:4], "big") != self.count:
                    self.order_ok = False
                self.count += 1
                self.bytes += len(message)
                if self.bytes >= self.total:
                    self.send(f"done:{self.bytes}")

    return SenderChannel, ReceiverChannel


async def pump_w3c(channel: Any, total: int) -> None:
    """The lab's dc-bulk sender loop, with the W3C attributes and events."""
    base = bytearray((j * 31) & 0xFF for j in range(CHUNK))
    channel.bufferedAmountLowThreshold = LOW_WATER
    sent = index = 0
    while sent < total:
        while channel.bufferedAmount <= HIGH_WATER - CHUNK and sent < total:
            n = min(CHUNK, total - sent)
            base[0:4] = index.to_bytes(4, "big")
            channel.send(bytes(base[:n]))
            sent += n
            index += 1
        if sent < total:
            channel.low.clear()
            if channel.bufferedAmount > LOW_WATER:
                await channel.low.wait()


async def our_dtls_pair(lower_a: Any, lower_b: Any) -> tuple[Any, Any]:
    from dtls.certificate import RTCCertificate
    from dtls.role import DtlsRole
    from dtls.transport import DtlsTransport

    cert_a = RTCCertificate.generateCertificate()
    cert_b = RTCCertificate.generateCertificate()
    a = DtlsTransport(lower_a, cert_a)
    b = DtlsTransport(lower_b, cert_b)
    a.start(DtlsRole.CLIENT, cert_b.getFingerprints())
    b.start(DtlsRole.SERVER, cert_a.getFingerprints())
    await asyncio.wait_for(asyncio.gather(a.wait_connected(), b.wait_connected()), 10)
    return a, b


async def ours_one_process(total: int, layers: str) -> dict[str, Any]:
    from sctp import SctpSettings, SctpTransport

    sender_cls, receiver_cls = our_channel_classes()
    receiver_cls.total = total
    link_a, link_b = memory_pair()
    lower_a: Any = link_a
    lower_b: Any = link_b
    if layers == "dtls":
        lower_a, lower_b = await our_dtls_pair(link_a, link_b)
    settings = SctpSettings(remote_max_message_size=262144)
    # The link hands over every datagram sent in one loop iteration in the next: in batches.
    kwargs: dict[str, Any] = {"settings": settings, "batched_reads": True}
    a = SctpTransport(lower_a, dtls_client=True, channel_class=sender_cls, **kwargs)
    b = SctpTransport(lower_b, dtls_client=False, channel_class=receiver_cls, **kwargs)
    received: list[Any] = []
    b.on_datachannel = received.append
    channel = a.create_data_channel("bulk")
    a.start()
    b.start()
    await asyncio.wait_for(channel.opened.wait(), 10)
    cpu0, t0 = time.process_time(), time.perf_counter()
    await pump_w3c(channel, total)
    got = await asyncio.wait_for(channel.done, 300)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    assert got == total and received and received[0].order_ok, "transfer incomplete or out of order"
    stats = a.stats
    await a.close()
    return {
        "seconds": seconds,
        "cpu_s": cpu,
        "packets": stats.packets_sent + b.stats.packets_sent,
        "retransmissions": stats.retransmissions,
    }


# --------------------------------------------------------------------------- aiortc


class AiortcDtlsShim:
    """The four RTCDtlsTransport members aiortc's RTCSctpTransport uses (SCTP-only runs)."""

    def __init__(self, end: Any, role: str) -> None:
        self.state = "connected"
        self._role = role
        self._end = end
        self._receiver: Any = None
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        end.set_receiver(self._queue.put_nowait)
        self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while True:
            data = await self._queue.get()
            if self._receiver is not None:
                await self._receiver._handle_data(data)

    def _register_data_receiver(self, receiver: Any) -> None:
        self._receiver = receiver

    def _unregister_data_receiver(self, receiver: Any) -> None:
        self._receiver = None

    async def _send_data(self, data: bytes) -> None:
        self._end.send(data)

    def stop(self) -> None:
        self._task.cancel()


class AiortcIceShim:
    """The RTCIceTransport members aiortc's RTCDtlsTransport uses: role, ``_send`` and an
    awaited ``_recv`` fed by a queue (the shape of aioice's Connection)."""

    def __init__(self, end: Any, role: str) -> None:
        self.role = role
        self.state = "completed"
        self._end = end
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        end.set_receiver(self._queue.put_nowait)

    async def _recv(self) -> bytes:
        return await self._queue.get()

    async def _send(self, data: bytes) -> None:
        self._end.send(data)


async def aiortc_pair(lower_a: Any, lower_b: Any, layers: str) -> tuple[Any, Any, list[Any]]:
    from aiortc.rtcdtlstransport import RTCCertificate, RTCDtlsTransport
    from aiortc.rtcsctptransport import RTCSctpCapabilities, RTCSctpTransport

    cleanup: list[Any] = []
    if layers == "sctp":
        dtls_a: Any = AiortcDtlsShim(lower_a, "client")
        dtls_b: Any = AiortcDtlsShim(lower_b, "server")
        cleanup += [dtls_a, dtls_b]
    else:
        cert_a, cert_b = RTCCertificate.generateCertificate(), RTCCertificate.generateCertificate()
        dtls_a = RTCDtlsTransport(AiortcIceShim(lower_a, "controlling"), [cert_a])  # type: ignore[arg-type]
        dtls_b = RTCDtlsTransport(AiortcIceShim(lower_b, "controlled"), [cert_b])  # type: ignore[arg-type]
        await asyncio.wait_for(
            asyncio.gather(
                dtls_a.start(dtls_b.getLocalParameters()), dtls_b.start(dtls_a.getLocalParameters())
            ),
            10,
        )
        cleanup += [dtls_a, dtls_b]
    sctp_a = RTCSctpTransport(dtls_a)
    sctp_b = RTCSctpTransport(dtls_b)
    caps = RTCSctpCapabilities(maxMessageSize=262144)
    await sctp_a.start(caps, 5000)
    await sctp_b.start(caps, 5000)
    return sctp_a, sctp_b, cleanup


async def aiortc_transfer(sctp_a: Any, sctp_b: Any, total: int) -> tuple[float, float]:
    from aiortc.rtcdatachannel import RTCDataChannel, RTCDataChannelParameters

    channel = RTCDataChannel(sctp_a, RTCDataChannelParameters(label="bulk"))
    opened = asyncio.Event()
    channel.on("open", opened.set)
    channel.low = asyncio.Event()  # type: ignore[attr-defined]
    channel.on("bufferedamountlow", channel.low.set)  # type: ignore[attr-defined]
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    state = {"bytes": 0, "count": 0, "order_ok": True}

    def on_message(message: Any) -> None:
        if isinstance(message, str) and message.startswith("done:"):
            done.set_result(int(message[5:]))

    channel.on("message", on_message)

    def on_datachannel(remote: Any) -> None:
        def count(message: Any) -> None:
            if int.from_bytes(message[:4], "big") != state["count"]:
                state["order_ok"] = False
            state["count"] += 1
            state["bytes"] += len(message)
            if state["bytes"] >= total:
                remote.send(f"done:{state['bytes']}")

        remote.on("message", count)

    sctp_b.on("datachannel", on_datachannel)
    await asyncio.wait_for(opened.wait(), 10)
    cpu0, t0 = time.process_time(), time.perf_counter()
    await pump_w3c(channel, total)
    got = await asyncio.wait_for(done, 600)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    assert got == total and state["order_ok"], "aiortc transfer incomplete or out of order"
    return seconds, cpu


async def aiortc_one_process(total: int, layers: str) -> dict[str, Any]:
    link_a, link_b = memory_pair()
    sctp_a, sctp_b, cleanup = await aiortc_pair(link_a, link_b, layers)
    seconds, cpu = await aiortc_transfer(sctp_a, sctp_b, total)
    await sctp_a.stop()
    await sctp_b.stop()
    for item in cleanup:
        result = item.stop()
        if asyncio.iscoroutine(result):
            await result
    return {"seconds": seconds, "cpu_s": cpu}


# --------------------------------------------------------------------------- two processes


async def child(args: argparse.Namespace) -> None:
    """One side of a two-process run; talks to the parent over stdin/stdout (JSON lines)."""
    netem = Netem(args.netem, seed=os.getpid())
    end, port = await udp_socket(netem, args.reader)
    print(json.dumps({"port": port}), flush=True)
    loop = asyncio.get_running_loop()
    peer_port = json.loads(await loop.run_in_executor(None, sys.stdin.readline))["port"]
    connect_udp(end, peer_port)
    sender = args.role == "sender"
    if args.stack == "ours":
        result = await ours_child(end, sender, args.bytes, batched=args.reader == "batch")
    else:
        result = await aiortc_child(end, sender, args.bytes)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu_total_s"] = usage.ru_utime + usage.ru_stime
    if TIMERS:
        result["timers"] = TIMERS
    print(json.dumps(result), flush=True)


async def ours_child(end: Any, sender: bool, total: int, batched: bool) -> dict[str, Any]:
    from dtls.certificate import RTCCertificate
    from dtls.role import DtlsRole
    from dtls.transport import DtlsTransport
    from sctp import SctpSettings, SctpTransport

    loop = asyncio.get_running_loop()
    cert = RTCCertificate.generateCertificate()
    print(json.dumps({"fingerprints": [f.to_sdp() for f in cert.getFingerprints()]}), flush=True)
    line = await loop.run_in_executor(None, sys.stdin.readline)
    from dtls.fingerprint import RTCDtlsFingerprint

    remote = [RTCDtlsFingerprint.from_sdp(text) for text in json.loads(line)["fingerprints"]]
    dtls = DtlsTransport(end, cert)
    dtls.start(DtlsRole.CLIENT if sender else DtlsRole.SERVER, remote)
    await asyncio.wait_for(dtls.wait_connected(), 20)
    sender_cls, receiver_cls = our_channel_classes()
    receiver_cls.total = total
    settings = SctpSettings(remote_max_message_size=262144)
    transport = SctpTransport(
        dtls,
        dtls_client=sender,
        settings=settings,
        channel_class=sender_cls if sender else receiver_cls,
        batched_reads=True if batched else None,  # uvloop reads in batches with either reader
    )
    transport.start()
    if sender:
        channel = transport.create_data_channel("bulk")
        await asyncio.wait_for(channel.opened.wait(), 20)
        usage0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        _profile(True)
        await pump_w3c(channel, total)
        got = await asyncio.wait_for(channel.done, 600)
        _profile(False)
        seconds = time.perf_counter() - t0
        usage1 = resource.getrusage(resource.RUSAGE_SELF)
        assert got == total
        stats = transport.stats
        result = {
            "seconds": seconds,
            "retransmissions": stats.retransmissions,
            "t3": stats.t3_expirations,
            "fast_retransmits": stats.fast_retransmits,
            "packets": stats.packets_sent,
            "sacks": stats.sacks_received,
        }
        await asyncio.sleep(0.2)
    else:
        received: list[Any] = []
        transport.on_datachannel = received.append
        usage0 = resource.getrusage(resource.RUSAGE_SELF)
        _profile(True)
        while not received or received[0].bytes < total:
            await asyncio.sleep(0.05)
        _profile(False)
        usage1 = resource.getrusage(resource.RUSAGE_SELF)
        assert received[0].order_ok
        result = {}
        await asyncio.sleep(0.5)
    result["cpu_s"] = (usage1.ru_utime + usage1.ru_stime) - (usage0.ru_utime + usage0.ru_stime)
    transport.abort()
    dtls.close()
    return result


async def aiortc_child(end: Any, sender: bool, total: int) -> dict[str, Any]:
    from aiortc.rtcdatachannel import RTCDataChannel, RTCDataChannelParameters
    from aiortc.rtcdtlstransport import RTCCertificate, RTCDtlsParameters, RTCDtlsTransport
    from aiortc.rtcdtlstransport import RTCDtlsFingerprint as AiortcFingerprint
    from aiortc.rtcsctptransport import RTCSctpCapabilities, RTCSctpTransport

    loop = asyncio.get_running_loop()
    cert = RTCCertificate.generateCertificate()
    dtls = RTCDtlsTransport(AiortcIceShim(end, "controlling" if sender else "controlled"), [cert])  # type: ignore[arg-type]
    params = dtls.getLocalParameters()
    print(
        json.dumps({"fingerprints": [[f.algorithm, f.value] for f in params.fingerprints]}),
        flush=True,
    )
    line = await loop.run_in_executor(None, sys.stdin.readline)
    remote = RTCDtlsParameters(
        fingerprints=[
            AiortcFingerprint(algorithm=a, value=v) for a, v in json.loads(line)["fingerprints"]
        ]
    )
    await asyncio.wait_for(dtls.start(remote), 20)
    sctp = RTCSctpTransport(dtls)
    await sctp.start(RTCSctpCapabilities(maxMessageSize=262144), 5000)
    state = {"bytes": 0, "count": 0, "order_ok": True}
    if sender:
        channel = RTCDataChannel(sctp, RTCDataChannelParameters(label="bulk"))
        opened = asyncio.Event()
        channel.on("open", opened.set)
        channel.low = asyncio.Event()  # type: ignore[attr-defined]
        channel.on("bufferedamountlow", channel.low.set)  # type: ignore[attr-defined]
        done: asyncio.Future[int] = loop.create_future()
        channel.on(
            "message",
            lambda m: (
                done.set_result(int(m[5:]))
                if isinstance(m, str) and m.startswith("done:")
                else None
            ),
        )
        await asyncio.wait_for(opened.wait(), 20)
        usage0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        await pump_w3c(channel, total)
        got = await asyncio.wait_for(done, 900)
        seconds = time.perf_counter() - t0
        usage1 = resource.getrusage(resource.RUSAGE_SELF)
        assert got == total
        result: dict[str, Any] = {"seconds": seconds}
        await asyncio.sleep(0.2)
    else:
        finished = asyncio.Event()

        def on_datachannel(remote_channel: Any) -> None:
            def count(message: Any) -> None:
                if int.from_bytes(message[:4], "big") != state["count"]:
                    state["order_ok"] = False
                state["count"] += 1
                state["bytes"] += len(message)
                if state["bytes"] >= total:
                    remote_channel.send(f"done:{state['bytes']}")
                    finished.set()

            remote_channel.on("message", count)

        sctp.on("datachannel", on_datachannel)
        usage0 = resource.getrusage(resource.RUSAGE_SELF)
        await asyncio.wait_for(finished.wait(), 900)
        usage1 = resource.getrusage(resource.RUSAGE_SELF)
        assert state["order_ok"]
        result = {}
        await asyncio.sleep(0.5)
    result["cpu_s"] = (usage1.ru_utime + usage1.ru_stime) - (usage0.ru_utime + usage0.ru_stime)
    await sctp.stop()
    await dtls.stop()
    return result


def two_processes(
    stack: str,
    loop_name: str,
    total: int,
    netem: str | None,
    reader: str = "protocol",
    profile_dir: str | None = None,
) -> dict[str, Any]:
    """Run sender and receiver as two processes over loopback UDP; returns both reports."""
    base = [
        sys.executable,
        __file__,
        "_child",
        "--stack",
        stack,
        "--loop",
        loop_name,
        "--bytes",
        str(total),
        "--reader",
        reader,
    ]
    if netem:
        base += ["--netem", netem]
    if profile_dir:
        base += ["--profile", profile_dir]
    procs = {
        role: subprocess.Popen(
            [*base, "--role", role], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for role in ("sender", "receiver")
    }
    sender, receiver = procs["sender"], procs["receiver"]
    assert sender.stdin and sender.stdout and receiver.stdin and receiver.stdout
    try:
        for _ in range(2):  # ports, then fingerprints
            from_sender, from_receiver = sender.stdout.readline(), receiver.stdout.readline()
            sender.stdin.write(from_receiver)
            sender.stdin.flush()
            receiver.stdin.write(from_sender)
            receiver.stdin.flush()
        report_sender = json.loads(sender.stdout.readline())
        report_receiver = json.loads(receiver.stdout.readline())
    finally:
        for proc in procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    return {"sender": report_sender, "receiver": report_receiver}


# --------------------------------------------------------------------------- CPU profile

TIMERS: dict[str, list[float]] = {}
"""``--profile``: seconds and calls per instrumented entry point, during the transfer only."""
_TIMING = [False]


def _profile(on: bool) -> None:
    _TIMING[0] = on


def _instrument(cls: Any, name: str, label: str) -> None:
    """Wrap ``cls.name`` to add its wall time to ``TIMERS[label]`` (sync methods only)."""
    original = getattr(cls, name)
    slot = TIMERS.setdefault(label, [0.0, 0.0])
    clock = time.thread_time  # CPU time: a process preempted by another is not charged

    def timed(*args: Any, **kwargs: Any) -> Any:
        if not _TIMING[0]:
            return original(*args, **kwargs)
        t0 = clock()
        try:
            return original(*args, **kwargs)
        finally:
            slot[0] += clock() - t0
            slot[1] += 1

    setattr(cls, name, timed)


def _instrument_all() -> None:
    from dtls.transport import DtlsTransport
    from sctp import SctpTransport

    sender_cls, receiver_cls = our_channel_classes()
    _instrument(DtlsTransport, "_on_datagram", "dtls_in")  # DTLS open + everything above
    _instrument(SctpTransport, "_datagram", "sctp_in")  # SCTP receive + events + app
    _instrument(SctpTransport, "_deferred_flush", "sctp_out")  # packets built + DTLS + send
    _instrument(SctpTransport, "_on_timer", "sctp_timer")
    _instrument(DtlsTransport, "send", "dtls_out")  # DTLS seal + socket send
    _instrument(UdpEnd, "send", "udp_send")
    _instrument(BatchUdpEnd, "send", "udp_send")
    _instrument(receiver_cls, "_event", "app")
    _instrument(sender_cls, "_event", "app")
    _instrument(sender_cls, "send", "app_send")  # the app's send() calls (queueing)


def breakdown(timers: dict[str, list[float]], cpu_s: float, packets: float) -> dict[str, float]:
    """Microseconds per data packet in each layer, from nested CPU-time timers."""

    def t(label: str) -> float:
        return timers.get(label, [0.0, 0.0])[0]

    layers = {
        "DTLS decrypt (record open)": t("dtls_in") - t("sctp_in"),
        "SCTP receive (parse, SACK, reassembly)": t("sctp_in") - t("app"),
        "SCTP send (bundle, packets, timers)": t("sctp_out") + t("sctp_timer") - t("dtls_out"),
        "DTLS encrypt (record seal)": t("dtls_out") - t("udp_send"),
        "socket send (sendto)": t("udp_send"),
        "application (pump, message events)": t("app") + t("app_send"),
    }
    layers["event loop, socket receive, rest"] = cpu_s - sum(layers.values())
    return {name: seconds / packets * 1e6 for name, seconds in layers.items()}


def profile(args: argparse.Namespace) -> None:
    """Where the CPU goes per data packet, ours, from timers around each layer's entry point."""
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        run = two_processes("ours", args.loop, args.bytes, None, args.reader, profile_dir=directory)
        packets = args.bytes / 1135  # SCTP payload per 1,163-byte DTLS record
        print(f"# ours, {args.loop}, {args.reader} reader, {args.bytes / 1048576:.0f} MiB")
        for role in ("sender", "receiver"):
            report = run[role]
            cpu_us = report["cpu_s"] / packets * 1e6
            print(f"{role}: {cpu_us:.1f} us CPU per data packet")
            parts = breakdown(report["timers"], report["cpu_s"], packets)
            for name, micros in sorted(parts.items(), key=lambda kv: -kv[1]):
                print(f"  {name:<40} {micros:5.1f} us")


# --------------------------------------------------------------------------- driver


def run_loop(loop_name: str, coro: Coroutine[Any, Any, Any]) -> Any:
    if loop_name == "uvloop":
        import uvloop

        return uvloop.run(coro)
    return asyncio.run(coro)


def fmt(name: str, total: int, seconds: float, cpu: float) -> str:
    mb = total / 1e6
    return f"{name:<44} {mb / seconds:8.2f} MB/s {cpu / mb * 1000:8.2f} ms CPU/MB"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "mode", nargs="?", default="all", choices=["all", "inmem", "udp", "profile", "_child"]
    )
    parser.add_argument("--bytes", type=int, default=64 * 1024 * 1024)
    parser.add_argument("--loop", default="both", choices=["asyncio", "uvloop", "both"])
    parser.add_argument("--stack", default="both", choices=["ours", "aiortc", "both"])
    parser.add_argument("--layers", default="both", choices=["sctp", "dtls", "both"])
    parser.add_argument("--netem", default=None)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--role", default="sender")
    parser.add_argument("--reader", default="protocol", choices=["protocol", "batch"])
    parser.add_argument("--profile", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode == "_child":
        if args.profile:
            _instrument_all()
        run_loop(args.loop, child(args))
        return
    if args.mode == "profile":
        profile(args)
        return
    loops = ["asyncio", "uvloop"] if args.loop == "both" else [args.loop]
    stacks = ["ours", "aiortc"] if args.stack == "both" else [args.stack]
    layers = ["sctp", "dtls"] if args.layers == "both" else [args.layers]
    total = args.bytes
    print(f"# {total / 1048576:.0f} MiB in {CHUNK // 1024} KiB messages, {os.cpu_count()} CPUs")
    results: dict[str, float] = {}
    if args.mode in ("all", "inmem"):
        for layer in layers:
            for loop_name in loops:
                for stack in stacks:
                    runner = ours_one_process if stack == "ours" else aiortc_one_process
                    for _ in range(args.repeat):
                        r = run_loop(loop_name, runner(total, layer))
                        name = f"inmem {layer:<4} {loop_name:<7} {stack}"
                        results[name] = total / r["seconds"]
                        print(fmt(name, total, r["seconds"], r["cpu_s"]), flush=True)
    if args.mode in ("all", "udp"):
        for loop_name in loops:
            for stack in stacks:
                for _ in range(args.repeat):
                    r = two_processes(stack, loop_name, total, args.netem, args.reader)
                    s, rx = r["sender"], r["receiver"]
                    kind = "netem" if args.netem else "2proc"
                    name = f"udp  {kind} {args.reader[:5]:<5} {loop_name:<7} {stack}"
                    results[name] = total / s["seconds"]
                    mb = total / 1e6
                    print(
                        f"{fmt(name, total, s['seconds'], s['cpu_s'])} (sender) "
                        f"{rx['cpu_s'] / mb * 1000:8.2f} ms CPU/MB (receiver)",
                        flush=True,
                    )
    for name, rate in results.items():
        if name.endswith(" ours"):
            other = results.get(name[: -len(" ours")] + " aiortc")
            if other:
                print(f"ratio {name[:-5]:<36} ours/aiortc = {rate / other:5.2f}x")


if __name__ == "__main__":
    main()
