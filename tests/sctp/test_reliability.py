"""Reliable delivery on a bad link: 100 seeds, 0-30 % loss, jitter, reordering, duplication.

Both ends send at once on three streams (ordered, ordered, unordered), with messages from 1
byte to 64 KiB (up to 56 fragments). Every message must arrive exactly once, byte for byte,
and in order on ordered streams. A failing seed replays exactly (seeded link and cores).
"""

from __future__ import annotations

import random

import pytest

from sctp.association import Association
from sctp.events import MessageReceived
from tests.simnet import Conditions

from .helpers import SctpNode, association_pair, connect, connected_pair, payloads

SIZES = (1, 17, 1000, 1172, 1173, 3000, 20000, 65536)
STREAMS = ((0, True), (1, True), (7, False))


def _check(got: list[MessageReceived], sent: dict[int, list[bytes]]) -> None:
    for sid, ordered in STREAMS:
        received = [m.data for m in got if m.stream_id == sid]
        if ordered:
            assert received == sent[sid], f"stream {sid}: wrong order or content"
        else:
            assert sorted(received) == sorted(sent[sid]), f"stream {sid}: wrong content"
    assert len(got) == sum(len(v) for v in sent.values()), "duplicates delivered"


def _send_all(node: SctpNode, rng: random.Random, now: float) -> dict[int, list[bytes]]:
    sent: dict[int, list[bytes]] = {sid: [] for sid, _ in STREAMS}
    for i, data in enumerate(payloads(rng, 45, SIZES)):
        sid, ordered = STREAMS[i % len(STREAMS)]
        node.association.send(sid, 53, data, now=now, ordered=ordered)
        sent[sid].append(data)
    return sent


def _run_seed(seed: int) -> None:
    loss = (seed % 31) / 100
    conditions = Conditions(
        loss=loss, delay=0.01, jitter=0.004, reorder=0.05, reorder_delay=0.02, duplicate=0.05
    )
    sim, a, b = connected_pair(seed=seed)
    sim.network.default = conditions
    rng = random.Random(seed)
    sent_ab = _send_all(a, rng, sim.now)
    sent_ba = _send_all(b, rng, sim.now)
    total = sum(len(v) for v in sent_ab.values())
    done = sim.run_until(
        lambda: len(b.messages) >= total and len(a.messages) >= total, timeout=3600
    )
    assert done, f"seed {seed} (loss {loss}): {len(b.messages)}, {len(a.messages)} arrived"
    sim.run_for(1.0)  # late duplicates must not be delivered again
    _check(b.messages, sent_ab)
    _check(a.messages, sent_ba)
    for node in (a, b):
        assert node.association.state == "established"
        if loss >= 0.05:
            assert node.association.stats.retransmissions > 0
    if loss == 0.30:
        assert sim.network.stats.duplicated > 0 and sim.network.stats.lost > 0


@pytest.mark.parametrize("batch", range(4))
def test_every_message_arrives_once_in_order(batch: int) -> None:
    for seed in range(batch * 25, batch * 25 + 25):
        _run_seed(seed)


def test_tsn_and_ssn_wrap_around() -> None:
    """Start 500 TSNs below 2**32 and send past 65,536 messages on one stream (SSN wrap)."""
    sim, a, b = association_pair(seed=500)
    near_wrap = (7).to_bytes(4, "big") + (2**32 - 500).to_bytes(4, "big") + bytes(range(32))
    a.core = Association(token_bytes=lambda n: near_wrap[:n], name="a")
    connect(sim, a, b)
    assoc = a.association
    assert assoc.local_tsn == 2**32 - 500
    count = 66000
    for i in range(count):
        assoc.send(3, 53, i.to_bytes(4, "big"), now=sim.now)
    assert sim.run_until(lambda: len(b.messages) == count, timeout=600)
    assert [int.from_bytes(m.data, "big") for m in b.messages] == list(range(count))
    inbound = b.association.inbound
    assert inbound is not None and inbound.cum_tsn32 < 2**31  # wrapped past zero


def test_unwrapping_across_the_32_bit_tsn_boundary() -> None:
    from sctp.reassembly import NEW, Reassembly
    from sctp.stats import AssociationStats

    delivered: list[MessageReceived] = []
    r = Reassembly(
        initial_tsn=0xFFFFFFFE,
        window=1 << 20,
        max_message_size=0,
        deliver=delivered.append,
        stats=AssociationStats(),
    )
    # A three-fragment message across the wrap, arriving out of order, then the next one.
    assert r.receive(0x00000000, 1, 0, 0x01, 53, b"c") == NEW
    assert r.receive(0xFFFFFFFE, 1, 0, 0x02, 53, b"a") == NEW
    assert r.receive(0xFFFFFFFF, 1, 0, 0x00, 53, b"b") == NEW
    assert r.receive(0x00000001, 1, 1, 0x03, 53, b"d") == NEW
    assert [m.data for m in delivered] == [b"abc", b"d"]
    assert r.cum_tsn32 == 1 and not r.above
