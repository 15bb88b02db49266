"""PR-SCTP (RFC 3758): messages with a retransmission limit or a lifetime are given up on a
lossy link, the peer is told with FORWARD TSN, and reliable streams never wait for them."""

from __future__ import annotations

import random

from sctp.events import MessageReceived
from sctp.settings import SctpSettings
from tests.simnet import Conditions

from .helpers import connected_pair, payloads

RELIABLE, REXMIT_ORDERED, TIMED_UNORDERED, REXMIT_UNORDERED = 0, 2, 4, 6


def _by_stream(messages: list[MessageReceived], sid: int) -> list[bytes]:
    return [m.data for m in messages if m.stream_id == sid]


def _seq(data: bytes) -> int:
    return int.from_bytes(data[:4], "big")


def test_partial_reliable_streams_drop_and_never_stall_reliable_ones() -> None:
    for seed in range(12):
        _mixed_reliability(seed)


def _mixed_reliability(seed: int) -> None:
    sim, a, b = connected_pair(seed=seed)
    sim.network.default = Conditions(loss=0.2, delay=0.02, jitter=0.005, reorder=0.05)
    rng = random.Random(seed)
    sent: dict[int, list[bytes]] = {s: [] for s in (0, 2, 4, 6)}
    for i, data in enumerate(payloads(rng, 160, (10, 500, 1500, 4000))):
        sid = (RELIABLE, REXMIT_ORDERED, TIMED_UNORDERED, REXMIT_UNORDERED)[i % 4]
        a.association.send(
            sid,
            53,
            data,
            now=sim.now,
            ordered=sid in (RELIABLE, REXMIT_ORDERED),
            max_retransmits=0 if sid in (REXMIT_ORDERED, REXMIT_UNORDERED) else None,
            lifetime=0.05 if sid == TIMED_UNORDERED else None,
        )
        sent[sid].append(data)
    reliable = len(sent[RELIABLE])
    assert sim.run_until(lambda: len(_by_stream(b.messages, 0)) == reliable, timeout=300)
    sim.run_for(5.0)  # let FORWARD TSNs settle what was abandoned
    assert _by_stream(b.messages, RELIABLE) == sent[RELIABLE]
    for sid in (REXMIT_ORDERED, TIMED_UNORDERED, REXMIT_UNORDERED):
        got = _by_stream(b.messages, sid)
        assert len(got) == len(set(got)), "a partial-reliable message arrived twice"
        assert set(got) <= set(sent[sid])
        if sid == REXMIT_ORDERED:
            assert [_seq(m) for m in got] == sorted(_seq(m) for m in got)
    stats = a.association.stats
    assert stats.messages_abandoned > 0 and stats.forward_tsns_sent > 0
    delivered_pr = sum(len(_by_stream(b.messages, s)) for s in (2, 4, 6))
    assert delivered_pr < sum(len(sent[s]) for s in (2, 4, 6))
    # Nothing is left hanging: the sender learns that everything was received or skipped,
    # and both ends agree on the cumulative TSN.
    assert sim.run_until(lambda: a.association.outbound.idle, timeout=300)
    inbound = b.association.inbound
    assert inbound is not None and not inbound.above
    assert inbound.cum == a.association.outbound.cum_ack


def test_max_retransmits_zero_sends_each_chunk_once() -> None:
    sim, a, b = connected_pair(seed=21)
    sim.network.default = Conditions(loss=0.3, delay=0.01)
    for i in range(200):
        a.association.send(1, 53, bytes([i]) * 100, now=sim.now, max_retransmits=0)
    sim.run_for(30)
    stats = a.association.stats
    assert stats.retransmissions == 0
    assert stats.messages_abandoned > 20
    got = [m.data[0] for m in b.messages]
    assert got == sorted(got) and len(got) + stats.messages_abandoned == 200


def test_lifetime_expires_queued_messages_without_sending_them() -> None:
    sim, a, b = connected_pair(seed=22)
    sim.network.default = Conditions(blocked=True)
    for i in range(20):
        a.association.send(1, 53, bytes([i]) * 3000, now=sim.now, lifetime=0.2)
    sim.run_for(3.0)  # T3 fires, everything expires; the link is down
    sim.network.default = Conditions(delay=0.01)
    a.association.send(1, 53, b"after", now=sim.now)
    assert sim.run_until(lambda: bool(b.messages), timeout=60)
    assert [m.data for m in b.messages] == [b"after"]
    assert a.association.stats.messages_abandoned == 20
    assert a.association.buffered_amount(1) == 0


def test_without_peer_support_partial_reliable_messages_are_reliable() -> None:
    sim, a, b = connected_pair(seed=23, settings_b=SctpSettings(partial_reliability=False))
    assert not a.association.partial_reliability
    sim.network.default = Conditions(loss=0.2, delay=0.01)
    sent = [bytes([i]) * 700 for i in range(60)]
    for data in sent:
        a.association.send(1, 53, data, now=sim.now, max_retransmits=0)
    assert sim.run_until(lambda: len(b.messages) == 60, timeout=600)
    assert [m.data for m in b.messages] == sent
    assert a.association.stats.messages_abandoned == 0
