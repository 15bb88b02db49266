"""The DOMException names of webrtc-pc, spelled as aiortc spells them."""

from __future__ import annotations


class InternalError(Exception):
    """A bug in the stack: a state it should never reach."""


class InvalidAccessError(Exception):
    """The call names something that does not fit (webrtc-pc: InvalidAccessError)."""


class InvalidStateError(Exception):
    """The call is not allowed in the current state, or on a closed object."""


class OperationError(Exception):
    """The operation failed for a reason specific to it (webrtc-pc: OperationError)."""


class InvalidModificationError(Exception):
    """setConfiguration tried to change a field that cannot change (webrtc-pc §4.4.1.6)."""
