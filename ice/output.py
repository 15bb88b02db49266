"""What the sans-IO cores of this package hand to their driver: datagrams to send and events.

One :class:`Outbox` is shared by the agent and its gatherer, so the driver drains one place.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .events import IceEvent

Address = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Transmit:
    """Send ``data`` from the socket bound to ``local`` (a candidate's base) to ``remote``."""

    data: bytes
    local: Address
    remote: Address


class Outbox:
    __slots__ = ("events", "transmits")

    def __init__(self) -> None:
        self.transmits: deque[Transmit] = deque()
        self.events: deque[IceEvent] = deque()

    def send(self, data: bytes, local: Address, remote: Address) -> None:
        self.transmits.append(Transmit(data, local, remote))

    def emit(self, event: IceEvent) -> None:
        self.events.append(event)
