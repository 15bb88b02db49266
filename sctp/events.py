"""What the SCTP cores tell their driver: small, immutable, named in the past tense.

Association events come from :class:`sctp.association.Association`; channel events from
:class:`sctp.channels.ChannelManager`, which passes association events through as well, so a
driver of the manager sees one stream of both.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AssociationEstablished:
    """The four-way handshake completed (RFC 9260 §5.1)."""

    inbound_streams: int
    """Streams the peer may send on (our MIS limited by its OS)."""
    outbound_streams: int
    """Streams we may send on (our OS limited by its MIS)."""
    partial_reliability: bool
    """Both ends support FORWARD TSN (RFC 3758)."""
    stream_reset: bool
    """The peer supports RE-CONFIG (RFC 6525)."""


@dataclass(frozen=True, slots=True)
class AssociationClosed:
    """The association is over; nothing more will be sent or delivered."""

    reason: str
    """Why: "shutdown" for a graceful close, otherwise what failed or what the peer said."""
    error: bool
    """False for a graceful SHUTDOWN or a local ``abort``; True when it failed or the peer
    aborted."""


@dataclass(frozen=True, slots=True)
class MessageReceived:
    """A complete user message arrived, in order where the stream is ordered."""

    stream_id: int
    ppid: int
    data: bytes


@dataclass(frozen=True, slots=True)
class BufferedAmountLow:
    """A stream's queued, unsent bytes fell to or below its threshold (W3C bufferedamountlow)."""

    stream_id: int


@dataclass(frozen=True, slots=True)
class StreamsReset:
    """Streams were reset (RFC 6525): their sequence numbers start again from zero."""

    stream_ids: tuple[int, ...]
    incoming: bool
    """True: the peer reset its outgoing streams (our incoming ones). False: our own outgoing
    reset request succeeded."""


@dataclass(frozen=True, slots=True)
class ChannelOpened:
    """A channel can carry messages: our DATA_CHANNEL_OPEN went out, or a negotiated channel's
    association is up."""

    stream_id: int


@dataclass(frozen=True, slots=True)
class ChannelRequested:
    """The peer opened a channel with DATA_CHANNEL_OPEN (RFC 8832 §5.1); we acknowledged it and
    it is open."""

    stream_id: int
    label: str
    protocol: str
    ordered: bool
    max_retransmits: int | None
    max_packet_lifetime: int | None
    """Milliseconds, as in W3C ``maxPacketLifeTime``."""
    priority: int
    """The DCEP priority value (RFC 8832 §5.1: 128, 256, 512, 1024 for the W3C levels)."""


@dataclass(frozen=True, slots=True)
class ChannelClosing:
    """The peer began closing a channel (it reset its outgoing stream)."""

    stream_id: int


@dataclass(frozen=True, slots=True)
class ChannelClosed:
    """Both directions of the channel's stream are reset (or the association ended); its id is
    free again."""

    stream_id: int


@dataclass(frozen=True, slots=True)
class ChannelFailed:
    """A channel could not open or had to be dropped (no free stream, peer limit, bad DCEP)."""

    stream_id: int
    reason: str


AssociationEvent = (
    AssociationEstablished | AssociationClosed | MessageReceived | BufferedAmountLow | StreamsReset
)
ChannelEvent = ChannelOpened | ChannelRequested | ChannelClosing | ChannelClosed | ChannelFailed
SctpEvent = AssociationEvent | ChannelEvent
