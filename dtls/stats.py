"""Counters of one DTLS connection: peer input that is dropped is counted, never raised."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class DtlsStats:
    records_sent: int = 0
    """Application-data records sealed."""
    records_received: int = 0
    """Application-data records opened and delivered."""
    dropped_malformed: int = 0
    """Datagrams that are not well-formed DTLS (bad framing, content type or version)."""
    dropped_replayed: int = 0
    """Records whose sequence number was seen already or fell behind the replay window."""
    dropped_unauthenticated: int = 0
    """Records that failed AEAD authentication (forged, corrupted, or of another session)."""
    dropped_unexpected: int = 0
    """Well-formed input that has no place in the current state or epoch."""
    handshake_retransmissions: int = 0
    """Flights OpenSSL retransmitted because its timer expired."""
    flight_resends: int = 0
    """Times we resent our last flight on our own schedule (``DtlsSettings.flight_resend``)."""
    final_flight_resends: int = 0
    """Times the server sent its final flight again because the client retransmitted."""
