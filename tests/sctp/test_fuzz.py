"""Hypothesis feeds mutated packets to a live association, which keeps delivering.

The corpus is every packet one end received during a scripted session (DATA of every kind,
SACKs with gaps, FORWARD TSN, RE-CONFIG, HEARTBEAT, handshake chunks). Hypothesis mutates them
(flipped and overwritten bytes, truncation, inserted garbage, bent length fields, changed chunk
types) and gives each a zero checksum (accepted: both ends announced RFC 9653), a correct CRC,
or a wrong one, and injects them between genuine packets of an ongoing transfer.

An SCTP endpoint must believe a packet that carries the right verification tag and checksum, so
a few mutations would be genuine *lies* that no implementation can survive (a DATA chunk taking
a TSN the real sender will use, a FORWARD TSN skipping real data, a stream reset, an ABORT). The
sanitizer below turns exactly those into harmless ones (an old TSN, an ERROR chunk) after the
mutation, keeping every parsing path exercised. Then every message of the transfer must still
arrive exactly once, in order, and the association must still be established.
"""

from __future__ import annotations

import random
import struct
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sctp import chunks as C
from sctp.association import Association
from sctp.packet import with_checksum
from tests.simnet import Conditions

from .helpers import SctpNode, connected_pair

SEED = 77
LIES = {C.ABORT, C.SHUTDOWN, C.SHUTDOWN_ACK, C.SHUTDOWN_COMPLETE, C.RECONFIG, C.COOKIE_ECHO}


@cache
def corpus() -> tuple[bytes, ...]:
    """Packets b received in a session that touches every chunk type we handle."""
    sim, a, b = connected_pair(seed=SEED)
    seen: list[bytes] = []
    receive = b.receive

    def record(src: object, dst: object, data: bytes, *, now: float) -> None:
        seen.append(data)
        receive(src, dst, data, now=now)  # type: ignore[arg-type]

    b.receive = record  # type: ignore[method-assign]
    sim.network.default = Conditions(loss=0.1, delay=0.01, reorder=0.1)
    for i in range(30):
        size = (1, 300, 1200, 5000)[i % 4]
        a.association.send(i % 3, 53, bytes([i]) * size, now=sim.now, ordered=i % 2 == 0)
        a.association.send(4, 51, b"pr" * 400, now=sim.now, max_retransmits=0)
    sim.run_for(5)
    a.association.reset_streams([4], now=sim.now)
    sim.run_for(40)  # heartbeats on the idle association
    b.association.send(1, 53, b"reverse", now=sim.now)
    sim.run_for(1)
    return tuple(dict.fromkeys(seen))


def _sanitize(packet: bytes, victim: Association) -> bytes:
    """Defuse the chunks that would be believable lies (see the module docstring)."""
    out = bytearray(packet)
    inbound = victim.inbound
    assert inbound is not None
    offset = 12
    while offset + 4 <= len(out):
        ctype, _, length = C.CHUNK_HEADER.unpack_from(out, offset)
        if ctype in LIES or ctype == C.INIT_ACK:
            out[offset] = C.ERROR
        elif ctype in (C.DATA, C.FORWARD_TSN) and offset + 8 <= len(out):
            # The TSN (DATA) or new cumulative TSN (FORWARD TSN): an old one.
            struct.pack_into("!I", out, offset + 4, (inbound.cum - 1) & 0xFFFFFFFF)
        if length < 4:
            break
        offset += (length + 3) & ~3
    return bytes(out)


MUTATION = st.tuples(
    st.sampled_from(["flip", "set", "truncate", "insert", "length", "type", "repeat"]),
    st.integers(min_value=0, max_value=2000),
    st.integers(min_value=0, max_value=255),
)


def _mutate(packet: bytes, ops: list[tuple[str, int, int]]) -> bytes:
    data = bytearray(packet)
    for kind, position, value in ops:
        if not data:
            break
        at = position % len(data)
        if kind == "flip":
            data[at] ^= 1 << (value % 8)
        elif kind == "set":
            data[at] = value
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = bytes([value]) * (1 + value % 7)
        elif kind == "length" and len(data) >= 16:
            struct.pack_into("!H", data, 14, (value * 37) % 65536)
        elif kind == "type" and len(data) >= 13:
            data[12] = value
        elif kind == "repeat" and len(data) > 12:
            data += data[12:]
    return bytes(data)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10_000),
            st.lists(MUTATION, min_size=1, max_size=4),
            st.sampled_from(["zero", "crc", "wrong"]),
            st.integers(min_value=0, max_value=20),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_mutated_packets_do_not_stop_delivery(
    attacks: list[tuple[int, list[tuple[str, int, int]], str, int]],
) -> None:
    packets = corpus()
    sim, a, b = connected_pair(seed=SEED)
    sim.network.default = Conditions(loss=0.05, delay=0.01, reorder=0.05)
    rng = random.Random(len(attacks))
    sent = [
        bytes([i % 256]) * rng.choice((1, 700, 2500, 9000)) + i.to_bytes(2, "big")
        for i in range(40)
    ]
    for i, message in enumerate(sent):
        a.association.send(1, 53, message, now=sim.now)
        if i % 10 == 9:
            sim.run_for(0.01)
    for which, ops, checksum, wait in attacks:
        mutated = _sanitize(_mutate(packets[which % len(packets)], ops), b.association)
        if checksum == "zero" and len(mutated) >= 12:
            mutated = mutated[:8] + b"\x00" * 4 + mutated[12:]
        elif checksum == "crc" and len(mutated) >= 12:
            mutated = with_checksum(mutated)
        elif len(mutated) >= 12:
            mutated = mutated[:8] + b"\x12\x34\x56\x78" + mutated[12:]
        _inject(b, mutated, sim.now)
        sim.run_for(wait / 1000)
    assert sim.run_until(lambda: len(b.messages) >= len(sent), timeout=600)
    sim.run_for(1.0)
    assert [m.data for m in b.messages if m.stream_id == 1] == sent
    assert b.association.state == "established" and a.association.state == "established"


def _inject(node: SctpNode, packet: bytes, now: float) -> None:
    node.core.handle_datagram(packet, now=now)
    node.drain()


def test_the_corpus_covers_the_chunk_types() -> None:
    kinds = set()
    for packet in corpus():
        offset = 12
        while offset + 4 <= len(packet):
            ctype, _, length = C.CHUNK_HEADER.unpack_from(packet, offset)
            kinds.add(ctype)
            offset += (length + 3) & ~3
    assert {C.DATA, C.SACK, C.FORWARD_TSN, C.RECONFIG, C.HEARTBEAT} <= kinds


def test_raw_garbage_is_dropped_and_counted() -> None:
    sim, a, b = connected_pair(seed=SEED)
    rng = random.Random(5)
    stats = b.association.stats
    for _ in range(3000):
        b.core.handle_datagram(rng.randbytes(rng.randrange(0, 1300)), now=sim.now)
    assert stats.dropped == 3000  # too short, bad checksum, ports or tag: nothing got in
    a.association.send(1, 53, b"still here", now=sim.now)
    assert sim.run_until(lambda: bool(b.messages), timeout=10)
