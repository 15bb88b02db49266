"""A loopback UDP socket with the datagram-transport shape, for tests against real peers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import cast

Address = tuple[str, int]


class UdpEndpoint(asyncio.DatagramProtocol):
    """Sends to one peer; without a peer given, the first datagram's source becomes the peer
    (what ICE does once a pair is selected). Datagrams from anyone else are ignored."""

    def __init__(self, remote: Address | None) -> None:
        self.remote = remote
        self._receiver: Callable[[bytes], None] | None = None
        self._transport: asyncio.DatagramTransport | None = None

    @classmethod
    async def open(cls, *, remote: Address | None = None) -> UdpEndpoint:
        loop = asyncio.get_running_loop()
        _, endpoint = await loop.create_datagram_endpoint(
            lambda: cls(remote), local_addr=("127.0.0.1", 0)
        )
        return endpoint

    @property
    def local_address(self) -> Address:
        assert self._transport is not None
        host, port = self._transport.get_extra_info("sockname")[:2]
        return host, port

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Address) -> None:
        if self.remote is None:
            self.remote = addr
        if addr != self.remote or self._receiver is None:
            return
        self._receiver(data)

    def send(self, data: bytes) -> None:
        if self._transport is not None and self.remote is not None:
            self._transport.sendto(data, self.remote)

    def set_receiver(self, receiver: Callable[[bytes], None] | None) -> None:
        self._receiver = receiver

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
