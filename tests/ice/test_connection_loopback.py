"""The asyncio IceConnection on real UDP sockets, restricted to the loopback interface."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator

import pytest

from ice import (
    ConnectionStateChanged,
    IceConnection,
    IceConnectionFailed,
    IceConnectionState,
    IceEvent,
    IceGatheringState,
    IceSettings,
    IceStateError,
    NetworkType,
)
from ice.datagram import DatagramTransport
from sdp import Candidate

S = IceConnectionState
V4 = frozenset({NetworkType.UDP4})


def loopback(**kw: object) -> IceSettings:
    """Gather on ``lo`` only (never on this machine's other interfaces)."""
    return IceSettings(include_loopback=True, interface_filter=lambda n: n == "lo", **kw)  # type: ignore[arg-type]


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def _pair(
    settings_a: IceSettings, settings_b: IceSettings | None = None
) -> tuple[IceConnection, IceConnection]:
    a, b = IceConnection(settings_a), IceConnection(settings_b or settings_a)
    a.on_candidate(lambda c: b.add_remote_candidate(c))
    b.on_candidate(lambda c: a.add_remote_candidate(c))
    await a.gather()
    await b.gather()
    return a, b


async def _connect(a: IceConnection, b: IceConnection) -> None:
    await asyncio.wait_for(
        asyncio.gather(a.dial(*b.local_credentials), b.accept(*a.local_credentials)), 10
    )


@contextlib.asynccontextmanager
async def no_leaks() -> AsyncIterator[None]:
    """Every task and socket the block created is gone when it ends."""
    fds = _open_fds()
    tasks = asyncio.all_tasks()
    yield
    await asyncio.sleep(0)
    assert asyncio.all_tasks() <= tasks, "a task outlived its connection"
    assert _open_fds() == fds, "a socket outlived its connection"


async def test_connect_and_exchange_1000_datagrams_intact() -> None:
    async with no_leaks():
        a, b = await _pair(loopback(network_types=V4))
        assert [c.address for c in a.local_candidates] == ["127.0.0.1"]
        states: list[IceConnectionState] = []
        a.on_state_change(states.append)
        await _connect(a, b)
        assert a.state in (S.CONNECTED, S.COMPLETED) and b.state in (S.CONNECTED, S.COMPLETED)
        sel = a.selected_pair
        assert sel is not None and sel.local_address in a.local_addresses
        got_b: list[bytes] = []
        got_a: list[bytes] = []
        b.set_receiver(got_b.append)
        a.set_receiver(got_a.append)
        sent = [bytes([0x80 | (i % 64)]) + os.urandom(i % 1100) for i in range(1000)]
        for i, data in enumerate(sent):
            a.send(data)
            b.send(data)
            if i % 50 == 49:  # let the receiving side drain its socket
                await asyncio.sleep(0.002)
        for _ in range(500):
            if len(got_a) == len(got_b) == 1000:
                break
            await asyncio.sleep(0.01)
        assert got_b == sent and got_a == sent
        report = a.get_stats().selected
        assert report is not None and report.stats.packets_sent == 1000
        assert report.stats.bytes_received == sum(len(d) for d in sent)
        assert states[:2] == [S.CHECKING, S.CONNECTED]
        await a.close()
        await b.close()
        assert (a.state, b.state) == (S.CLOSED, S.CLOSED)


async def test_both_address_families_on_loopback() -> None:
    async with no_leaks():
        a, b = await _pair(loopback())
        assert {c.address for c in a.local_candidates} == {"127.0.0.1", "::1"}
        await _connect(a, b)
        got: list[bytes] = []
        b.set_receiver(got.append)
        a.send(b"\x17hello")
        for _ in range(100):
            if got:
                break
            await asyncio.sleep(0.01)
        assert got == [b"\x17hello"]
        await a.close()
        await b.close()


async def test_recv_and_async_iteration() -> None:
    async with no_leaks():
        a, b = await _pair(loopback(network_types=V4))
        await _connect(a, b)
        for i in range(5):
            a.send(bytes([23, i]))
        assert [await asyncio.wait_for(b.recv(), 5) for _ in range(2)] == [b"\x17\x00", b"\x17\x01"]
        received = []
        async for data in b:
            received.append(data)
            if len(received) == 3:
                break
        assert received == [bytes([23, i]) for i in (2, 3, 4)]
        # recv() waiting when the connection closes ends with a typed error, and iteration stops.
        pending = asyncio.ensure_future(b.recv())
        await asyncio.sleep(0.01)
        await b.close()
        with pytest.raises(IceStateError):
            await pending
        assert [d async for d in b] == []
        await a.close()


async def test_events_callbacks_and_a_raising_callback() -> None:
    async with no_leaks():
        settings = loopback(network_types=V4)
        a, b = IceConnection(settings), IceConnection(settings)
        candidates: list[Candidate | None] = []
        events: list[IceEvent] = []
        gathering: list[IceGatheringState] = []
        a.on_candidate(candidates.append)
        a.on_candidate(lambda c: b.add_remote_candidate(c))
        b.on_candidate(lambda c: a.add_remote_candidate(c))
        a.add_event_listener(events.append)
        a.on_gathering_state_change(gathering.append)

        def boom(_: object) -> None:
            raise RuntimeError("a user callback that fails")

        a.on_selected_pair_change(boom)
        await a.gather()
        await b.gather()
        assert candidates[-1] is None and all(c is not None for c in candidates[:-1])
        assert gathering == [IceGatheringState.GATHERING, IceGatheringState.COMPLETE]
        await _connect(a, b)
        assert a.callback_errors == 1  # logged and counted; the connection is fine
        assert [e.new for e in events if isinstance(e, ConnectionStateChanged)][:2] == [
            S.CHECKING,
            S.CONNECTED,
        ]
        await a.close()
        await b.close()


async def test_dial_fails_when_the_peer_is_gone() -> None:
    async with no_leaks():
        settings = loopback(network_types=V4, failed_timeout=0.5, stun_max_rto=0.2)
        a, b = await _pair(settings)
        a.add_remote_candidate(None)
        ufrag, pwd = b.local_credentials
        await b.close()
        with pytest.raises(IceConnectionFailed):
            await asyncio.wait_for(a.dial(ufrag, pwd), 10)
        assert a.state is S.FAILED
        await a.close()


async def test_restart_over_real_sockets() -> None:
    async with no_leaks():
        a, b = await _pair(loopback(network_types=V4))
        await _connect(a, b)
        old = a.local_credentials
        pairs: list[object] = []
        a.on_selected_pair_change(pairs.append)
        a.restart()
        b.restart()
        assert a.local_credentials != old
        a.start(*b.local_credentials)
        b.start(*a.local_credentials)
        for _ in range(200):
            if pairs:
                break
            await asyncio.sleep(0.01)
        assert len(pairs) == 1 and a.state in (S.CONNECTED, S.COMPLETED)
        await a.close()
        await b.close()


async def test_filters_and_port_range() -> None:
    async with no_leaks():
        nothing = IceConnection(IceSettings(interface_filter=lambda n: n == "lo"))  # no loopback
        await nothing.gather()
        assert (
            nothing.local_candidates == [] and nothing.gathering_state is IceGatheringState.COMPLETE
        )
        await nothing.close()
        v6_only = IceConnection(loopback(ip_filter=lambda ip: ip.version == 6))
        await v6_only.gather()
        assert [c.address for c in v6_only.local_candidates] == ["::1"]
        await v6_only.close()
        ranged = IceConnection(loopback(network_types=V4, port_min=40000, port_max=40100))
        await ranged.gather()
        [c] = ranged.local_candidates
        assert 40000 <= c.port <= 40100
        await ranged.close()


async def test_it_is_the_datagram_transport_dtls_runs_on() -> None:
    async with no_leaks():
        a, b = await _pair(loopback(network_types=V4))
        await _connect(a, b)
        transports: list[DatagramTransport] = [a, b]  # checked by mypy, used for real here
        got: list[bytes] = []
        transports[1].set_receiver(got.append)
        transports[0].send(b"\x16\xfe\xfd handshake-ish")
        for _ in range(100):
            if got:
                break
            await asyncio.sleep(0.01)
        assert got == [b"\x16\xfe\xfd handshake-ish"]
        transports[1].set_receiver(None)
        await a.close()
        await b.close()


async def test_api_misuse() -> None:
    async with no_leaks():
        a = IceConnection(loopback(network_types=V4))
        await a.gather()
        with pytest.raises(IceStateError):
            await a.gather()
        got: list[bytes] = []
        a.set_receiver(got.append)
        with pytest.raises(IceStateError):
            await a.recv()
        a.send(b"\x17nowhere")  # no pair yet: dropped, counted
        assert a.get_stats().agent.send_no_route == 1
        await a.close()
        await a.close()
        with pytest.raises(IceStateError):
            a.add_remote_candidate(None)
        with pytest.raises(IceStateError):
            await a.gather()


def test_created_outside_a_running_loop() -> None:
    conn = IceConnection(loopback(network_types=V4))  # as an RTCPeerConnection constructor may
    assert conn.state is S.NEW and len(conn.local_ufrag) >= 4

    async def use() -> list[Candidate]:
        await conn.gather()
        found = conn.local_candidates
        await conn.close()
        return found

    assert [c.address for c in asyncio.run(use())] == ["127.0.0.1"]
