"""SCTP over DTLS (RFC 8261) and WebRTC data channels (RFC 8831, DCEP RFC 8832).

The sans-IO cores are :class:`Association` (RFC 9260 with PR-SCTP, RFC 3758, and stream
reset, RFC 6525) and :class:`ChannelManager` (DCEP and channel ids on top of it). The asyncio
shell is :class:`SctpTransport`, which runs over any datagram transport with ``send(data)``
and ``set_receiver(callback)`` and hands out :class:`DataChannel` objects.
"""

from .association import Association
from .channels import ChannelManager
from .datachannel import ChannelClosedError, DataChannel
from .dcep import ChannelParameters
from .errors import (
    ChannelIdError,
    InvalidStateError,
    MessageTooLarge,
    SctpError,
    SctpParseError,
    SendBufferFull,
    StreamClosedError,
)
from .settings import SctpSettings
from .stats import AssociationStats
from .tcb import AssociationState
from .transport import DatagramTransport, SctpTransport

__all__ = [
    "Association",
    "AssociationState",
    "AssociationStats",
    "ChannelClosedError",
    "ChannelIdError",
    "ChannelManager",
    "ChannelParameters",
    "DataChannel",
    "DatagramTransport",
    "InvalidStateError",
    "MessageTooLarge",
    "SctpError",
    "SctpParseError",
    "SctpSettings",
    "SctpTransport",
    "SendBufferFull",
    "StreamClosedError",
]
