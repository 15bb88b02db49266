"""Data channels over the association (RFC 8831, DCEP RFC 8832): ids by DTLS role, every
channel type announced, negotiated channels, and closing by stream reset (RFC 6525)."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable

import pytest

from sctp.channels import ChannelManager
from sctp.chunks import PARAM_RECONFIG_RESPONSE, RECONFIG
from sctp.dcep import PPID_BINARY, PPID_DCEP, ChannelParameters
from sctp.errors import ChannelIdError, InvalidStateError
from sctp.events import (
    AssociationEstablished,
    ChannelClosed,
    ChannelClosing,
    ChannelOpened,
    ChannelRequested,
    MessageReceived,
)
from sctp.settings import SctpSettings
from tests.simnet import Address, Conditions, Simulation

from .helpers import SctpNode, association_pair, connect, connected_pair


def _manager(node: SctpNode) -> ChannelManager:
    assert isinstance(node.core, ChannelManager)
    return node.core


def _pair(seed: int = 0, **kwargs: object) -> tuple[Simulation, SctpNode, SctpNode]:
    return connected_pair(seed=seed, channels=True, **kwargs)  # type: ignore[arg-type]


CHANNEL_TYPES = [
    ChannelParameters(label="reliable", protocol="p1"),
    ChannelParameters(label="unordered", ordered=False),
    ChannelParameters(label="rexmit", max_retransmits=2, priority=512),
    ChannelParameters(label="rexmit-unordered", ordered=False, max_retransmits=0),
    ChannelParameters(label="timed", max_packet_lifetime=150, priority=1024),
    ChannelParameters(label="timed-unordered", ordered=False, max_packet_lifetime=10),
]


def test_every_channel_type_is_announced_with_ids_by_dtls_role() -> None:
    sim, a, b = _pair(1)
    ids_a = [_manager(a).open_channel(p, now=sim.now) for p in CHANNEL_TYPES]
    ids_b = [_manager(b).open_channel(p, now=sim.now) for p in CHANNEL_TYPES[:2]]
    assert ids_a == [0, 2, 4, 6, 8, 10]  # the DTLS client: even ids
    assert ids_b == [1, 3]  # the DTLS server: odd ids
    sim.run_for(1.0)
    requested = b.events_of(ChannelRequested)
    assert [(e.stream_id, e.label) for e in requested] == [
        (sid, p.label) for sid, p in zip(ids_a, CHANNEL_TYPES, strict=True)
    ]
    for event, params in zip(requested, CHANNEL_TYPES, strict=True):
        assert isinstance(event, ChannelRequested)
        assert (event.protocol, event.ordered, event.priority) == (
            params.protocol,
            params.ordered,
            params.priority,
        )
        assert event.max_retransmits == params.max_retransmits
        assert event.max_packet_lifetime == params.max_packet_lifetime
    assert [e.stream_id for e in a.events_of(ChannelOpened)] == ids_a
    assert {e.stream_id for e in a.events_of(ChannelRequested)} == set(ids_b)
    # Messages flow both ways on every channel, strings and binary with their PPIDs.
    for sid in ids_a:
        _manager(a).send(sid, f"to b on {sid}", now=sim.now)
        _manager(b).send(sid, b"to a", now=sim.now)
    sim.run_for(1.0)
    assert sorted(m.stream_id for m in b.messages) == ids_a
    assert {m.ppid for m in a.messages} == {PPID_BINARY}


def test_channels_opened_before_the_association_wait_for_it() -> None:
    sim, a, b = association_pair(seed=2, channels=True)
    sid = _manager(a).open_channel(ChannelParameters(label="early"), now=sim.now)
    with pytest.raises(InvalidStateError):
        _manager(a).send(sid, "too early", now=sim.now)
    assert _manager(a).channel_state(sid) == "connecting"
    connect(sim, a, b)
    sim.run_for(0.5)
    assert isinstance(a.events[0], AssociationEstablished)
    assert a.events_of(ChannelOpened) == [ChannelOpened(sid)]
    assert [e.label for e in b.events_of(ChannelRequested)] == ["early"]


def test_negotiated_channels_send_no_dcep() -> None:
    sim, a, b = _pair(3)
    params = ChannelParameters(label="n", negotiated=True)
    assert _manager(a).open_channel(params, now=sim.now, stream_id=42) == 42
    assert _manager(b).open_channel(params, now=sim.now, stream_id=42) == 42
    _manager(a).send(42, b"x", now=sim.now)
    sim.run_for(0.5)
    assert [m.data for m in b.messages] == [b"x"]
    assert not b.events_of(ChannelRequested)
    assert a.association.stats.messages_sent == 1  # no DATA_CHANNEL_OPEN
    with pytest.raises(ChannelIdError):
        _manager(a).open_channel(params, now=sim.now)  # negotiated needs an id
    with pytest.raises(ChannelIdError):
        _manager(a).open_channel(params, now=sim.now, stream_id=42)  # in use
    with pytest.raises(ChannelIdError):
        _manager(a).open_channel(params, now=sim.now, stream_id=65535)  # reserved


def test_ids_beyond_the_negotiated_stream_count_are_refused() -> None:
    sim, a, _ = _pair(4, settings_b=SctpSettings(inbound_streams=4, outbound_streams=4))
    manager = _manager(a)
    ids = [manager.open_channel(ChannelParameters(), now=sim.now) for _ in range(2)]
    assert ids == [0, 2]
    with pytest.raises(ChannelIdError):
        manager.open_channel(ChannelParameters(), now=sim.now)
    with pytest.raises(ChannelIdError):
        manager.open_channel(ChannelParameters(negotiated=True), now=sim.now, stream_id=9)


def _close_and_check(sim: Simulation, closer: SctpNode, other: SctpNode, sid: int) -> None:
    _manager(closer).close_channel(sid, now=sim.now)
    assert sim.run_until(
        lambda: ChannelClosed(sid) in closer.events and ChannelClosed(sid) in other.events,
        timeout=60,
    )
    assert ChannelClosing(sid) in other.events  # the peer saw the close begin
    assert _manager(closer).channel_state(sid) is None
    assert _manager(other).channel_state(sid) is None
    # Both directions of the stream were reset: no per-stream state is left on either end.
    for node in (closer, other):
        assert node.association.stream_state_count() == (0, 0)
        resetter = node.association.resetter
        assert resetter is not None and resetter.current is None


@pytest.mark.parametrize("closer_is_opener", [True, False])
def test_closing_resets_both_streams_and_frees_the_id(closer_is_opener: bool) -> None:
    sim, a, b = _pair(5)
    sid = _manager(a).open_channel(ChannelParameters(label="c"), now=sim.now)
    for i in range(5):
        _manager(a).send(sid, bytes([i]) * 3000, now=sim.now)
    # Close at once: the queued messages still go out first (W3C closing procedure).
    closer, other = (a, b) if closer_is_opener else (b, a)
    sim.run_for(0.05)
    _close_and_check(sim, closer, other, sid)
    assert [m.data[0] for m in b.messages] == [0, 1, 2, 3, 4]
    # The id is free: a new channel may take it, and its stream starts again at SSN 0.
    # (Left to itself, the allocator moves on to the next id: see the round-robin test.)
    again = _manager(a).open_channel(ChannelParameters(label="again"), now=sim.now, stream_id=sid)
    assert again == sid
    _manager(a).send(sid, b"fresh", now=sim.now)
    sim.run_for(0.5)
    assert b.messages[-1] == MessageReceived(sid, PPID_BINARY, b"fresh")
    assert [e.label for e in b.events_of(ChannelRequested)][-1] == "again"


def test_ids_are_handed_out_round_robin_and_wrap_at_the_stream_limit() -> None:
    """A just-closed id is not handed out again at once (the peer may still be closing it);
    ids come back once the others have had their turn."""
    limit = SctpSettings(inbound_streams=8, outbound_streams=8)
    sim, a, b = _pair(11, settings_b=limit)
    manager = _manager(a)
    first = manager.open_channel(ChannelParameters(label="first"), now=sim.now)
    second = manager.open_channel(ChannelParameters(label="second"), now=sim.now)
    assert (first, second) == (0, 2)

    def close(sid: int) -> None:
        manager.close_channel(sid, now=sim.now)
        assert sim.run_until(_both_closed(a, b, sid), timeout=60)

    close(first)
    assert manager.open_channel(ChannelParameters(), now=sim.now) == 4  # not 0 again
    assert manager.open_channel(ChannelParameters(), now=sim.now) == 6
    assert manager.open_channel(ChannelParameters(), now=sim.now) == 0  # wrapped: 0 is free
    with pytest.raises(ChannelIdError):
        manager.open_channel(ChannelParameters(), now=sim.now)  # 0, 2, 4, 6 all in use
    close(4)
    assert manager.open_channel(ChannelParameters(), now=sim.now) == 4
    assert _manager(b).open_channel(ChannelParameters(), now=sim.now) == 1  # odd for b


def _close_under_loss(seed: int) -> None:
    sim, a, b = _pair(seed)
    sim.network.default = Conditions(loss=0.25, delay=0.02, reorder=0.1)
    sids = [_manager(a).open_channel(ChannelParameters(), now=sim.now) for _ in range(4)]
    for sid in sids:
        _manager(a).send(sid, b"m" * 2000, now=sim.now)
    assert sim.run_until(lambda: len(b.messages) == 4, timeout=300)
    for sid in sids[:2]:
        _manager(a).close_channel(sid, now=sim.now)
    _manager(b).close_channel(sids[3], now=sim.now)
    closed = {sids[0], sids[1], sids[3]}

    def both_closed() -> bool:
        return all(
            closed <= {e.stream_id for e in node.events_of(ChannelClosed)} for node in (a, b)
        )

    assert sim.run_until(both_closed, timeout=600), seed
    assert _manager(a).channel_state(sids[2]) == "open"
    assert _manager(a).channel_count() == 1 and _manager(b).channel_count() == 1


def test_closing_under_loss() -> None:
    for seed in range(10):
        _close_under_loss(seed)


def _carries_reset_response(packet: bytes) -> bool:
    offset = 12
    while offset + 4 <= len(packet):
        ctype, length = packet[offset], int.from_bytes(packet[offset + 2 : offset + 4], "big")
        if length < 4:
            return False
        if ctype == RECONFIG:
            pos = offset + 4
            while pos + 4 <= offset + length:
                if int.from_bytes(packet[pos : pos + 2], "big") == PARAM_RECONFIG_RESPONSE:
                    return True
                pos += (int.from_bytes(packet[pos + 2 : pos + 4], "big") + 3) & ~3 or 4
        offset += (length + 3) & ~3
    return False


def test_an_id_reused_while_our_reset_is_unanswered_opens_a_new_channel() -> None:
    """The peer closes a channel and reuses its id at once; the answer to our own reset
    request was lost, so our side still has the old channel closing. The peer only reuses an
    id once both directions are reset (RFC 8831 §6.7): the new channel must open at once, not
    be taken for the old one (browsers do this: the lab's dc-churn under loss)."""
    sim, a, b = _pair(9)
    receive = b.receive
    dropped: list[bytes] = []

    def lose_first_response(src: Address, dst: Address, data: bytes, *, now: float) -> None:
        if not dropped and _carries_reset_response(data) and _manager(a).channel_count() == 0:
            dropped.append(data)  # a's answer to b's request, sent as a closes the channel
            return
        receive(src, dst, data, now=now)

    b.receive = lose_first_response  # type: ignore[method-assign]
    manager = _manager(a)
    sid = manager.open_channel(ChannelParameters(label="old"), now=sim.now)
    manager.send(sid, b"one", now=sim.now)
    assert sim.run_until(lambda: len(b.messages) == 1, timeout=5)
    manager.close_channel(sid, now=sim.now)
    assert sim.run_until(lambda: ChannelClosed(sid) in a.events, timeout=5)
    assert sim.run_until(lambda: bool(dropped), timeout=0.1), "a did not answer b's request"
    assert _manager(b).channel_state(sid) == "closing"  # b still waits for that answer
    # Chromium hands out the lowest free id, so it takes the same one again.
    manager.open_channel(ChannelParameters(label="new"), now=sim.now, stream_id=sid)
    manager.send(sid, b"two", now=sim.now)
    requested = lambda: any(e.label == "new" for e in b.events_of(ChannelRequested))  # noqa: E731
    assert sim.run_until(requested, timeout=0.2)  # well before b's retransmission timeout
    assert ChannelClosed(sid) in b.events
    assert [m.data for m in b.messages] == [b"one", b"two"]
    _manager(b).send(sid, b"back", now=sim.now)
    assert sim.run_until(lambda: bool(a.messages), timeout=0.2)
    assert a.messages[0].data == b"back"
    assert b.association.stats.dropped_bad_dcep == 0
    # The late answer, or a retransmitted request, must not disturb the new channel.
    sim.run_for(10.0)
    assert _manager(a).channel_state(sid) == "open" and _manager(b).channel_state(sid) == "open"
    manager.send(sid, b"three", now=sim.now)
    _manager(b).send(sid, b"four", now=sim.now)
    sim.run_for(1.0)
    assert [m.data for m in b.messages][-1] == b"three" and a.messages[-1].data == b"four"


def _both_closed(a: SctpNode, b: SctpNode, sid: int) -> Callable[[], bool]:
    done = ChannelClosed(sid)
    return lambda: done in a.events and done in b.events


def _cycle(sim: Simulation, a: SctpNode, b: SctpNode, count: int) -> None:
    manager = _manager(a)
    for i in range(count):
        sid = manager.open_channel(ChannelParameters(label="churn"), now=sim.now)
        manager.send(sid, b"hi", now=sim.now)
        manager.close_channel(sid, now=sim.now)
        assert sim.run_until(_both_closed(a, b, sid), timeout=30), i
        a.events.clear()
        b.events.clear()
        a.messages.clear()
        b.messages.clear()


def test_ten_thousand_opens_and_closes_do_not_grow_memory() -> None:
    sim, a, b = _pair(6)
    _cycle(sim, a, b, 500)  # warm up: caches, dict sizes, deques
    dropped_before = a.association.stats.dropped + b.association.stats.dropped
    gc.collect()
    blocks_before = sys.getallocatedblocks()
    _cycle(sim, a, b, 10_000)
    gc.collect()
    growth = sys.getallocatedblocks() - blocks_before
    # One object kept per channel would be 10,000 blocks or more.
    assert growth < 1000, f"{growth} more memory blocks after 10,000 channels"
    for node in (a, b):
        assert _manager(node).channel_count() == 0
        assert node.association.stream_state_count() == (0, 0)
        resetter = node.association.resetter
        assert resetter is not None and not resetter.pending and not resetter.deferred
        assert node.association.state == "established"
    assert a.association.stats.dropped + b.association.stats.dropped == dropped_before


def test_the_memory_check_would_see_a_leak() -> None:
    """The same measurement, with one object kept per channel, fails as it should."""
    sim, a, b = _pair(6)
    _cycle(sim, a, b, 100)
    kept: list[object] = []
    gc.collect()
    blocks_before = sys.getallocatedblocks()
    for _ in range(2000):
        _cycle(sim, a, b, 1)
        kept.append(object())
    gc.collect()
    assert sys.getallocatedblocks() - blocks_before >= 2000


def test_peer_without_stream_reset_closes_locally() -> None:
    sim, a, _ = _pair(7)
    a.association.peer_reconfig = False  # as if the peer's INIT lacked RE-CONFIG
    sid = _manager(a).open_channel(ChannelParameters(), now=sim.now)
    sim.run_for(0.2)
    _manager(a).close_channel(sid, now=sim.now)
    a.drain()
    assert a.events_of(ChannelClosed) == [ChannelClosed(sid)]


def test_unknown_streams_and_bad_dcep_are_dropped_and_counted() -> None:
    sim, a, b = _pair(8)
    a.association.send(9, PPID_BINARY, b"nobody listens", now=sim.now)
    a.association.send(11, PPID_DCEP, b"\x03\x00", now=sim.now)  # truncated OPEN
    a.association.send(13, PPID_DCEP, b"\x02", now=sim.now)  # ACK for nothing
    a.association.send(15, PPID_DCEP, b"\x07", now=sim.now)  # unknown type
    sim.run_for(0.5)
    stats = b.association.stats
    assert stats.dropped_unknown_stream_message == 1
    assert stats.dropped_bad_dcep == 3
    assert not b.messages and not b.events_of(ChannelRequested)
