"""Bad input from the network is dropped and counted, never raised, and never stops delivery:
truncated chunks, wrong checksums, bad verification tags, lengths past the packet, TSNs far out
of window, floods of SACKs, unknown chunks, oversized messages, invalid streams."""

from __future__ import annotations

import struct

from sctp import chunks as C
from sctp.packet import build, seal_zero, with_checksum
from sctp.settings import SctpSettings

from .helpers import SctpNode, connected_pair


def _to(node: SctpNode, body: bytes, *, vtag: int | None = None) -> bytes:
    """A packet for ``node`` with a correct CRC and (by default) its verification tag."""
    return build(5000, 5000, node.association.local_tag if vtag is None else vtag, body)


def _data(tsn: int, sid: int, ssn: int, payload: bytes, flags: int = 3, ppid: int = 53) -> bytes:
    length = 16 + len(payload)
    return (
        C.DATA_HEADER.pack(C.DATA, flags, length, tsn & 0xFFFFFFFF, sid, ssn, ppid)
        + payload
        + C.padding(length)
    )


def _still_delivers(sim: object, a: SctpNode, b: SctpNode, tag: bytes) -> None:
    from tests.simnet import Simulation

    assert isinstance(sim, Simulation)
    before = len(b.messages)
    for i in range(5):
        a.association.send(2, 53, tag + bytes([i]) * 3000, now=sim.now)
    assert sim.run_until(lambda: len(b.messages) == before + 5, timeout=60)
    assert [m.data[: len(tag)] for m in b.messages[before:]] == [tag] * 5
    assert [m.data[len(tag)] for m in b.messages[before:]] == list(range(5))


def _still_accepts(b: SctpNode, tag: bytes, sid: int = 5) -> None:
    """For tests whose forged DATA took TSNs the real peer will also use: go on as the peer,
    with the next TSNs, a fresh stream, and a message in three fragments."""
    before = len(b.messages)
    tsn = _next_tsn(b)
    now = b.association._now
    for i, flags in enumerate((2, 0, 1)):
        b.core.handle_datagram(_to(b, _data(tsn + i, sid, 0, tag + bytes([i]), flags)), now=now)
    b.drain()
    assert [m.data for m in b.messages[before:]] == [tag + b"\x00" + tag + b"\x01" + tag + b"\x02"]


def _next_tsn(b: SctpNode) -> int:
    inbound = b.association.inbound
    assert inbound is not None
    return (inbound.cum + 1) & 0xFFFFFFFF


def test_truncated_and_overlong_chunks_are_dropped() -> None:
    sim, a, b = connected_pair(seed=1)
    a.association.send(1, 53, b"x" * 2500, now=sim.now)
    packets = [p for _, _, p in a.transmits()]
    assert len(packets) == 3
    stats = b.association.stats
    for packet in packets:
        for cut in range(len(packet)):
            b.core.handle_datagram(with_checksum(packet[:cut]), now=sim.now)
    assert stats.dropped_too_short == 16 * len(packets)
    assert stats.dropped_malformed > 0
    assert not b.messages  # nothing complete arrived
    # A chunk whose length runs past the packet, and one shorter than its header.
    tsn = _next_tsn(b)
    good = _data(tsn, 1, 0, b"abc")
    past = good[:2] + struct.pack("!H", 400) + good[4:]
    short = good[:2] + struct.pack("!H", 3) + good[4:]
    malformed = stats.dropped_malformed
    b.core.handle_datagram(_to(b, past), now=sim.now)
    b.core.handle_datagram(_to(b, short), now=sim.now)
    assert stats.dropped_malformed == malformed + 2
    for packet in packets:  # the real packets still work afterwards
        b.core.handle_datagram(packet, now=sim.now)
    b.drain()
    assert [m.data for m in b.messages] == [b"x" * 2500]
    _still_delivers(sim, a, b, b"after-truncation")


def test_wrong_checksum_bad_tag_and_bad_ports() -> None:
    sim, a, b = connected_pair(seed=2)
    stats = b.association.stats
    tsn = _next_tsn(b)
    good = _to(b, _data(tsn, 1, 0, b"payload"))
    corrupted = bytearray(good)
    corrupted[-3] ^= 0x01
    b.core.handle_datagram(bytes(corrupted), now=sim.now)
    assert stats.dropped_bad_checksum == 1
    b.core.handle_datagram(_to(b, _data(tsn, 1, 0, b"p"), vtag=12345), now=sim.now)
    assert stats.dropped_bad_vtag == 1
    b.core.handle_datagram(
        build(5001, 5000, b.association.local_tag, _data(tsn, 1, 0, b"p")), now=sim.now
    )
    b.core.handle_datagram(
        build(5000, 4999, b.association.local_tag, _data(tsn, 1, 0, b"p")), now=sim.now
    )
    assert stats.dropped_bad_port == 2
    b.drain()
    assert not b.messages
    _still_delivers(sim, a, b, b"after-checksum")


def test_zero_checksum_is_refused_unless_announced() -> None:
    sim, a, b = connected_pair(seed=3, settings_b=SctpSettings(zero_checksum=False))
    assert not a.association.zero_checksum  # a saw b not announcing it: a computes CRCs
    body = _data(_next_tsn(b), 1, 0, b"no crc")
    b.core.handle_datagram(
        seal_zero(struct.pack("!HHI", 5000, 5000, b.association.local_tag), body), now=sim.now
    )
    assert b.association.stats.dropped_bad_checksum == 1
    _still_delivers(sim, a, b, b"crc")


def test_tsns_far_out_of_window_and_behind() -> None:
    sim, a, b = connected_pair(seed=4)
    stats = b.association.stats
    tsn = _next_tsn(b)
    b.core.handle_datagram(_to(b, _data(tsn + (1 << 30), 1, 0, b"far")), now=sim.now)
    b.core.handle_datagram(_to(b, _data(tsn + (1 << 21), 1, 0, b"far")), now=sim.now)
    assert stats.dropped_data_out_of_window == 2
    b.core.handle_datagram(_to(b, _data(tsn - 3, 1, 0, b"old")), now=sim.now)
    assert stats.dropped_duplicate_data == 1
    inbound = b.association.inbound
    assert inbound is not None and not inbound.above  # nothing recorded for them
    b.drain()
    assert not b.messages
    _still_delivers(sim, a, b, b"window")


def test_a_flood_of_sacks_is_harmless() -> None:
    sim, a, b = connected_pair(seed=5)
    out = a.association.outbound
    for i in range(40):
        a.association.send(1, 53, bytes([i]) * 1100, now=sim.now)
    first = [p for _, _, p in a.transmits()]
    b.core.handle_datagram(first[0], now=sim.now)
    b.core.handle_datagram(first[2], now=sim.now)  # a gap: b SACKs at once, with a gap block
    sacks = [p for _, _, p in b.transmits()]
    assert sacks
    for sack in sacks:
        a.core.handle_datagram(sack, now=sim.now)
    stats = a.association.stats
    cum = out.cum_ack
    stale = _to(a, C.encode_sack((cum - 10) & 0xFFFFFFFF, 1 << 20, (), ()))
    beyond = _to(a, C.encode_sack((out.next_tsn + 100_000) & 0xFFFFFFFF, 1 << 20, (), ()))
    bogus_gaps = _to(a, C.encode_sack(cum & 0xFFFFFFFF, 1 << 20, [(3, 2), (0, 9)], [1] * 50))
    overrun = _to(a, C.encode_sack(cum & 0xFFFFFFFF, 1 << 20, [(1, 1)], ())[:-4])
    for _ in range(3000):
        for sack in (*sacks, stale, beyond, bogus_gaps, overrun):
            a.core.handle_datagram(sack, now=sim.now)
    assert stats.dropped_sack_stale == 3000
    assert stats.dropped_sack_invalid == 3000
    assert stats.dropped_malformed == 3000
    assert stats.fast_retransmits <= 1  # the one real gap, at most
    assert stats.retransmissions <= len(first)
    # Deliver what was sent, and more: the association is fine.
    for packet in first:
        b.core.handle_datagram(packet, now=sim.now)
    assert sim.run_until(lambda: len(b.messages) == 40, timeout=120)
    assert [m.data[0] for m in b.messages] == list(range(40))
    _still_delivers(sim, a, b, b"after-flood")


def test_unknown_chunk_types_follow_their_high_bits() -> None:
    sim, _, b = connected_pair(seed=6)
    stats = b.association.stats
    tsn = _next_tsn(b)
    after = _data(tsn, 1, 0, b"behind an unknown chunk")
    b.core.handle_datagram(_to(b, C.chunk(0x3F, 0, b"zz") + after), now=sim.now)  # 00: stop
    b.drain()
    assert stats.dropped_unknown_chunk == 1 and not b.messages
    b.core.handle_datagram(_to(b, C.chunk(0x7F, 0, b"zz") + after), now=sim.now)  # 01: stop, report
    reports = [p for _, _, p in b.transmits()]
    assert any(p[12] == C.ERROR for p in reports)
    b.core.handle_datagram(_to(b, C.chunk(0xBF, 0, b"zz") + after), now=sim.now)  # 10: skip
    b.drain()
    assert [m.data for m in b.messages] == [b"behind an unknown chunk"]
    _still_accepts(b, b"unknown")


def test_invalid_stream_empty_data_and_oversized_messages() -> None:
    sim, _, b = connected_pair(
        seed=7, settings_b=SctpSettings(inbound_streams=16, max_message_size=10_000)
    )
    stats = b.association.stats
    tsn = _next_tsn(b)
    b.core.handle_datagram(_to(b, _data(tsn, 200, 0, b"no such stream")), now=sim.now)
    assert stats.dropped_data_invalid_stream == 1
    replies = [p for _, _, p in b.transmits()]
    assert any(p[12] == C.ERROR for p in replies)  # Invalid Stream Identifier reported
    inbound = b.association.inbound
    assert inbound is not None and inbound.cum_tsn32 == tsn  # but acknowledged
    b.core.handle_datagram(_to(b, C.DATA_HEADER.pack(0, 3, 16, tsn + 1, 1, 0, 53)), now=sim.now)
    assert stats.dropped_data_empty == 1
    _still_accepts(b, b"after-bad-streams")
    b.messages.clear()
    # A peer ignoring our max-message-size: 20,000 bytes in 20 fragments, then a small one.
    tsn = _next_tsn(b)
    for i in range(20):
        flags = (2 if i == 0 else 0) | (1 if i == 19 else 0)
        b.core.handle_datagram(_to(b, _data(tsn + i, 3, 0, b"z" * 1000, flags)), now=sim.now)
    b.core.handle_datagram(_to(b, _data(tsn + 20, 3, 1, b"small")), now=sim.now)
    b.drain()
    assert [m.data for m in b.messages] == [b"small"]
    assert stats.dropped_messages_too_large == 1
    _still_accepts(b, b"limits", sid=6)


def test_packets_after_the_end_are_dropped_but_shutdown_ack_is_answered() -> None:
    sim, _, b = connected_pair(seed=8)
    b.core.abort("bye", now=sim.now)
    b.drain()
    stats = b.association.stats
    list(b.transmits())
    b.core.handle_datagram(_to(b, _data(1, 1, 0, b"late")), now=sim.now)
    assert stats.dropped_unexpected >= 1 and not b.messages
    b.core.handle_datagram(_to(b, C.chunk(C.SHUTDOWN_ACK), vtag=777), now=sim.now)
    (reply,) = [p for _, _, p in b.transmits()]
    assert reply[12] == C.SHUTDOWN_COMPLETE and reply[13] & C.FLAG_T
    assert struct.unpack_from("!I", reply, 4)[0] == 777  # the tag reflected
