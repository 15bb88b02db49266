"""What a :class:`~dtls.core.DtlsConnection` reports through ``poll_event()``.

Small frozen dataclasses named in the past tense (aioquic's ``events.py``). Application data is
not an event: it is the hot path, so the core hands it out as plain ``bytes`` through
``poll_application_data()`` and allocates nothing per record beyond the payload itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from .state import FailureReason, RTCDtlsTransportState


@dataclass(frozen=True, slots=True)
class DtlsStateChanged:
    """The transport moved from one W3C state to another."""

    old: RTCDtlsTransportState
    new: RTCDtlsTransportState


@dataclass(frozen=True, slots=True)
class DtlsFailed:
    """The transport failed; always followed by ``DtlsStateChanged(..., FAILED)``."""

    reason: FailureReason
    detail: str
    """Human-readable detail: the alert's name, OpenSSL's reason, the deadline that passed."""


@dataclass(frozen=True, slots=True)
class CloseNotifyReceived:
    """The peer closed its side with a close_notify alert (RFC 5246 §7.2.1)."""


DtlsEvent = DtlsStateChanged | DtlsFailed | CloseNotifyReceived
