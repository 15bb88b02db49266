"""Wire compatibility with another implementation: our SCTP against aiortc's RTCSctpTransport.

aiortc's SCTP runs over its DTLS transport, of which it uses only four members; a small shim
gives it one end of an in-memory datagram pair instead, and our :class:`SctpTransport` takes
the other end. Both sides send INIT (the WebRTC way), so the handshake collision is exercised,
then DCEP in both directions, strings, binary, empty messages, a large fragmented message,
channel parameters, and the stream-reset close. aiortc comes from the ``interop`` extra; if it
is missing this test fails at import, loudly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiortc.rtcdatachannel import RTCDataChannel, RTCDataChannelParameters
from aiortc.rtcsctptransport import RTCSctpCapabilities, RTCSctpTransport

from sctp import SctpTransport
from sctp.datachannel import DataChannel
from tests.simnet import AsyncDatagramEnd, Conditions, async_datagram_pair


class AiortcDtlsShim:
    """The parts of aiortc's RTCDtlsTransport that its RTCSctpTransport uses."""

    def __init__(self, end: AsyncDatagramEnd, role: str) -> None:
        self.state = "connected"
        self._role = role
        self._end = end
        self._receiver: Any = None
        self._tasks: set[asyncio.Task[None]] = set()
        end.set_receiver(self._deliver)

    def _register_data_receiver(self, receiver: Any) -> None:
        self._receiver = receiver

    def _unregister_data_receiver(self, receiver: Any) -> None:
        self._receiver = None

    async def _send_data(self, data: bytes) -> None:
        self._end.send(data)

    def _deliver(self, data: bytes) -> None:
        if self._receiver is not None:
            task = asyncio.ensure_future(self._receiver._handle_data(data))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)


async def _until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


async def test_data_channels_both_ways_with_aiortc() -> None:
    ours_end, theirs_end = async_datagram_pair(conditions=Conditions(delay=0.001))
    shim = AiortcDtlsShim(theirs_end, role="client")
    theirs = RTCSctpTransport(shim)  # type: ignore[arg-type]
    ours = SctpTransport(ours_end, dtls_client=False)

    opened: asyncio.Future[DataChannel] = asyncio.get_running_loop().create_future()
    ours.on_datachannel = opened.set_result
    ours.start()
    await theirs.start(RTCSctpCapabilities(maxMessageSize=262144), 5000)
    await asyncio.wait_for(ours.wait_connected(), 10)
    assert ours.association.state == "established"

    # aiortc opens a channel (even id, DTLS client), we see its parameters.
    their_chat = RTCDataChannel(
        theirs,
        RTCDataChannelParameters(label="chat", protocol="chat.v1", ordered=False),
    )
    from_us: list[object] = []
    their_chat.on("message", from_us.append)
    our_chat = await asyncio.wait_for(opened, 10)
    assert our_chat.label == "chat" and our_chat.protocol == "chat.v1"
    assert our_chat.ordered is False and our_chat.id is not None and our_chat.id % 2 == 0
    await _until(lambda: their_chat.readyState == "open")

    big = bytes(range(256)) * 200  # 51,200 bytes: many fragments
    for message in ("hello", b"\x00\x01binary", "", b"", big, "ünïcode"):
        their_chat.send(message)
    received = [await asyncio.wait_for(our_chat.recv(), 10) for _ in range(6)]
    assert sorted(map(repr, received)) == sorted(
        map(repr, ["hello", b"\x00\x01binary", "", b"", big, "ünïcode"])
    )
    for message in received:
        our_chat.send(message)
    await _until(lambda: len(from_us) == 6)
    assert sorted(map(repr, from_us)) == sorted(map(repr, received))

    # We open a channel (odd id, DTLS server), aiortc announces it.
    theirs_seen: list[RTCDataChannel] = []
    got: list[object] = []

    def on_datachannel(channel: RTCDataChannel) -> None:
        theirs_seen.append(channel)
        channel.on("message", got.append)

    theirs.on("datachannel", on_datachannel)
    our_stats = ours.create_data_channel("stats", max_retransmits=3, priority="high")
    await our_stats.wait_open()
    assert our_stats.id is not None and our_stats.id % 2 == 1
    our_stats.send(b"ping")
    await _until(lambda: len(theirs_seen) == 1)
    their_stats = theirs_seen[0]
    assert their_stats.label == "stats" and their_stats.maxRetransmits == 3
    await _until(lambda: got == [b"ping"])

    # Closing resets the stream; aiortc closes its side too, and the id is free again.
    our_stats.close()
    await _until(lambda: our_stats.readyState == "closed")
    await _until(lambda: their_stats.readyState == "closed")
    again = ours.create_data_channel("again")
    assert again.id == our_stats.id + 2  # round-robin, as aiortc allocates
    await again.wait_open()
    await _until(lambda: len(theirs_seen) == 2)
    assert theirs_seen[1].label == "again" and theirs_seen[1].id == again.id

    await theirs.stop()
    await _until(lambda: ours.state == "closed")
    assert ours.close_reason is not None and "abort" in ours.close_reason
    assert our_chat.readyState == "closed"
