"""The agent's state machines: connection state, gathering state and role, each with its table.

The connection states are exactly Pion's and W3C's RTCIceTransportState strings. The table says
which moves are legal; :func:`check_transition` is called by the one method of the agent that
writes the state, so an illegal move is a bug that raises instead of a silent oddity.

    new ──► checking ──► connected ──► completed
     │         │   ▲         │  ▲          │
     │         │   └─restart─┤  └──────────┤        (new remote candidates: back to connected)
     │         ▼             ▼             ▼
     └─────► failed ◄── disconnected ◄─────┘        (consent lost; answers again: back up)
                 │
    any ──► closed          failed ──► checking (after an ICE restart)
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from .errors import IceInternalError


class IceConnectionState(StrEnum):
    NEW = "new"
    CHECKING = "checking"
    CONNECTED = "connected"
    COMPLETED = "completed"
    FAILED = "failed"
    DISCONNECTED = "disconnected"
    CLOSED = "closed"


class IceGatheringState(StrEnum):
    NEW = "new"
    GATHERING = "gathering"
    COMPLETE = "complete"


class IceRole(StrEnum):
    CONTROLLING = "controlling"
    CONTROLLED = "controlled"


_S = IceConnectionState
CONNECTION_TRANSITIONS: Final[Mapping[IceConnectionState, frozenset[IceConnectionState]]] = {
    _S.NEW: frozenset({_S.CHECKING, _S.FAILED, _S.CLOSED}),
    _S.CHECKING: frozenset({_S.CONNECTED, _S.FAILED, _S.CLOSED}),
    _S.CONNECTED: frozenset({_S.COMPLETED, _S.DISCONNECTED, _S.FAILED, _S.CHECKING, _S.CLOSED}),
    _S.COMPLETED: frozenset({_S.CONNECTED, _S.DISCONNECTED, _S.FAILED, _S.CHECKING, _S.CLOSED}),
    _S.DISCONNECTED: frozenset({_S.CONNECTED, _S.COMPLETED, _S.FAILED, _S.CHECKING, _S.CLOSED}),
    _S.FAILED: frozenset({_S.CHECKING, _S.CLOSED}),
    _S.CLOSED: frozenset(),
}

_G = IceGatheringState
GATHERING_TRANSITIONS: Final[Mapping[IceGatheringState, frozenset[IceGatheringState]]] = {
    _G.NEW: frozenset({_G.GATHERING}),
    _G.GATHERING: frozenset({_G.COMPLETE}),
    _G.COMPLETE: frozenset({_G.GATHERING}),
}


def check_transition(old: IceConnectionState, new: IceConnectionState) -> None:
    if new not in CONNECTION_TRANSITIONS[old]:
        raise IceInternalError(f"ICE connection state cannot go from {old} to {new}")


def check_gathering_transition(old: IceGatheringState, new: IceGatheringState) -> None:
    if new not in GATHERING_TRANSITIONS[old]:
        raise IceInternalError(f"ICE gathering state cannot go from {old} to {new}")


def derive_connection_state(
    *,
    closed: bool,
    failed: bool,
    selected: bool,
    stale: bool,
    checks_done: bool,
    started: bool,
) -> IceConnectionState:
    """The connection state from the facts the agent keeps (webrtc-pc §5.6.3, RTCIceTransportState).

    ``selected``: a pair carries data; ``stale``: its consent is past the disconnected timeout;
    ``checks_done``: end-of-candidates came, gathering is complete and no check is running (the
    condition for ``completed``); ``started``: the peer's credentials arrived at some point.
    """
    if closed:
        return IceConnectionState.CLOSED
    if failed:
        return IceConnectionState.FAILED
    if selected:
        if stale:
            return IceConnectionState.DISCONNECTED
        return IceConnectionState.COMPLETED if checks_done else IceConnectionState.CONNECTED
    return IceConnectionState.CHECKING if started else IceConnectionState.NEW
