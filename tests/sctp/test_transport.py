"""The asyncio shell: SctpTransport and DataChannel over an in-memory datagram pair.

Events are checked the way the ``webrtc`` package will see them, through a subclass that
overrides ``DataChannel._event``; the detached API (recv, async for, write) on the base class.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from sctp import (
    ChannelClosedError,
    DataChannel,
    InvalidStateError,
    MessageTooLarge,
    SctpSettings,
    SctpTransport,
)
from sctp.dcep import ChannelParameters
from tests.simnet import AsyncDatagramEnd, Conditions, async_datagram_pair


class RecordingChannel(DataChannel):
    """What a W3C emitter subclass does: see every event, keep no message queue."""

    buffer_messages = False

    def __init__(self, transport: SctpTransport, stream_id: int, params: ChannelParameters):
        super().__init__(transport, stream_id, params)
        self.seen: list[tuple[str, tuple[object, ...]]] = []

    def _event(self, name: str, *args: object) -> None:
        super()._event(name, *args)
        self.seen.append((name, args))

    def names(self) -> list[str]:
        return [name for name, _ in self.seen]


async def _until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.002)

    await asyncio.wait_for(poll(), timeout)


def _pair(
    conditions: Conditions | None = None,
    settings: SctpSettings | None = None,
    factory: type[DataChannel] = DataChannel,
) -> tuple[SctpTransport, SctpTransport, AsyncDatagramEnd, AsyncDatagramEnd]:
    end_a, end_b = async_datagram_pair(seed=1, conditions=conditions or Conditions(delay=0.0005))
    a = SctpTransport(end_a, dtls_client=True, settings=settings, channel_class=factory)
    b = SctpTransport(end_b, dtls_client=False, settings=settings, channel_class=factory)
    return a, b, end_a, end_b


async def _connected(
    **kwargs: object,
) -> tuple[SctpTransport, SctpTransport, AsyncDatagramEnd, AsyncDatagramEnd]:
    a, b, end_a, end_b = _pair(**kwargs)  # type: ignore[arg-type]
    a.start()
    b.start()
    await asyncio.wait_for(asyncio.gather(a.wait_connected(), b.wait_connected()), 5)
    return a, b, end_a, end_b


async def test_channel_lifecycle_and_events() -> None:
    a, b, _, _ = _pair(factory=RecordingChannel)
    states: list[str] = []
    a.on_statechange = states.append
    announced: list[DataChannel] = []
    b.on_datachannel = announced.append
    chat = a.create_data_channel("chat", protocol="json", ordered=False, max_retransmits=5)
    assert isinstance(chat, RecordingChannel)
    assert chat.readyState == "connecting" and chat.id == 0 and chat.bufferedAmount == 0
    assert (chat.label, chat.protocol, chat.ordered) == ("chat", "json", False)
    assert (chat.maxRetransmits, chat.maxPacketLifeTime, chat.negotiated) == (5, None, False)
    assert chat.priority == "low" and chat.transport is a
    a.start()
    b.start()
    await chat.wait_open()
    assert states == ["connected"] and a.state == "connected"
    assert a.maxChannels == 65535 and a.maxMessageSize == 65536.0
    await _until(lambda: len(announced) == 1)
    remote = announced[0]
    assert isinstance(remote, RecordingChannel)
    assert (remote.label, remote.protocol, remote.id, remote.readyState) == (
        "chat",
        "json",
        0,
        "open",
    )
    assert remote.maxRetransmits == 5 and remote.ordered is False

    chat.send("text")
    chat.send(b"\x00bin")
    chat.send("")
    chat.send(b"")
    chat.send(bytearray(b"ba"))
    await _until(lambda: remote.names().count("message") == 5)
    messages = sorted(map(repr, (args[0] for name, args in remote.seen if name == "message")))
    assert messages == sorted(map(repr, ["text", b"\x00bin", "", b"", b"ba"]))
    assert remote.messages_received == 5 and remote.bytes_received == 4 + 4 + 2
    assert chat.messages_sent == 5 and chat.bytes_sent == 10

    chat.close()
    assert chat.readyState == "closing"
    await _until(lambda: chat.readyState == "closed" and remote.readyState == "closed")
    # The default threshold is 0: bufferedamountlow fires when the queue empties (W3C).
    assert [n for n in chat.names() if n != "bufferedamountlow"] == ["open", "close"]
    assert "bufferedamountlow" in chat.names()
    assert remote.names()[0] == "open" and remote.names()[-2:] == ["closing", "close"]
    with pytest.raises(InvalidStateError):
        chat.send("after close")
    await a.close()
    await _until(lambda: b.state == "closed")
    assert states == ["connected", "closed"] and a.close_reason == "shutdown"


async def test_detached_api_recv_iterate_and_write_with_backpressure() -> None:
    a, b, _, _ = await _connected()
    announced: asyncio.Queue[DataChannel] = asyncio.Queue()
    b.on_datachannel = announced.put_nowait
    sender = a.create_data_channel("bulk")
    await sender.wait_open()
    receiver = await asyncio.wait_for(announced.get(), 5)
    sender.write_high_water = 200_000
    sender.write_low_water = 50_000
    chunk = bytes(range(256)) * 64  # 16 KiB
    total = 300

    async def produce() -> None:
        for i in range(total):
            await sender.write(i.to_bytes(4, "big") + chunk)
            assert sender.bufferedAmount <= 200_000 + len(chunk) + 4
        await sender.drain()
        assert sender.bufferedAmount == 0
        sender.close()

    async def consume() -> list[int]:
        got = []
        async for message in receiver:
            assert isinstance(message, bytes) and message[4:] == chunk
            got.append(int.from_bytes(message[:4], "big"))
        return got

    producer = asyncio.ensure_future(produce())
    got = await asyncio.wait_for(consume(), 30)
    await producer
    assert got == list(range(total))
    with pytest.raises(ChannelClosedError):
        await receiver.recv()
    await a.close()


async def test_buffered_amount_low_fires_at_the_threshold() -> None:
    a, _, _, _ = await _connected(factory=RecordingChannel)
    channel = a.create_data_channel("t")
    assert isinstance(channel, RecordingChannel)
    await channel.wait_open()
    channel.bufferedAmountLowThreshold = 100_000
    for _ in range(40):
        channel.send(b"x" * 10_000)
    assert channel.bufferedAmount == 400_000
    await _until(lambda: "bufferedamountlow" in channel.names())
    assert channel.bufferedAmount <= 100_000
    assert channel.names().count("bufferedamountlow") == 1
    with pytest.raises(ValueError):
        channel.bufferedAmountLowThreshold = -1
    await a.close()


async def test_send_errors_are_typed() -> None:
    a, _, _, _ = await _connected(settings=SctpSettings(remote_max_message_size=1000))
    channel = a.create_data_channel("e")
    await channel.wait_open()
    with pytest.raises(MessageTooLarge):
        channel.send(b"x" * 1001)
    with pytest.raises(TypeError):
        channel.send(12345)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        a.create_data_channel("p", priority="urgent")
    with pytest.raises(TypeError):
        a.create_data_channel("p", max_retransmits=1, max_packet_lifetime=1)
    channel.send(b"x" * 1000)
    await a.close()
    with pytest.raises(InvalidStateError):
        a.create_data_channel("late")


async def test_negotiated_channels_and_odd_even_ids() -> None:
    a, b, _, _ = await _connected()
    left = a.create_data_channel("n", negotiated=True, id=7)
    right = b.create_data_channel("n", negotiated=True, id=7)
    assert left.negotiated and left.id == right.id == 7
    await asyncio.gather(left.wait_open(), right.wait_open())
    assert b.create_data_channel("odd").id == 1
    assert a.create_data_channel("even").id == 0
    left.send("ping")
    assert await asyncio.wait_for(right.recv(), 5) == "ping"
    await a.close()


async def test_abort_fails_channels_on_the_other_side() -> None:
    a, b, _, _ = await _connected(factory=RecordingChannel)
    channel = a.create_data_channel("x")
    assert isinstance(channel, RecordingChannel)
    seen: list[DataChannel] = []
    b.on_datachannel = seen.append
    await channel.wait_open()
    await _until(lambda: len(seen) == 1)
    remote = seen[0]
    assert isinstance(remote, RecordingChannel)
    a.abort("test over")
    await _until(lambda: b.state == "closed")
    assert b.close_reason is not None and "test over" in b.close_reason
    assert remote.names()[-2:] == ["error", "close"] and remote.error is not None
    assert channel.readyState == "closed" and channel.names()[-1] == "close"


async def test_lossy_link_in_real_time() -> None:
    settings = SctpSettings(rto_initial=0.05, rto_min=0.02, delayed_ack_timeout=0.01)
    a, b, _, _ = await _connected(
        conditions=Conditions(loss=0.1, delay=0.002, jitter=0.002, duplicate=0.05),
        settings=settings,
    )
    announced: asyncio.Queue[DataChannel] = asyncio.Queue()
    b.on_datachannel = announced.put_nowait
    channel = a.create_data_channel("lossy")
    await channel.wait_open()
    sent = [bytes([i]) * (1 + 97 * i) for i in range(100)]
    for message in sent:
        channel.send(message)
    remote = await asyncio.wait_for(announced.get(), 10)
    got = [await asyncio.wait_for(remote.recv(), 10) for _ in sent]
    assert got == sent
    assert a.stats.retransmissions > 0
    await a.close()


async def test_close_leaves_no_task_timer_or_receiver() -> None:
    before = asyncio.all_tasks()
    a, b, end_a, end_b = await _connected()
    channel = a.create_data_channel("c")
    await channel.wait_open()
    channel.send(b"bye")
    await a.close()
    await _until(lambda: b.state == "closed")
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == before
    assert end_a._receiver is None and end_b._receiver is None
    assert a._timer is None and b._timer is None


async def test_one_timer_handle_for_many_packets() -> None:
    a, b, _, _ = await _connected()
    loop = asyncio.get_running_loop()
    armed = 0
    real_call_at = loop.call_at

    def counting_call_at(
        when: float, callback: Callable[..., object], *args: object, **kwargs: object
    ) -> asyncio.TimerHandle:
        nonlocal armed
        if getattr(callback, "__func__", None) is SctpTransport._on_timer:
            armed += 1
        return real_call_at(when, callback, *args, **kwargs)  # type: ignore[arg-type]

    loop.call_at = counting_call_at  # type: ignore[method-assign]
    try:
        channel = a.create_data_channel("bulk")
        await channel.wait_open()
        for _ in range(200):
            channel.send(b"y" * 16_000)
        await _until(lambda: b.stats.messages_received >= 201, timeout=30)
    finally:
        del loop.call_at
    packets = a.stats.packets_sent + b.stats.packets_sent
    assert packets > 2500
    assert armed <= 50, (armed, packets)  # a few per second of transfer, not one per packet
    await a.close()


class SmallRecords:
    """A lower transport that, like DTLS, says how much one datagram may carry."""

    max_application_data = 600

    def __init__(self, end: AsyncDatagramEnd) -> None:
        self.end = end
        self.largest = 0

    def send(self, data: bytes) -> None:
        assert len(data) <= self.max_application_data
        self.largest = max(self.largest, len(data))
        self.end.send(data)

    def set_receiver(self, receiver: Callable[[bytes], None] | None) -> None:
        self.end.set_receiver(receiver)


async def test_packets_fit_what_the_lower_transport_carries() -> None:
    end_a, end_b = async_datagram_pair(seed=3, conditions=Conditions(delay=0.0005))
    lower_a, lower_b = SmallRecords(end_a), SmallRecords(end_b)
    a = SctpTransport(lower_a, dtls_client=True)
    b = SctpTransport(lower_b, dtls_client=False)
    announced: asyncio.Queue[DataChannel] = asyncio.Queue()
    b.on_datachannel = announced.put_nowait
    a.start()
    b.start()
    channel = a.create_data_channel("small")
    await channel.wait_open()
    channel.send(b"z" * 20_000)
    remote = await asyncio.wait_for(announced.get(), 5)
    assert await asyncio.wait_for(remote.recv(), 5) == b"z" * 20_000
    assert lower_a.largest == 600 and a.association.settings.mtu == 600
    await a.close()


class HeldWire:
    """A lower transport whose datagrams wait until the test hands them over."""

    def __init__(self) -> None:
        self.outbox: list[bytes] = []
        self.receiver: Callable[[bytes], None] | None = None

    def send(self, data: bytes) -> None:
        self.outbox.append(data)

    def set_receiver(self, receiver: Callable[[bytes], None] | None) -> None:
        self.receiver = receiver


def _hand_over(source: HeldWire, target: HeldWire) -> list[int]:
    """Deliver every waiting datagram in this loop iteration; the target's outbox after each."""
    datagrams, source.outbox = source.outbox, []
    after: list[int] = []
    for data in datagrams:
        assert target.receiver is not None
        target.receiver(data)
        after.append(len(target.outbox))
    return after


@pytest.mark.parametrize("batched", [False, True])
async def test_batched_reads_answer_a_batch_with_one_sack(batched: bool) -> None:
    wire_a, wire_b = HeldWire(), HeldWire()
    a = SctpTransport(wire_a, dtls_client=True, batched_reads=batched)
    b = SctpTransport(wire_b, dtls_client=False, batched_reads=batched)
    a.start()
    b.start()
    channel = a.create_data_channel("batch")
    while channel.readyState != "open":
        _hand_over(wire_a, wire_b)
        _hand_over(wire_b, wire_a)
        await asyncio.sleep(0)
    for _ in range(3):  # settle the DCEP exchange's acknowledgements
        _hand_over(wire_a, wire_b)
        _hand_over(wire_b, wire_a)
        await asyncio.sleep(0)
    wire_b.outbox.clear()
    for _ in range(8):
        channel.send(b"m" * 1000)
    await asyncio.sleep(0)
    assert len(wire_a.outbox) == 8
    during = _hand_over(wire_a, wire_b)
    await asyncio.sleep(0)
    if batched:  # nothing while the batch is read, then one SACK for the eight packets
        assert during == [0] * 8 and len(wire_b.outbox) == 1
    else:  # a SACK every second packet, sent at once
        assert during == [0, 1, 1, 2, 2, 3, 3, 4] and len(wire_b.outbox) == 4
    assert b.stats.messages_received >= 8
    a.abort()
    b.abort()
