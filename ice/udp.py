"""The asyncio end of one local UDP socket: every datagram goes straight to the connection.

No queue and no task: each datagram is handed to the connection's handler synchronously, which
handles it down to the events it causes (../shared/DESIGN.md).

Two ways to read a socket, chosen by :func:`open_endpoint`:

* :class:`BatchedSocket` (asyncio's selector loops): ``loop.add_reader`` and up to
  :data:`READ_BATCH` ``recvfrom`` calls per wake-up. Asyncio's own datagram transport reads one
  datagram per loop iteration and allocates a 256 KiB buffer for each; in a bulk transfer that
  costs a loop iteration per packet, and the layers above cannot answer a burst with one
  acknowledgement. Reading in batches is what uvloop does natively.
* :class:`ProtocolEndpoint`: the loop's datagram transport, on uvloop (whose C transport
  already reads in batches) and on loops without ``add_reader``.

Either tells, through ``batched``, whether several datagrams may arrive within one loop
iteration, so that SCTP can answer a batch at once (``SctpTransport(batched_reads=...)``).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import deque
from collections.abc import Callable
from typing import Any, Final, Protocol, cast

logger = logging.getLogger(__name__)

Address = tuple[str, int]
DatagramHandler = Callable[[Address, bytes, Address], None]

READ_BATCH: Final = 64
"""Datagrams read per wake-up at most, so that one busy socket cannot starve the loop."""
RECV_SIZE: Final = 65536
"""Room for the largest UDP payload (a STUN or DTLS datagram is far smaller)."""
SEND_QUEUE_LIMIT: Final = 4096
"""Datagrams held while the socket's send buffer is full; more are dropped and counted."""


class UdpEndpoint(Protocol):
    """What an ICE connection needs from one of its sockets."""

    base: Address
    batched: bool
    errors: int
    closed: asyncio.Future[None]

    def sendto(self, data: bytes, addr: Address) -> None: ...

    def is_closing(self) -> bool: ...

    def close(self) -> None: ...


def is_uvloop(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether ``loop`` is uvloop's (whose C datagram transport reads in batches)."""
    return type(loop).__module__.startswith("uvloop")


async def open_endpoint(
    loop: asyncio.AbstractEventLoop, sock: socket.socket, handler: DatagramHandler
) -> UdpEndpoint:
    """Read ``sock`` in batches where the loop allows it, else through the loop's transport."""
    base: Address = sock.getsockname()[:2]
    if not is_uvloop(loop):
        try:
            return BatchedSocket(loop, sock, base, handler)
        except NotImplementedError:  # e.g. the proactor loop: no add_reader
            pass
    _, protocol = await loop.create_datagram_endpoint(
        lambda: ProtocolEndpoint(base, handler), sock=sock
    )
    return protocol


class BatchedSocket:
    """A non-blocking UDP socket read in batches and written directly.

    A send that finds the socket's buffer full is queued (bounded) and flushed when the socket
    is writable again, so that a burst is not lost to the local kernel; errors of one datagram
    (ICMP unreachable reported by the kernel, a firewall's EPERM) are counted and do not stop
    the socket. The handler is guarded: an exception is logged and counted, never kills the
    reader.
    """

    batched = True

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sock: socket.socket,
        base: Address,
        handler: DatagramHandler,
    ) -> None:
        sock.setblocking(False)
        self.base = base
        self._loop = loop
        self._sock = sock
        self._handler = handler
        self._queue: deque[tuple[bytes, Address]] = deque()
        self._closing = False
        self.closed: asyncio.Future[None] = loop.create_future()
        self.errors = 0
        self.handler_errors = 0
        self.send_dropped = 0
        loop.add_reader(sock.fileno(), self._read)

    def _read(self) -> None:
        recvfrom = self._sock.recvfrom
        handler = self._handler
        base = self.base
        for _ in range(READ_BATCH):
            try:
                data, addr = recvfrom(RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self.errors += 1
                logger.debug("socket %s: %s", base, exc)
                continue
            try:
                handler(base, data, (addr[0], addr[1]))
            except Exception:
                self.handler_errors += 1
                logger.exception("socket %s: the handler raised on a datagram", base)
            if self._closing:
                return

    def sendto(self, data: bytes, addr: Address) -> None:
        if self._closing:
            return
        if not self._queue:
            try:
                self._sock.sendto(data, addr)
                return
            except (BlockingIOError, InterruptedError):
                self._loop.add_writer(self._sock.fileno(), self._write)
            except OSError as exc:
                self.errors += 1
                logger.debug("socket %s: send to %s: %s", self.base, addr, exc)
                return
        if len(self._queue) >= SEND_QUEUE_LIMIT:
            self.send_dropped += 1
            return
        self._queue.append((data, addr))

    def _write(self) -> None:
        queue = self._queue
        sendto = self._sock.sendto
        while queue:
            data, addr = queue[0]
            try:
                sendto(data, addr)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self.errors += 1
                logger.debug("socket %s: send to %s: %s", self.base, addr, exc)
            queue.popleft()
        self._loop.remove_writer(self._sock.fileno())

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        fd = self._sock.fileno()
        self._loop.remove_reader(fd)
        if self._queue:
            self._queue.clear()
            self._loop.remove_writer(fd)
        self._sock.close()
        if not self.closed.done():
            self.closed.set_result(None)


class ProtocolEndpoint(asyncio.DatagramProtocol):
    """The loop's datagram transport: passes ``(base, data, source)`` to the handler."""

    def __init__(self, base: Address, handler: DatagramHandler) -> None:
        self.base = base
        self._handler = handler
        self._transport: asyncio.DatagramTransport | None = None
        loop = asyncio.get_running_loop()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.errors = 0
        self.batched = is_uvloop(loop)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self._handler(self.base, data, (addr[0], addr[1]))

    def error_received(self, exc: Exception) -> None:
        # ICMP errors (port unreachable…) on an unconnected UDP socket: count, keep going.
        self.errors += 1
        logger.debug("socket %s: %s", self.base, exc)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)

    def sendto(self, data: bytes, addr: Address) -> None:
        if self._transport is not None:
            self._transport.sendto(data, addr)

    def is_closing(self) -> bool:
        return self._transport is None or self._transport.is_closing()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
