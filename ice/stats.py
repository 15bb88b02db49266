"""Counters for getStats (W3C webrtc-stats RTCIceCandidatePairStats) and for dropped input.

Counters are plain mutable slotted objects updated in place on the hot path; :class:`IceStatsReport`
is the frozen snapshot handed to users.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sdp import Candidate

Address = tuple[str, int]


@dataclass(slots=True)
class PairStats:
    """Per candidate pair, named after RTCIceCandidatePairStats."""

    packets_sent: int = 0
    packets_received: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    requests_sent: int = 0
    """Connectivity checks, nominations and retransmissions."""
    requests_received: int = 0
    responses_sent: int = 0
    responses_received: int = 0
    consent_requests_sent: int = 0
    current_round_trip_time: float | None = None
    total_round_trip_time: float = 0.0


@dataclass(slots=True)
class AgentStats:
    """Why input was dropped or answered with an error; nothing from the network raises."""

    stun_malformed: int = 0
    """Truncated, wrong-length, oversized or otherwise unparseable STUN (includes the two below)."""
    stun_oversized: int = 0
    stun_bad_fingerprint: int = 0
    stun_bad_integrity: int = 0
    """Responses whose MESSAGE-INTEGRITY did not verify (requests get 401 instead)."""
    requests_bad: int = 0
    """Requests answered with 400 (missing USERNAME/MESSAGE-INTEGRITY/PRIORITY, bad values)."""
    requests_unauthorized: int = 0
    """Requests answered with 401 (unknown ufrag, wrong integrity)."""
    requests_unknown_attribute: int = 0
    """Requests answered with 420."""
    role_conflicts: int = 0
    """Role conflicts seen, answered with 487 or resolved by switching."""
    responses_unmatched: int = 0
    """Responses for no transaction of ours (late, duplicated or forged)."""
    responses_wrong_source: int = 0
    indications: int = 0
    """Binding indications (keepalives) and other indications, ignored."""
    remote_candidates_dropped: int = 0
    """Remote candidates ignored: unsupported transport/component, mDNS, stale ufrag, over limit."""
    early_checks_dropped: int = 0
    data_no_route: int = 0
    """Data from an address that is not the remote side of any of our pairs."""
    data_unknown_kind: int = 0
    """Non-STUN datagrams whose first byte is neither DTLS nor RTP/RTCP (RFC 7983)."""
    send_no_route: int = 0
    """Data the user sent while there was no pair to send it on."""


@dataclass(frozen=True, slots=True)
class CandidatePairReport:
    local: Candidate
    remote: Candidate
    local_address: Address
    remote_address: Address
    state: str
    nominated: bool
    selected: bool
    priority: int
    stats: PairStats


@dataclass(frozen=True, slots=True)
class IceStatsReport:
    """A snapshot of the agent for getStats."""

    local_candidates: tuple[Candidate, ...]
    remote_candidates: tuple[Candidate, ...]
    pairs: tuple[CandidatePairReport, ...]
    selected: CandidatePairReport | None
    agent: AgentStats = field(default_factory=AgentStats)
