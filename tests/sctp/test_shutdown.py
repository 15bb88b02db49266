"""Ending an association: graceful SHUTDOWN after queued data (RFC 9260 §9.2), from either
side or both at once, under loss; ABORT both ways (§9.1); a peer that vanishes."""

from __future__ import annotations

import pytest

from sctp.errors import InvalidStateError
from sctp.events import AssociationClosed
from sctp.settings import SctpSettings
from tests.simnet import Conditions

from .helpers import SctpNode, connected_pair


def _closed(node: SctpNode) -> AssociationClosed:
    (event,) = node.events_of(AssociationClosed)
    assert isinstance(event, AssociationClosed)
    return event


@pytest.mark.parametrize("who", ["sender", "receiver", "both"])
def test_graceful_shutdown_delivers_everything_queued(who: str) -> None:
    for seed in range(8):
        _shutdown_with_queue(seed, who)


def _shutdown_with_queue(seed: int, who: str) -> None:
    sim, a, b = connected_pair(seed=seed)
    sim.network.default = Conditions(loss=0.15, delay=0.01, reorder=0.05)
    sent = [bytes([i]) * (500 + 300 * i) for i in range(30)]
    for data in sent:
        a.association.send(1, 53, data, now=sim.now)
    if who in ("sender", "both"):
        a.core.close(now=sim.now)
        with pytest.raises(InvalidStateError):
            a.association.send(1, 53, b"late", now=sim.now)
    if who in ("receiver", "both"):
        b.core.close(now=sim.now)
    a.drain()
    b.drain()
    assert sim.run_until(lambda: a.association.ended and b.association.ended, timeout=600)
    assert [m.data for m in b.messages] == sent
    for node in (a, b):
        event = _closed(node)
        assert event.reason == "shutdown" and not event.error
        assert node.association.state == "closed"
        assert node.core.poll_timeout() is None


def test_abort_is_immediate_and_reported_to_the_peer() -> None:
    sim, a, b = connected_pair(seed=1)
    for i in range(10):
        a.association.send(1, 53, bytes([i]) * 5000, now=sim.now)
    a.core.abort("going away", now=sim.now)
    a.drain()
    assert sim.run_until(lambda: b.association.ended, timeout=5)
    assert _closed(a) == AssociationClosed("going away", False)
    peer = _closed(b)
    assert peer.error and peer.reason == "aborted by peer: user initiated abort: going away"
    with pytest.raises(InvalidStateError):
        a.association.send(1, 53, b"x", now=sim.now)


def test_a_vanished_peer_fails_the_association() -> None:
    settings = SctpSettings(max_association_retransmits=4, rto_max=8.0)
    sim, a, b = connected_pair(seed=2, settings_a=settings)
    a.association.send(1, 53, b"into the void", now=sim.now)
    sim.network.default = Conditions(blocked=True)
    sim.run_for(300)
    event = _closed(a)
    assert event.error and "too many retransmissions" in event.reason
    stats = a.association.stats
    assert stats.t3_expirations == 5  # the fifth timeout exceeds the limit of four
    assert not b.events_of(AssociationClosed)  # b never heard anything


def test_an_idle_vanished_peer_is_found_by_heartbeats() -> None:
    settings = SctpSettings(heartbeat_interval=5.0, max_association_retransmits=3)
    sim, a, _ = connected_pair(seed=3, settings_a=settings)
    sim.run_for(30)
    assert a.association.stats.rtt_samples >= 3  # heartbeats answered: RTT measured
    assert a.association.state == "established"
    sim.network.default = Conditions(blocked=True)
    sim.run_for(300)
    event = _closed(a)
    assert event.error and "heartbeat" in event.reason


def test_shutdown_retransmits_and_gives_up() -> None:
    settings = SctpSettings(max_association_retransmits=3, rto_max=4.0)
    sim, a, _ = connected_pair(seed=4, settings_a=settings)
    sim.network.default = Conditions(blocked=True)
    a.core.close(now=sim.now)
    a.drain()
    sim.run_for(200)
    event = _closed(a)
    assert event.error and event.reason == "shutdown timed out"


def test_close_before_established_ends_quietly() -> None:
    import random

    from sctp.association import Association

    never = Association(token_bytes=random.Random(1).randbytes)
    never.close(now=1000.0)
    never.close(now=1000.0)  # idempotent
    assert never.poll_event() == AssociationClosed("closed before it was established", False)
    assert never.poll_transmit() is None and never.ended
    with pytest.raises(InvalidStateError):
        never.connect(now=1000.0)

    connecting = Association(token_bytes=random.Random(2).randbytes)
    connecting.connect(now=1000.0)
    assert connecting.poll_transmit() is not None  # INIT
    connecting.close(now=1000.5)
    assert connecting.poll_transmit() is None  # no peer tag yet: nothing to abort
    assert connecting.poll_timeout() is None
