"""ICE (RFC 8445): STUN, candidate gathering, connectivity checks and the agent.

The sans-IO core is :class:`IceAgent`; :class:`IceConnection` is its asyncio layer with sockets,
which is also the datagram transport DTLS runs on.
"""

from .agent import IceAgent
from .connection import IceConnection
from .datagram import DatagramTransport
from .errors import (
    IceConfigError,
    IceConnectionFailed,
    IceError,
    IceInternalError,
    IceStateError,
    StunError,
    StunFingerprintError,
)
from .events import (
    CandidateGathered,
    ConnectionStateChanged,
    GatheringStateChanged,
    IceEvent,
    RoleChanged,
    SelectedPair,
    SelectedPairChanged,
)
from .output import Transmit
from .settings import IceSettings, Nat1To1CandidateType, NetworkType
from .states import IceConnectionState, IceGatheringState, IceRole
from .stats import AgentStats, CandidatePairReport, IceStatsReport, PairStats

__all__ = [
    "AgentStats",
    "CandidateGathered",
    "CandidatePairReport",
    "ConnectionStateChanged",
    "DatagramTransport",
    "GatheringStateChanged",
    "IceAgent",
    "IceConfigError",
    "IceConnection",
    "IceConnectionFailed",
    "IceConnectionState",
    "IceError",
    "IceEvent",
    "IceGatheringState",
    "IceInternalError",
    "IceRole",
    "IceSettings",
    "IceStateError",
    "IceStatsReport",
    "Nat1To1CandidateType",
    "NetworkType",
    "PairStats",
    "RoleChanged",
    "SelectedPair",
    "SelectedPairChanged",
    "StunError",
    "StunFingerprintError",
    "Transmit",
]
