"""The socket reader under the ICE connection: batches, guarded handler, queued sends."""

from __future__ import annotations

import asyncio
import socket

from ice.udp import READ_BATCH, BatchedSocket, ProtocolEndpoint, open_endpoint

Address = tuple[str, int]


def _udp() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)  # room for a burst
    sock.bind(("127.0.0.1", 0))
    return sock


async def test_a_burst_is_read_in_batches_and_arrives_whole() -> None:
    loop = asyncio.get_running_loop()
    received: list[bytes] = []
    per_iteration: list[int] = []
    seen_in_iteration = 0

    def tick() -> None:
        nonlocal seen_in_iteration
        if seen_in_iteration:
            per_iteration.append(seen_in_iteration)
            seen_in_iteration = 0

    def handler(base: Address, data: bytes, source: Address) -> None:
        nonlocal seen_in_iteration
        received.append(data)
        if seen_in_iteration == 0:
            loop.call_soon(tick)
        seen_in_iteration += 1

    endpoint = await open_endpoint(loop, _udp(), handler)
    assert isinstance(endpoint, BatchedSocket) and endpoint.batched
    sender = _udp()
    try:
        payloads = [i.to_bytes(4, "big") * 300 for i in range(500)]
        for payload in payloads:
            sender.sendto(payload, endpoint.base)
        for _ in range(200):
            if len(received) == len(payloads):
                break
            await asyncio.sleep(0.01)
        assert received == payloads
        tick()
        assert max(per_iteration) > 1, "every datagram took a loop iteration of its own"
        assert max(per_iteration) <= READ_BATCH
    finally:
        sender.close()
        endpoint.close()
    await endpoint.closed


async def test_a_handler_that_raises_does_not_stop_the_reader() -> None:
    loop = asyncio.get_running_loop()
    received: list[bytes] = []

    def handler(base: Address, data: bytes, source: Address) -> None:
        if data == b"bad":
            raise RuntimeError("boom")
        received.append(data)

    endpoint = await open_endpoint(loop, _udp(), handler)
    assert isinstance(endpoint, BatchedSocket)
    sender = _udp()
    try:
        for data in (b"one", b"bad", b"two"):
            sender.sendto(data, endpoint.base)
        for _ in range(100):
            if len(received) == 2:
                break
            await asyncio.sleep(0.01)
        assert received == [b"one", b"two"]
        assert endpoint.handler_errors == 1
    finally:
        sender.close()
        endpoint.close()


class _FullOnce:
    """A socket whose send buffer is full for the first ``full`` sends."""

    def __init__(self, sock: socket.socket, full: int) -> None:
        self._sock = sock
        self._full = full
        self.sent = 0

    def sendto(self, data: bytes, addr: Address) -> int:
        if self._full:
            self._full -= 1
            raise BlockingIOError
        self.sent += 1
        return self._sock.sendto(data, addr)

    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        self._sock.close()


async def test_sends_that_find_the_buffer_full_are_queued_in_order() -> None:
    loop = asyncio.get_running_loop()
    endpoint = await open_endpoint(loop, _udp(), lambda base, data, source: None)
    assert isinstance(endpoint, BatchedSocket)
    receiver = _udp()
    receiver.setblocking(False)
    fake = _FullOnce(endpoint._sock, full=2)
    endpoint._sock = fake  # type: ignore[assignment]
    try:
        for i in range(5):
            endpoint.sendto(bytes([i]), receiver.getsockname())
        assert fake.sent == 0  # the first send found the buffer full: all five wait
        for _ in range(100):
            if fake.sent == 5:
                break
            await asyncio.sleep(0.01)
        got = []
        for _ in range(5):
            got.append(receiver.recv(16))
        assert got == [bytes([i]) for i in range(5)]
        assert endpoint.send_dropped == 0
    finally:
        receiver.close()
        endpoint.close()


async def test_close_is_idempotent_and_stops_sending() -> None:
    loop = asyncio.get_running_loop()
    endpoint = await open_endpoint(loop, _udp(), lambda base, data, source: None)
    endpoint.close()
    endpoint.close()
    await endpoint.closed
    assert endpoint.is_closing()
    endpoint.sendto(b"x", ("127.0.0.1", 9))  # dropped, no exception on a closed socket


async def test_a_flooded_socket_yields_to_the_loop_after_a_batch() -> None:
    """Timers and other sockets run between batches: a flood cannot starve the loop."""
    loop = asyncio.get_running_loop()
    order: list[str] = []

    def handler(base: Address, data: bytes, source: Address) -> None:
        if not order:
            loop.call_soon(order.append, "loop")
        order.append("datagram")

    endpoint = await open_endpoint(loop, _udp(), handler)
    sender = _udp()
    try:
        flood = READ_BATCH * 2 + 5
        for _ in range(flood):  # all in the kernel before the reader first runs
            sender.sendto(b"x", endpoint.base)
        for _ in range(100):
            if order.count("datagram") == flood:
                break
            await asyncio.sleep(0.01)
        assert order.count("datagram") == flood
        assert order.index("loop") == READ_BATCH
    finally:
        sender.close()
        endpoint.close()


def test_on_uvloop_the_loops_own_transport_carries_the_datagrams() -> None:
    """uvloop's C transport reads in batches by itself: it is used as it is, and says so."""
    import uvloop

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        received: list[bytes] = []
        endpoint = await open_endpoint(
            loop, _udp(), lambda base, data, source: received.append(data)
        )
        assert isinstance(endpoint, ProtocolEndpoint) and endpoint.batched
        peer = _udp()
        peer.setblocking(False)
        try:
            payloads = [i.to_bytes(2, "big") * 500 for i in range(300)]
            for payload in payloads:
                peer.sendto(payload, endpoint.base)
            for _ in range(200):
                if len(received) == len(payloads):
                    break
                await asyncio.sleep(0.01)
            assert received == payloads
            endpoint.sendto(b"answer", peer.getsockname())
            await asyncio.sleep(0.05)
            assert peer.recv(16) == b"answer"
        finally:
            peer.close()
            endpoint.close()
        await asyncio.wait_for(endpoint.closed, 1)
        assert endpoint.is_closing()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(scenario())
