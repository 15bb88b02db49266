"""The "datagram transport" shape the asyncio layers of this stack talk through (DESIGN.md).

:class:`~ice.connection.IceConnection` provides it to DTLS; DTLS's application-data side provides
it to SCTP. Structural typing: nothing needs to inherit from it, and ``dtls``/``sctp`` define
their own copy instead of importing ``ice``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class DatagramTransport(Protocol):
    def send(self, data: bytes) -> None:
        """Send one datagram now; never blocks, may drop."""

    def set_receiver(self, receiver: Callable[[bytes], None] | None) -> None:
        """Have ``receiver`` called synchronously for every datagram that arrives."""
