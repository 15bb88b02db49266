"""The asyncio end of one local UDP socket: every datagram goes straight to the connection.

No queue and no task: ``datagram_received`` calls the connection's handler synchronously, which
handles the datagram down to the events it causes (../shared/DESIGN.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, cast

logger = logging.getLogger(__name__)

Address = tuple[str, int]
DatagramHandler = Callable[[Address, bytes, Address], None]


class IceDatagramProtocol(asyncio.DatagramProtocol):
    """Passes ``(base, data, source)`` of each datagram to the handler; remembers when closed."""

    def __init__(self, base: Address, handler: DatagramHandler) -> None:
        self.base = base
        self._handler = handler
        self.transport: asyncio.DatagramTransport | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.errors = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self._handler(self.base, data, (addr[0], addr[1]))

    def error_received(self, exc: Exception) -> None:
        # ICMP errors (port unreachable…) on an unconnected UDP socket: count, keep going.
        self.errors += 1
        logger.debug("socket %s: %s", self.base, exc)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)
