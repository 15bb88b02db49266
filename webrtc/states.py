"""The W3C state enums and the pure rules that move or derive them (webrtc-pc §4.3).

Nothing here emits events: the PeerConnection calls these functions and fires the change event
when the result differs, so every rule can be tested as a table.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum
from typing import Final

from dtls import RTCDtlsTransportState as DtlsTransportState
from ice import IceConnectionState, IceGatheringState

from .exceptions import InvalidStateError


class RTCSignalingState(StrEnum):
    STABLE = "stable"
    HAVE_LOCAL_OFFER = "have-local-offer"
    HAVE_REMOTE_OFFER = "have-remote-offer"
    HAVE_LOCAL_PRANSWER = "have-local-pranswer"
    HAVE_REMOTE_PRANSWER = "have-remote-pranswer"
    CLOSED = "closed"


# The transports' own enums carry exactly the W3C strings: the aggregate states reuse them.
RTCIceGatheringState = IceGatheringState
RTCIceConnectionState = IceConnectionState
RTCDtlsTransportState = DtlsTransportState


class RTCPeerConnectionState(StrEnum):
    NEW = "new"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    FAILED = "failed"
    CLOSED = "closed"


S = RTCSignalingState

# (state, "local" | "remote", description type) -> next state; JSEP §3.2 / webrtc-pc §4.3.1.
SIGNALING_TRANSITIONS: Final[dict[tuple[RTCSignalingState, str, str], RTCSignalingState]] = {
    (S.STABLE, "local", "offer"): S.HAVE_LOCAL_OFFER,
    (S.STABLE, "remote", "offer"): S.HAVE_REMOTE_OFFER,
    (S.HAVE_LOCAL_OFFER, "local", "offer"): S.HAVE_LOCAL_OFFER,
    (S.HAVE_LOCAL_OFFER, "remote", "answer"): S.STABLE,
    (S.HAVE_LOCAL_OFFER, "remote", "pranswer"): S.HAVE_REMOTE_PRANSWER,
    (S.HAVE_LOCAL_OFFER, "local", "rollback"): S.STABLE,
    (S.HAVE_REMOTE_OFFER, "remote", "offer"): S.HAVE_REMOTE_OFFER,
    (S.HAVE_REMOTE_OFFER, "local", "answer"): S.STABLE,
    (S.HAVE_REMOTE_OFFER, "local", "pranswer"): S.HAVE_LOCAL_PRANSWER,
    (S.HAVE_REMOTE_OFFER, "remote", "rollback"): S.STABLE,
    (S.HAVE_LOCAL_PRANSWER, "local", "pranswer"): S.HAVE_LOCAL_PRANSWER,
    (S.HAVE_LOCAL_PRANSWER, "local", "answer"): S.STABLE,
    (S.HAVE_REMOTE_PRANSWER, "remote", "pranswer"): S.HAVE_REMOTE_PRANSWER,
    (S.HAVE_REMOTE_PRANSWER, "remote", "answer"): S.STABLE,
}


def next_signaling_state(
    state: RTCSignalingState, side: str, description_type: str
) -> RTCSignalingState:
    """The state after applying a description, or InvalidStateError if it does not fit."""
    try:
        return SIGNALING_TRANSITIONS[(state, side, description_type)]
    except KeyError:
        raise InvalidStateError(
            f"cannot set {side} {description_type} in signaling state {state.value}"
        ) from None


ICE = RTCIceConnectionState
D = RTCDtlsTransportState
P = RTCPeerConnectionState
G = RTCIceGatheringState


def derive_ice_connection_state(
    transports: Collection[RTCIceConnectionState], *, closed: bool
) -> RTCIceConnectionState:
    """webrtc-pc §4.3.3 RTCIceConnectionState, from the states of every ICE transport."""
    states = set(transports)
    if closed:
        return ICE.CLOSED
    if ICE.FAILED in states:
        return ICE.FAILED
    if ICE.DISCONNECTED in states:
        return ICE.DISCONNECTED
    if states <= {ICE.NEW, ICE.CLOSED}:
        return ICE.NEW
    if states & {ICE.NEW, ICE.CHECKING}:
        return ICE.CHECKING
    if states <= {ICE.COMPLETED, ICE.CLOSED}:
        return ICE.COMPLETED
    return ICE.CONNECTED


def derive_ice_gathering_state(
    transports: Collection[RTCIceGatheringState],
) -> RTCIceGatheringState:
    """webrtc-pc §4.3.2 RTCIceGatheringState."""
    states = set(transports)
    if G.GATHERING in states:
        return G.GATHERING
    if states and states == {G.COMPLETE}:
        return G.COMPLETE
    return G.NEW


def derive_connection_state(
    ice: Collection[RTCIceConnectionState],
    dtls: Collection[RTCDtlsTransportState],
    *,
    closed: bool,
) -> RTCPeerConnectionState:
    """webrtc-pc §4.3.3 RTCPeerConnectionState, from every ICE and DTLS transport."""
    ice_states, dtls_states = set(ice), set(dtls)
    if closed:
        return P.CLOSED
    if ICE.FAILED in ice_states or D.FAILED in dtls_states:
        return P.FAILED
    if ICE.DISCONNECTED in ice_states:
        return P.DISCONNECTED
    if ice_states <= {ICE.NEW, ICE.CLOSED} and dtls_states <= {D.NEW, D.CLOSED}:
        return P.NEW
    if ice_states & {ICE.NEW, ICE.CHECKING} or dtls_states & {D.NEW, D.CONNECTING}:
        return P.CONNECTING
    return P.CONNECTED
