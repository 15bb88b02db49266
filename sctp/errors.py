"""Typed errors of the SCTP layer.

The split follows DESIGN.md: local API misuse raises one of these at the call; input from the
peer never raises out of a core (it is dropped and counted, or it ends the association with a
reason carried by an event). :class:`ProtocolViolation` is the one exception raised *inside* the
core while decoding peer input; it is caught at ``handle_datagram`` and never escapes.
"""

from __future__ import annotations


class SctpError(Exception):
    """Base of every error raised by the ``sctp`` package."""


class SctpParseError(SctpError, ValueError):
    """Bytes that do not decode as the SCTP or DCEP structure they claim to be."""

    def __init__(self, reason: str, offset: int = 0) -> None:
        super().__init__(f"{reason} (at byte {offset})")
        self.reason = reason
        self.offset = offset


class InvalidStateError(SctpError):
    """The call is not allowed in the current state (W3C ``InvalidStateError``)."""


class MessageTooLarge(SctpError, ValueError):
    """A message is larger than the peer accepts (its ``a=max-message-size``, RFC 8841 §6)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"message of {size} bytes exceeds the peer's limit of {limit} bytes")
        self.size = size
        self.limit = limit


class SendBufferFull(SctpError):
    """Queuing the message would exceed the send buffer (W3C ``OperationError`` on send)."""

    def __init__(self, size: int, buffered: int, limit: int) -> None:
        super().__init__(
            f"cannot queue {size} bytes: {buffered} already buffered, limit {limit} bytes"
        )
        self.size = size
        self.buffered = buffered
        self.limit = limit


class StreamClosedError(InvalidStateError):
    """The stream is being reset or was never usable for sending."""

    def __init__(self, stream_id: int, reason: str = "is closing") -> None:
        super().__init__(f"stream {stream_id} {reason}")
        self.stream_id = stream_id


class ChannelIdError(SctpError, ValueError):
    """A data channel id is in use, out of range, or none is left (W3C ``OperationError``)."""


class ProtocolViolation(SctpError):
    """Peer input that breaks the protocol; raised inside the core, caught at its boundary."""

    def __init__(self, reason: str, *, cause: int = 13) -> None:
        super().__init__(reason)
        self.reason = reason
        self.cause = cause
        """The RFC 9260 §3.3.10 error cause code to report (13: Protocol Violation)."""
