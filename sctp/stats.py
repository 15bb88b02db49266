"""Counters of one association: what was sent, received, retransmitted, and dropped.

Every way peer input can be refused has its own counter, so tests (and ``getStats``) can tell
exactly why a packet went nowhere. The fields are plain ints updated in place on the hot path.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(slots=True)
class AssociationStats:
    packets_sent: int = 0
    packets_received: int = 0
    bytes_sent: int = 0
    """SCTP packet bytes handed to the lower transport."""
    bytes_received: int = 0
    data_chunks_sent: int = 0
    """DATA chunks sent for the first time."""
    data_chunks_received: int = 0
    """New (non-duplicate) DATA chunks received."""
    messages_sent: int = 0
    """User messages accepted by ``send``."""
    messages_received: int = 0
    """User messages delivered."""
    retransmissions: int = 0
    """DATA chunks sent again (T3-rtx or fast retransmit)."""
    fast_retransmits: int = 0
    t3_expirations: int = 0
    sacks_sent: int = 0
    sacks_received: int = 0
    forward_tsns_sent: int = 0
    messages_abandoned: int = 0
    """Partial-reliable messages given up (RFC 3758)."""
    rtt_samples: int = 0

    # Dropped peer input, one reason per counter.
    dropped_too_short: int = 0
    dropped_bad_checksum: int = 0
    dropped_bad_port: int = 0
    dropped_bad_vtag: int = 0
    dropped_malformed: int = 0
    """A chunk or parameter that does not decode (length past the packet, truncated fields)."""
    dropped_unexpected: int = 0
    """A well-formed chunk that makes no sense in the current state."""
    dropped_duplicate_data: int = 0
    dropped_data_out_of_window: int = 0
    """DATA with a TSN far outside what the peer may have in flight, or beyond a full window."""
    dropped_data_invalid_stream: int = 0
    dropped_data_empty: int = 0
    dropped_messages_too_large: int = 0
    """Messages larger than our advertised max-message-size, discarded on reassembly."""
    dropped_sack_stale: int = 0
    """SACKs whose cumulative TSN is behind one we already had (RFC 9260 §6.2.1 D i)."""
    dropped_sack_invalid: int = 0
    """SACKs acknowledging TSNs we never sent."""
    dropped_bad_cookie: int = 0
    dropped_unknown_chunk: int = 0
    dropped_unknown_stream_message: int = 0
    """Messages for a stream with no data channel (channel layer)."""
    dropped_bad_dcep: int = 0
    """DCEP messages that do not decode or arrive where they should not (channel layer)."""

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def dropped(self) -> int:
        """All dropped peer input, whatever the reason."""
        return sum(v for k, v in asdict(self).items() if k.startswith("dropped_"))
