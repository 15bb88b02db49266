"""What the sans-IO agent reports, as small immutable dataclasses (drained with ``poll_event``).

Names say what happened, in the past tense. The asyncio layer turns them into callbacks, and the
W3C objects in ``webrtc/`` into ``icecandidate``, ``gatheringstatechange``, ``statechange`` and
``selectedcandidatepairchange`` events.
"""

from __future__ import annotations

from dataclasses import dataclass

from sdp import Candidate

from .states import IceConnectionState, IceGatheringState, IceRole

Address = tuple[str, int]


@dataclass(frozen=True, slots=True)
class CandidateGathered:
    """A local candidate to signal to the peer (trickle, RFC 8838)."""

    candidate: Candidate


@dataclass(frozen=True, slots=True)
class GatheringStateChanged:
    """Gathering moved; ``new == COMPLETE`` is the end-of-candidates moment for signalling."""

    old: IceGatheringState
    new: IceGatheringState


@dataclass(frozen=True, slots=True)
class ConnectionStateChanged:
    old: IceConnectionState
    new: IceConnectionState


@dataclass(frozen=True, slots=True)
class SelectedPair:
    """A snapshot of the pair that carries data."""

    local: Candidate
    """The local candidate of the valid pair (host, server- or peer-reflexive)."""
    remote: Candidate
    local_address: Address
    """The base: the socket address data is sent from."""
    remote_address: Address


@dataclass(frozen=True, slots=True)
class SelectedPairChanged:
    """The pair data goes over changed (``None``: there is none any more, e.g. consent expired)."""

    pair: SelectedPair | None


@dataclass(frozen=True, slots=True)
class RoleChanged:
    """A role conflict (RFC 8445 §7.3.1.1, §7.2.5.1) switched our role."""

    role: IceRole


IceEvent = (
    CandidateGathered
    | GatheringStateChanged
    | ConnectionStateChanged
    | SelectedPairChanged
    | RoleChanged
)
