"""The error types of the ICE layer: one base, a parse error, and a few leaves that carry data.

The split follows ../shared/DESIGN.md: *local* misuse of the API raises one of these; input from
the network never does (the agent drops and counts it, or fails the connection with a reason).
"""

from __future__ import annotations


class IceError(Exception):
    """Base of every error the ``ice`` package raises."""


class StunError(IceError, ValueError):
    """A datagram that is not a well-formed STUN message (RFC 8489 §5, §14).

    ``offset`` is where in the message the problem was found, when that is meaningful.
    """

    def __init__(self, reason: str, *, offset: int | None = None) -> None:
        self.reason = reason
        self.offset = offset
        where = f" at offset {offset}" if offset is not None else ""
        super().__init__(f"{reason}{where}")


class StunFingerprintError(StunError):
    """A FINGERPRINT attribute that does not match the message (RFC 8489 §14.7)."""


class IceConfigError(IceError, ValueError):
    """A settings value, credential or server URI that cannot be used."""


class IceStateError(IceError):
    """An API call that the agent's current state does not allow (closed, already started…)."""


class IceConnectionFailed(IceError):
    """``dial``/``accept`` gave up: the connection reached ``failed`` (or was closed) first."""

    def __init__(self, state: str) -> None:
        self.state = state
        super().__init__(f"ICE connection did not connect: it reached {state!r}")


class IceInternalError(IceError):
    """A bug: a state machine was asked to make a transition its table does not allow."""
