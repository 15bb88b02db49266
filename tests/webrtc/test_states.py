"""The W3C state rules as tables: every (state, side, type) and every mix of transport states."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webrtc.exceptions import InvalidStateError
from webrtc.states import (
    SIGNALING_TRANSITIONS,
    RTCDtlsTransportState,
    RTCIceConnectionState,
    RTCIceGatheringState,
    RTCPeerConnectionState,
    RTCSignalingState,
    derive_connection_state,
    derive_ice_connection_state,
    derive_ice_gathering_state,
    next_signaling_state,
)

S = RTCSignalingState
ICE = RTCIceConnectionState
D = RTCDtlsTransportState
P = RTCPeerConnectionState
G = RTCIceGatheringState


def test_offer_answer_walks() -> None:
    state = S.STABLE
    for side, kind, expected in [
        ("local", "offer", S.HAVE_LOCAL_OFFER),
        ("remote", "pranswer", S.HAVE_REMOTE_PRANSWER),
        ("remote", "pranswer", S.HAVE_REMOTE_PRANSWER),
        ("remote", "answer", S.STABLE),
        ("remote", "offer", S.HAVE_REMOTE_OFFER),
        ("local", "pranswer", S.HAVE_LOCAL_PRANSWER),
        ("local", "answer", S.STABLE),
        ("local", "offer", S.HAVE_LOCAL_OFFER),
        ("local", "rollback", S.STABLE),
        ("remote", "offer", S.HAVE_REMOTE_OFFER),
        ("remote", "rollback", S.STABLE),
    ]:
        state = next_signaling_state(state, side, kind)
        assert state == expected


@given(
    st.sampled_from(list(S)),
    st.sampled_from(["local", "remote"]),
    st.sampled_from(["offer", "answer", "pranswer", "rollback"]),
)
@settings(max_examples=200)
def test_every_signaling_input_moves_or_raises(state: S, side: str, kind: str) -> None:
    if (state, side, kind) in SIGNALING_TRANSITIONS:
        assert next_signaling_state(state, side, kind) in set(S) - {S.CLOSED}
    else:
        with pytest.raises(InvalidStateError):
            next_signaling_state(state, side, kind)


def test_answers_only_after_offers() -> None:
    for side in ("local", "remote"):
        for kind in ("answer", "pranswer", "rollback"):
            with pytest.raises(InvalidStateError):
                next_signaling_state(S.STABLE, side, kind)
    with pytest.raises(InvalidStateError):
        next_signaling_state(S.HAVE_LOCAL_OFFER, "local", "answer")
    with pytest.raises(InvalidStateError):
        next_signaling_state(S.HAVE_REMOTE_OFFER, "local", "rollback")


def _ice_expected(states: tuple[ICE, ...]) -> ICE:
    s = set(states)
    if ICE.FAILED in s:
        return ICE.FAILED
    if ICE.DISCONNECTED in s:
        return ICE.DISCONNECTED
    if all(x in (ICE.NEW, ICE.CLOSED) for x in states):
        return ICE.NEW
    if any(x in (ICE.NEW, ICE.CHECKING) for x in states):
        return ICE.CHECKING
    if all(x in (ICE.COMPLETED, ICE.CLOSED) for x in states):
        return ICE.COMPLETED
    assert all(x in (ICE.CONNECTED, ICE.COMPLETED, ICE.CLOSED) for x in states)
    return ICE.CONNECTED


def test_ice_connection_state_every_pair() -> None:
    assert derive_ice_connection_state([], closed=False) == ICE.NEW
    assert derive_ice_connection_state([ICE.CONNECTED], closed=True) == ICE.CLOSED
    for states in itertools.product(list(ICE), repeat=2):
        assert derive_ice_connection_state(states, closed=False) == _ice_expected(states)
    assert (
        derive_ice_connection_state([ICE.CONNECTED, ICE.COMPLETED], closed=False) == ICE.CONNECTED
    )
    assert derive_ice_connection_state([ICE.COMPLETED, ICE.CLOSED], closed=False) == ICE.COMPLETED


def test_gathering_state() -> None:
    assert derive_ice_gathering_state([]) == G.NEW
    assert derive_ice_gathering_state([G.NEW, G.COMPLETE]) == G.NEW
    assert derive_ice_gathering_state([G.GATHERING, G.COMPLETE]) == G.GATHERING
    assert derive_ice_gathering_state([G.COMPLETE, G.COMPLETE]) == G.COMPLETE


def test_connection_state_every_ice_dtls_pair() -> None:
    for ice, dtls in itertools.product(list(ICE), list(D)):
        got = derive_connection_state([ice], [dtls], closed=False)
        if ice == ICE.FAILED or dtls == D.FAILED:
            assert got == P.FAILED
        elif ice == ICE.DISCONNECTED:
            assert got == P.DISCONNECTED
        elif ice in (ICE.NEW, ICE.CLOSED) and dtls in (D.NEW, D.CLOSED):
            assert got == P.NEW
        elif ice in (ICE.NEW, ICE.CHECKING) or dtls in (D.NEW, D.CONNECTING):
            assert got == P.CONNECTING
        else:
            assert ice in (ICE.CONNECTED, ICE.COMPLETED, ICE.CLOSED)
            assert dtls in (D.CONNECTED, D.CLOSED)
            assert got == P.CONNECTED
    assert derive_connection_state([], [], closed=False) == P.NEW
    assert derive_connection_state([ICE.CONNECTED], [D.CONNECTED], closed=True) == P.CLOSED


def test_states_compare_as_w3c_strings() -> None:
    connected: str = P.CONNECTED
    pranswer: str = S.HAVE_LOCAL_PRANSWER
    assert connected == "connected"
    assert pranswer == "have-local-pranswer"
    assert f"{ICE.COMPLETED}" == "completed"
