"""The knobs of a DTLS transport, in one frozen dataclass with documented defaults (pion style)."""

from __future__ import annotations

from dataclasses import dataclass

from .record_protection import SUITES
from .srtp_keys import DEFAULT_SRTP_PROFILES, SrtpProfile

MIN_MTU = 256
"""OpenSSL refuses smaller MTUs for its handshake fragmentation (``dtls1_min_mtu``)."""
MAX_MTU = 65507
"""The largest UDP payload over IPv4."""


@dataclass(frozen=True, slots=True)
class DtlsSettings:
    mtu: int = 1200
    """Largest datagram we send, DTLS header included (UDP payload size). Handshake messages
    are fragmented to fit and application data larger than ``mtu`` minus the record overhead
    is refused. 1200 bytes fit any path that carries IPv6 (RFC 8200's minimum is 1280)."""

    handshake_timeout: float = 30.0
    """Seconds from ``start()`` until an unfinished handshake fails, in the caller's clock.
    OpenSSL retransmits lost flights after 1, 2, 4, 8 ... s (RFC 6347 §4.2.4.1), so 30 s
    leaves room for four retransmissions of each flight."""

    flight_resend: float | None = 0.25
    """Seconds until we first resend our last handshake flight, byte for byte, if the peer has
    not answered; the wait doubles after each resend up to ``flight_resend_max``. This runs
    beside OpenSSL's own retransmission (1 s, doubling to 60 s), which alone makes a lossy
    handshake take many seconds. ``None`` leaves retransmission to OpenSSL."""

    flight_resend_max: float = 2.0

    srtp_profiles: tuple[SrtpProfile, ...] = DEFAULT_SRTP_PROFILES
    """DTLS-SRTP protection profiles offered (client) or accepted (server), best first. Empty
    leaves the ``use_srtp`` extension out (data channels only)."""

    cipher_suites: tuple[str, ...] = tuple(SUITES)
    """OpenSSL names of the AEAD cipher suites offered, best first (see ``record_protection``)."""

    max_early_records: int = 32
    """Application-data records that arrive before our handshake finished (the peer finished
    first and started sending) are kept, up to this many, and delivered once it does."""

    def __post_init__(self) -> None:
        if not MIN_MTU <= self.mtu <= MAX_MTU:
            raise ValueError(f"mtu must be within [{MIN_MTU}, {MAX_MTU}], got {self.mtu}")
        if not self.handshake_timeout > 0:
            raise ValueError("handshake_timeout must be positive")
        if self.flight_resend is not None and not 0 < self.flight_resend <= self.flight_resend_max:
            raise ValueError("flight_resend must be positive and at most flight_resend_max")
        if not self.cipher_suites:
            raise ValueError("at least one cipher suite is needed")
        unknown = [s for s in self.cipher_suites if s not in SUITES]
        if unknown:
            raise ValueError(f"unsupported cipher suites {unknown}; choose from {list(SUITES)}")
        if len(set(self.srtp_profiles)) != len(self.srtp_profiles):
            raise ValueError("srtp_profiles lists a profile twice")
        if self.max_early_records < 0:
            raise ValueError("max_early_records must not be negative")
