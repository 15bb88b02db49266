"""Typed errors of the DTLS package (../shared/DESIGN.md, "Errors").

Local misuse of the API raises one of these; input from the network never does. A peer that
misbehaves is dropped and counted, or fails the transport with a :class:`~dtls.events.DtlsFailed`
event that carries a :class:`~dtls.state.FailureReason`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .state import FailureReason, RTCDtlsTransportState


class DtlsError(Exception):
    """Base of every error the ``dtls`` package raises."""


class InvalidDtlsStateError(DtlsError):
    """The call is not allowed in the transport's current state (W3C ``InvalidStateError``)."""

    def __init__(self, message: str, state: RTCDtlsTransportState) -> None:
        super().__init__(f"{message} (state is {state.value!r})")
        self.state = state


class ConnectionClosedError(InvalidDtlsStateError):
    """Application data was offered after ``close()`` or after the peer's close_notify."""


class MessageTooLargeError(DtlsError):
    """The datagram would not fit in one DTLS record under the path MTU (RFC 6347 §4.1.1)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes of application data exceed the limit of {limit} per record")
        self.size = size
        self.limit = limit


class FingerprintError(DtlsError, ValueError):
    """A fingerprint is malformed, or none of those given uses a hash function we know."""


class SetupRoleError(DtlsError, ValueError):
    """The SDP ``a=setup`` attributes of both ends do not give one client and one server."""


class CertificateError(DtlsError, ValueError):
    """A certificate cannot be generated as asked, cannot be loaded, or has expired."""


class HandshakeError(DtlsError):
    """The transport failed (raised by the asyncio layer's ``wait_connected()``)."""

    def __init__(self, reason: FailureReason, detail: str) -> None:
        super().__init__(f"DTLS failed: {reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
