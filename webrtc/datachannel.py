"""RTCDataChannel (webrtc-pc §6.2): sctp's channel with the ``@channel.on(...)`` emitter.

Events carry aiortc's arguments: ``message`` gets the message (``str`` or ``bytes``); ``open``,
``closing``, ``close`` and ``bufferedamountlow`` get nothing; ``error`` gets the error. The
detached API of the sctp channel (``await channel.recv()``, ``async for``, ``await
channel.write()``) works too: messages are queued for it only while no ``message`` handler is
registered, so a callback application does not accumulate them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sctp import ChannelParameters, SctpTransport
from sctp import DataChannel as SctpDataChannel

from .emitter import EventEmitter

if TYPE_CHECKING:
    from .sctptransport import RTCSctpTransport


@dataclass
class RTCDataChannelParameters:
    label: str = ""
    maxPacketLifeTime: int | None = None
    maxRetransmits: int | None = None
    ordered: bool = True
    protocol: str = ""
    negotiated: bool = False
    id: int | None = None
    priority: str = "low"


class RTCDataChannel(EventEmitter, SctpDataChannel):
    def __init__(
        self, transport: SctpTransport, stream_id: int | None, params: ChannelParameters
    ) -> None:
        EventEmitter.__init__(self)
        SctpDataChannel.__init__(self, transport, stream_id, params)
        self._stats_id = 0
        self._owner: RTCSctpTransport | None = None
        self._remote = False

    @property
    def buffer_messages(self) -> bool:  # type: ignore[override]
        return not self.listeners("message")

    def _event(self, name: str, *args: object) -> None:
        SctpDataChannel._event(self, name, *args)
        owner = self._owner
        if owner is not None:
            if name == "open" and owner._on_channel_open is not None:
                owner._on_channel_open(self)
            elif name == "close" and owner._on_channel_close is not None:
                owner._on_channel_close()
        self.emit(name, *args)

    def __repr__(self) -> str:
        return f"RTCDataChannel(label={self.label!r}, id={self.id}, state={self.readyState})"
