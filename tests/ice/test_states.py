"""The state tables: every (state, next) pair is either allowed by the table or raises."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ice.errors import IceInternalError
from ice.states import (
    CONNECTION_TRANSITIONS,
    GATHERING_TRANSITIONS,
    IceConnectionState,
    IceGatheringState,
    check_gathering_transition,
    check_transition,
    derive_connection_state,
)


def test_states_are_the_w3c_strings() -> None:
    assert [s.value for s in IceConnectionState] == [
        "new", "checking", "connected", "completed", "failed", "disconnected", "closed",
    ]  # fmt: skip
    assert [s.value for s in IceGatheringState] == ["new", "gathering", "complete"]
    assert str(IceConnectionState.CONNECTED) == "connected"


@settings(max_examples=200)
@given(st.sampled_from(IceConnectionState), st.sampled_from(IceConnectionState))
def test_connection_table(old: IceConnectionState, new: IceConnectionState) -> None:
    if new in CONNECTION_TRANSITIONS[old]:
        check_transition(old, new)
    else:
        with pytest.raises(IceInternalError):
            check_transition(old, new)


@settings(max_examples=50)
@given(st.sampled_from(IceGatheringState), st.sampled_from(IceGatheringState))
def test_gathering_table(old: IceGatheringState, new: IceGatheringState) -> None:
    if new in GATHERING_TRANSITIONS[old]:
        check_gathering_transition(old, new)
    else:
        with pytest.raises(IceInternalError):
            check_gathering_transition(old, new)


def test_table_shape() -> None:
    assert set(CONNECTION_TRANSITIONS) == set(IceConnectionState)
    assert CONNECTION_TRANSITIONS[IceConnectionState.CLOSED] == frozenset()
    for state, targets in CONNECTION_TRANSITIONS.items():
        if state is not IceConnectionState.CLOSED:
            assert IceConnectionState.CLOSED in targets
        assert state not in targets


@pytest.mark.parametrize("facts", list(itertools.product([False, True], repeat=6)))
def test_derived_connection_state_table(facts: tuple[bool, ...]) -> None:
    closed, failed, selected, stale, checks_done, started = facts
    state = derive_connection_state(
        closed=closed,
        failed=failed,
        selected=selected,
        stale=stale,
        checks_done=checks_done,
        started=started,
    )
    if closed:
        expected = IceConnectionState.CLOSED
    elif failed:
        expected = IceConnectionState.FAILED
    elif selected and stale:
        expected = IceConnectionState.DISCONNECTED
    elif selected:
        expected = IceConnectionState.COMPLETED if checks_done else IceConnectionState.CONNECTED
    else:
        expected = IceConnectionState.CHECKING if started else IceConnectionState.NEW
    assert state is expected
