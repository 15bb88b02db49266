"""Congestion control, RTO, flow control and bundling (RFC 9260 §6.1-6.3, §7.2), with packets
moved by hand so each loss is exactly the one the test intends."""

from __future__ import annotations

import random

import pytest

from sctp.association import Association
from sctp.errors import MessageTooLarge, SendBufferFull, StreamClosedError
from sctp.events import MessageReceived
from sctp.rto import RtoEstimator
from sctp.settings import SctpSettings

MTU = SctpSettings().mtu


class Wire:
    """Two associations and the packets between them, delivered only when the test says."""

    def __init__(
        self, settings_a: SctpSettings | None = None, settings_b: SctpSettings | None = None
    ):
        self.now = 1000.0
        self.a = Association(settings=settings_a, token_bytes=random.Random(1).randbytes)
        self.b = Association(settings=settings_b, token_bytes=random.Random(2).randbytes)
        self.a.connect(now=self.now)
        self.b.connect(now=self.now)
        while self.exchange():
            pass
        assert self.a.connected and self.b.connected
        self.received: list[bytes] = []

    def take(self, assoc: Association) -> list[bytes]:
        out = []
        while (packet := assoc.poll_transmit()) is not None:
            out.append(packet)
        return out

    def exchange(self) -> int:
        moved = 0
        for src, dst in ((self.a, self.b), (self.b, self.a)):
            for packet in self.take(src):
                dst.handle_datagram(packet, now=self.now)
                moved += 1
        self.collect()
        return moved

    def collect(self) -> None:
        while (event := self.b.poll_event()) is not None:
            if isinstance(event, MessageReceived):
                self.received.append(event.data)
        while self.a.poll_event() is not None:
            pass

    def deliver(self, packets: list[bytes], to: Association) -> None:
        for packet in packets:
            to.handle_datagram(packet, now=self.now)
        self.collect()


def test_rto_follows_rfc_9260_section_6_3_1() -> None:
    rto = RtoEstimator(initial=1.0, minimum=0.1, maximum=10.0)
    assert rto.rto == 1.0 and rto.srtt is None
    rto.on_measurement(0.2)
    assert rto.srtt == pytest.approx(0.2) and rto.rttvar == pytest.approx(0.1)
    assert rto.rto == pytest.approx(0.2 + 4 * 0.1)
    rto.on_measurement(0.4)
    assert rto.rttvar == pytest.approx(0.75 * 0.1 + 0.25 * 0.2)
    assert rto.srtt == pytest.approx(0.875 * 0.2 + 0.125 * 0.4)
    rto.back_off()
    assert rto.rto == pytest.approx(2 * (rto.srtt + 4 * rto.rttvar))  # type: ignore[operator]
    for _ in range(10):
        rto.back_off()
    assert rto.rto == 10.0
    rto.on_measurement(0.0001)
    assert rto.rto >= 0.1


def test_slow_start_grows_the_window_per_sack() -> None:
    wire = Wire()
    cc = wire.a.cc
    assert cc.cwnd == 10 * MTU and cc.cwnd <= cc.ssthresh
    for i in range(200):
        wire.a.send(1, 53, bytes([i]) * 1000, now=wire.now)
    flights = []
    while wire.exchange():
        flights.append(cc.cwnd)
        wire.now += 0.01
    assert len(wire.received) == 200
    assert cc.cwnd > 20 * MTU  # grew while the window was in use
    assert flights == sorted(flights)  # never shrank without loss


def test_one_lost_packet_is_fast_retransmitted() -> None:
    wire = Wire()
    a, b = wire.a, wire.b
    for i in range(30):
        a.send(1, 53, bytes([i]) * 1100, now=wire.now)
    first = wire.take(a)
    assert 10 <= len(first) <= 11  # the initial window: ten packets (plus one partly in it)
    lost = first[3]
    cwnd_before = a.cc.cwnd
    wire.deliver(first[:3] + first[4:], to=b)
    sacks = wire.take(b)
    wire.deliver(sacks, to=a)  # three or more miss indications for the lost TSN
    assert a.stats.fast_retransmits == 1
    assert a.cc.in_fast_recovery
    # Halved (§7.2.3) from the window at detection, which slow start had grown by up to one
    # MTU per SACK for the packets before the hole.
    assert 4 * MTU <= a.cc.ssthresh <= (cwnd_before + 3 * MTU) // 2
    assert a.cc.cwnd == a.cc.ssthresh
    again = wire.take(a)
    assert any(p[28:1128] == lost[28:1128] for p in again)  # the lost chunk is sent again
    wire.deliver(again, to=b)
    while wire.exchange():
        pass
    assert wire.received == [bytes([i]) * 1100 for i in range(30)]
    assert a.stats.t3_expirations == 0 and a.stats.retransmissions == 1


def test_t3_timeout_collapses_the_window_and_backs_off() -> None:
    wire = Wire()
    a = wire.a
    a.send(1, 53, b"q" * 5000, now=wire.now)
    wire.take(a)  # all lost
    rto = a.rto.rto
    deadline = a.poll_timeout()
    assert deadline is not None and deadline == pytest.approx(wire.now + rto)
    wire.now = deadline
    a.handle_timeout(now=wire.now)
    assert a.stats.t3_expirations == 1
    assert a.cc.cwnd == MTU and a.rto.rto == pytest.approx(min(2 * rto, 60.0))
    again = wire.take(a)
    assert len(again) == 1  # one packet's worth: the window is one MTU
    wire.deliver(again, to=wire.b)
    for _ in range(100):
        wire.exchange()
        wire.now += 0.1
        a.handle_timeout(now=wire.now)
        wire.b.handle_timeout(now=wire.now)
        if wire.received:
            break
    assert wire.received == [b"q" * 5000]


def test_the_peer_receive_window_limits_what_is_in_flight() -> None:
    small = SctpSettings(receive_window=8000, max_message_size=4000)
    wire = Wire(settings_b=small)
    a, b = wire.a, wire.b
    assert a.outbound.rwnd == 8000
    for i in range(40):
        a.send(1, 53, bytes([i]) * 1000, now=wire.now)
    first = wire.take(a)
    wire.deliver(first[1:], to=b)  # a hole at the front: b must hold everything else
    inbound = b.inbound
    assert inbound is not None and inbound.buffered <= 8000
    wire.deliver(wire.take(b), to=a)
    assert a.outbound.rwnd <= 8000 - inbound.buffered + MTU
    more = wire.take(a)
    assert sum(len(p) for p in first + more) <= 8000 + 2 * MTU
    wire.deliver(more, to=b)
    for _ in range(400):
        wire.exchange()
        wire.now += 0.1
        a.handle_timeout(now=wire.now)
        b.handle_timeout(now=wire.now)
        inbound = b.inbound
        assert inbound is not None and inbound.buffered <= 8000
        if len(wire.received) == 40:
            break
    assert wire.received == [bytes([i]) * 1000 for i in range(40)]


def test_a_closed_window_is_probed_with_one_chunk() -> None:
    wire = Wire()
    a = wire.a
    a.outbound.on_sack(a.outbound.cum_ack & 0xFFFFFFFF, 0, [], wire.now)  # a_rwnd = 0
    assert a.outbound.rwnd == 0
    for i in range(5):
        a.send(1, 53, bytes([i]) * 1000, now=wire.now)
    assert len(wire.take(a)) == 1  # zero window: one probe while nothing is in flight
    a.send(1, 53, b"more", now=wire.now)
    assert wire.take(a) == []


def test_small_messages_are_bundled_up_to_the_mtu() -> None:
    wire = Wire()
    a = wire.a
    for i in range(500):
        a.send(i % 3, 53, bytes([i % 256]) * 20, now=wire.now)
    sent = 0
    while len(wire.received) < 500:
        packets = wire.take(a)
        assert all(len(p) <= MTU for p in packets)
        sent += len(packets)
        wire.deliver(packets, to=wire.b)
        wire.deliver(wire.take(wire.b), to=a)
    # 36 bytes per chunk (16 header, 20 data): 33 chunks fill a 1,200-byte packet.
    assert sent <= 500 // 33 + 3


@pytest.mark.parametrize("mtu", [1163, 1162, 1161, 1160, 601])
def test_no_packet_exceeds_the_mtu_with_its_padding(mtu: int) -> None:
    """Messages whose padded chunk is a few bytes over the room left, alone or after others
    (1,164-byte packets once reached a 1,163-byte DTLS record limit that way)."""
    settings = SctpSettings(mtu=mtu)
    wire = Wire(settings_a=settings, settings_b=settings)
    a = wire.a
    limit = mtu - 28
    sizes = [*range(limit - 8, limit + 5), *range(2 * limit - 24, 2 * limit + 4)]
    sizes += [n for small in range(1, 9) for n in (small, limit - 16 - small)]
    rng = random.Random(mtu)
    sizes += [rng.randrange(1, 3 * mtu) for _ in range(300)]
    for i, size in enumerate(sizes):
        a.send(i % 4, 53, bytes([i % 251]) * size, now=wire.now)
    expected = sorted(bytes([i % 251]) * size for i, size in enumerate(sizes))
    largest = 0
    while len(wire.received) < len(sizes):
        packets = wire.take(a)
        assert packets, "stalled"
        largest = max(largest, *map(len, packets))
        wire.deliver(packets, to=wire.b)
        for packet in wire.take(wire.b):
            assert len(packet) <= mtu
            a.handle_datagram(packet, now=wire.now)
    assert largest <= mtu
    assert largest >= mtu - 3  # packets are filled, not merely kept small
    assert sorted(wire.received) == expected


def test_local_send_errors() -> None:
    wire = Wire(settings_a=SctpSettings(send_buffer_limit=100_000, remote_max_message_size=70_000))
    a = wire.a
    with pytest.raises(MessageTooLarge) as too_large:
        a.send(1, 53, b"x" * 70_001, now=wire.now)
    assert (too_large.value.size, too_large.value.limit) == (70_001, 70_000)
    a.send(1, 53, b"x" * 70_000, now=wire.now)
    with pytest.raises(SendBufferFull):
        for _ in range(10):
            a.send(1, 53, b"y" * 30_000, now=wire.now)
    with pytest.raises(ValueError):
        a.send(1, 53, b"", now=wire.now)
    with pytest.raises(StreamClosedError):
        a.send(70000, 53, b"z", now=wire.now)
    wire.exchange()  # drain what fits; the rest stays queued
    a.remote_max_message_size = 0  # "a=max-message-size:0": no limit
    while a.outbound.buffered_total > 15_000:
        wire.exchange()
    a.send(2, 53, b"w" * 80_000, now=wire.now)
