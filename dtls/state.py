"""The W3C ``RTCDtlsTransport`` states and the one table of their transitions.

webrtc-pc §5.5 (``RTCDtlsTransportState``): a transport starts ``new``, is ``connecting`` while
the handshake runs, ``connected`` once it completed and the peer's certificate matched the remote
fingerprints, and ends ``closed`` (close_notify sent or received, or ``close()``) or ``failed``
(a fatal alert, a fingerprint mismatch, a timeout). Both ends are final. The core changes state
only through :func:`check_transition`, so the table below is the whole state machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final


class RTCDtlsTransportState(StrEnum):
    """W3C strings: ``state == "connected"`` holds, so code written for aiortc keeps working."""

    NEW = "new"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    CLOSED = "closed"
    FAILED = "failed"


class FailureReason(StrEnum):
    """Why a transport moved to ``failed`` (carried by :class:`~dtls.events.DtlsFailed`)."""

    FINGERPRINT_MISMATCH = "fingerprint mismatch"
    """The peer's certificate matched none of the fingerprints of the remote description."""
    HANDSHAKE_TIMEOUT = "handshake timeout"
    """The handshake did not complete within ``DtlsSettings.handshake_timeout``."""
    ALERT_RECEIVED = "alert received"
    """The peer sent a fatal alert (the detail names it, RFC 5246 §7.2)."""
    PROTOCOL_ERROR = "protocol error"
    """OpenSSL rejected the handshake (the detail carries its reason)."""


_S = RTCDtlsTransportState

ALLOWED_TRANSITIONS: Final[Mapping[RTCDtlsTransportState, frozenset[RTCDtlsTransportState]]] = {
    _S.NEW: frozenset({_S.CONNECTING, _S.CLOSED, _S.FAILED}),
    _S.CONNECTING: frozenset({_S.CONNECTED, _S.CLOSED, _S.FAILED}),
    _S.CONNECTED: frozenset({_S.CLOSED, _S.FAILED}),
    _S.CLOSED: frozenset(),
    _S.FAILED: frozenset(),
}

TERMINAL_STATES: Final = frozenset({_S.CLOSED, _S.FAILED})


class IllegalTransitionError(AssertionError):
    """A bug: the core asked for a transition the table does not allow."""


def check_transition(old: RTCDtlsTransportState, new: RTCDtlsTransportState) -> None:
    """Raise :class:`IllegalTransitionError` unless ``old -> new`` is in the table."""
    if new not in ALLOWED_TRANSITIONS[old]:
        raise IllegalTransitionError(f"DTLS transport cannot go from {old.value} to {new.value}")
