"""The asyncio ICE agent: sockets, one timer, and the datagram transport DTLS runs on.

:class:`IceConnection` wraps the sans-IO :class:`~ice.agent.IceAgent` in Pion's spirit::

    conn = IceConnection(settings)
    conn.on_candidate(lambda c: signal(c))          # trickle; None once gathering is complete
    await conn.gather()
    ufrag, pwd = conn.local_credentials              # signal them too
    conn.add_remote_candidate(candidate)             # for each of the peer's (None = the end)
    await conn.dial(remote_ufrag, remote_pwd)        # or accept(...) on the controlled side
    conn.send(b"...")                                # or set_receiver(cb) / await conn.recv()
    await conn.close()

One datagram in is handled synchronously from the socket callback: non-STUN data (RFC 7983 first
byte above 3) from the remote address of a pair goes straight to the receiver; STUN goes to the
agent, then whatever it wants sent is sent and its one deadline is re-armed with ``call_at``
(only when it moved). There are no queues between layers and no tasks of our own; ``close()``
closes every socket and cancels the timer.

Callbacks run synchronously inside the agent's drain; an exception from one is logged and counted
(``callback_errors``), never allowed to break the connection.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import random
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

from sdp import Candidate

from .agent import IceAgent
from .errors import IceConnectionFailed, IceStateError
from .events import (
    CandidateGathered,
    ConnectionStateChanged,
    GatheringStateChanged,
    IceEvent,
    SelectedPair,
    SelectedPairChanged,
)
from .gather import bind_socket, local_addresses, resolve_servers
from .settings import IceSettings
from .states import IceConnectionState, IceGatheringState, IceRole
from .stats import IceStatsReport
from .udp import UdpEndpoint, open_endpoint

logger = logging.getLogger(__name__)
_ids = itertools.count(1)

Address = tuple[str, int]
Receiver = Callable[[bytes], None]

_UP = (IceConnectionState.CONNECTED, IceConnectionState.COMPLETED)
_DOWN = (IceConnectionState.FAILED, IceConnectionState.CLOSED)
INBOX_LIMIT = 4096
"""Datagrams kept for ``recv()`` when no receiver is set; more are dropped and counted."""


class IceConnection:
    """One ICE transport with real sockets; it binds to the running event loop at first use."""

    def __init__(self, settings: IceSettings | None = None) -> None:
        self.settings = settings or IceSettings()
        self._bound_loop: asyncio.AbstractEventLoop | None = None
        self._agent = IceAgent(
            self.settings, token_bytes=os.urandom, rng=random.Random(os.urandom(16))
        )
        self._log = logging.LoggerAdapter(logger, {"ice": next(_ids)})
        self._transports: dict[Address, UdpEndpoint] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._receiver: Receiver | None = None
        self._inbox: deque[bytes] = deque()
        self._inbox_waiter: asyncio.Future[None] | None = None
        self._state_waiters: list[asyncio.Future[None]] = []
        self._gathering = False
        self._closed = False
        self._listeners: list[Callable[[IceEvent], None]] = []
        self._candidate_callbacks: list[Callable[[Candidate | None], None]] = []
        self._state_callbacks: list[Callable[[IceConnectionState], None]] = []
        self._gathering_callbacks: list[Callable[[IceGatheringState], None]] = []
        self._pair_callbacks: list[Callable[[SelectedPair | None], None]] = []
        self.callback_errors = 0
        self.inbox_dropped = 0
        self.receiver_errors = 0

    @property
    def _loop(self) -> asyncio.AbstractEventLoop:
        """The loop this connection runs on: the running one at its first use."""
        loop = self._bound_loop
        if loop is None:
            loop = self._bound_loop = asyncio.get_running_loop()
        return loop

    # --- state ------------------------------------------------------------------------------------

    @property
    def local_ufrag(self) -> str:
        return self._agent.local_ufrag

    @property
    def local_pwd(self) -> str:
        return self._agent.local_pwd

    @property
    def local_credentials(self) -> tuple[str, str]:
        return self._agent.local_ufrag, self._agent.local_pwd

    @property
    def state(self) -> IceConnectionState:
        return self._agent.state

    @property
    def gathering_state(self) -> IceGatheringState:
        return self._agent.gathering_state

    @property
    def role(self) -> IceRole:
        return self._agent.role

    @property
    def local_candidates(self) -> list[Candidate]:
        return self._agent.local_candidates

    @property
    def remote_candidates(self) -> list[Candidate]:
        return self._agent.remote_candidates

    @property
    def selected_pair(self) -> SelectedPair | None:
        return self._agent.selected_pair

    @property
    def batched_reads(self) -> bool:
        """Whether several datagrams may reach the receiver within one loop iteration (the
        sockets are read in batches, see :mod:`ice.udp`): the layers above may then answer
        a batch at once."""
        return any(t.batched for t in self._transports.values())

    @property
    def local_addresses(self) -> list[Address]:
        """The addresses of the bound sockets (the bases of the host candidates)."""
        return list(self._transports)

    def get_stats(self) -> IceStatsReport:
        return self._agent.get_stats()

    # --- callbacks --------------------------------------------------------------------------------

    def add_event_listener(self, listener: Callable[[IceEvent], None]) -> None:
        """Every core event (:mod:`ice.events`), as it happens."""
        self._listeners.append(listener)

    def on_candidate(self, callback: Callable[[Candidate | None], None]) -> None:
        """Each local candidate as found, then ``None`` at the end (Pion's OnCandidate)."""
        self._candidate_callbacks.append(callback)

    def on_state_change(self, callback: Callable[[IceConnectionState], None]) -> None:
        self._state_callbacks.append(callback)

    def on_gathering_state_change(self, callback: Callable[[IceGatheringState], None]) -> None:
        self._gathering_callbacks.append(callback)

    def on_selected_pair_change(self, callback: Callable[[SelectedPair | None], None]) -> None:
        self._pair_callbacks.append(callback)

    # --- API --------------------------------------------------------------------------------------

    async def gather(self) -> None:
        """Bind sockets and start gathering; host candidates are out when this returns.

        Server-reflexive candidates follow through :meth:`on_candidate` as STUN servers answer.
        """
        self._check_open()
        if self._gathering:
            raise IceStateError("gather() was already called; use restart() to gather again")
        self._gathering = True
        rng = random.Random()
        for host in local_addresses(self.settings):
            try:
                sock = bind_socket(host, self.settings, rng)
            except OSError as exc:
                self._log.warning("cannot bind %s: %s", host, exc)
                continue
            transport = await open_endpoint(self._loop, sock, self._on_datagram)
            self._transports[transport.base] = transport
            if self._closed:
                transport.close()
        servers = await resolve_servers(
            self.settings.parsed_stun_servers, self.settings, self._loop
        )
        if self._closed:
            await self._wait_sockets_closed()
            return
        self._agent.gather(list(self._transports), stun_servers=servers, now=self._loop.time())
        self._flush()

    def add_remote_candidate(self, candidate: Candidate | None) -> None:
        """A candidate from the peer (trickle), or ``None`` for its end-of-candidates."""
        self._check_open()
        self._agent.add_remote_candidate(candidate, now=self._loop.time())
        self._flush()

    def start(
        self,
        remote_ufrag: str,
        remote_pwd: str,
        *,
        controlling: bool | None = None,
        remote_lite: bool = False,
    ) -> None:
        """Begin connectivity checks without waiting (see :meth:`wait_connected`)."""
        self._check_open()
        self._agent.start(
            remote_ufrag,
            remote_pwd,
            controlling=controlling,
            remote_lite=remote_lite,
            now=self._loop.time(),
        )
        self._flush()

    def set_role(self, *, controlling: bool) -> None:
        """The role to answer checks in before :meth:`start` (see :meth:`IceAgent.set_role`)."""
        self._check_open()
        self._agent.set_role(controlling=controlling)

    async def dial(
        self, remote_ufrag: str, remote_pwd: str, *, remote_lite: bool = False
    ) -> IceConnection:
        """Check as the controlling agent; return once connected (raise if it fails)."""
        self.start(remote_ufrag, remote_pwd, controlling=True, remote_lite=remote_lite)
        await self.wait_connected()
        return self

    async def accept(self, remote_ufrag: str, remote_pwd: str) -> IceConnection:
        """Check as the controlled agent; return once connected (raise if it fails)."""
        self.start(remote_ufrag, remote_pwd, controlling=False)
        await self.wait_connected()
        return self

    async def wait_connected(self) -> None:
        """Wait for ``connected``/``completed``; :class:`IceConnectionFailed` on failed/closed."""
        while True:
            state = self.state
            if state in _UP:
                return
            if state in _DOWN:
                raise IceConnectionFailed(state)
            waiter = self._loop.create_future()
            self._state_waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._state_waiters:
                    self._state_waiters.remove(waiter)

    def restart(self) -> None:
        """ICE restart: new credentials and candidates on the same sockets; data keeps flowing on
        the current pair until the new generation connects. Then call :meth:`start` again."""
        self._check_open()
        self._agent.restart(now=self._loop.time())
        self._flush()

    async def close(self) -> None:
        """Close every socket and the timer; the state becomes ``closed``. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._agent.close(now=self._loop.time())
        self._flush()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = self._timer_at = None
        for transport in self._transports.values():
            transport.close()
        if self._inbox_waiter is not None and not self._inbox_waiter.done():
            self._inbox_waiter.set_result(None)
        await self._wait_sockets_closed()

    async def _wait_sockets_closed(self) -> None:
        for transport in self._transports.values():
            transport.close()
        await asyncio.gather(*(t.closed for t in self._transports.values()))

    # --- the datagram transport -------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Send one datagram on the selected pair; dropped (and counted) if there is none."""
        route = self._agent.prepare_send(len(data))
        if route is not None:
            transport = self._transports.get(route[0])
            if transport is not None:
                transport.sendto(data, route[1])

    def set_receiver(self, receiver: Receiver | None) -> None:
        """Call ``receiver(data)`` synchronously for every datagram for the layer above."""
        self._receiver = receiver
        if receiver is not None:
            while self._inbox:
                self._deliver(receiver, self._inbox.popleft())

    async def recv(self) -> bytes:
        """The next datagram (for library users; DTLS uses :meth:`set_receiver`)."""
        while not self._inbox:
            if self._closed:
                raise IceStateError("the ICE connection is closed")
            if self._receiver is not None:
                raise IceStateError("recv() cannot be used while a receiver is set")
            waiter = self._inbox_waiter = self._loop.create_future()
            try:
                await waiter
            finally:
                self._inbox_waiter = None
        return self._inbox.popleft()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self.recv()
        except IceStateError:
            raise StopAsyncIteration from None

    # --- driving the core -------------------------------------------------------------------------

    def _on_datagram(self, base: Address, data: bytes, remote: Address) -> None:
        agent = self._agent
        if data and data[0] > 3:
            if agent.accept_data(data, base, remote):
                receiver = self._receiver
                if receiver is not None:
                    self._deliver(receiver, data)
                elif len(self._inbox) < INBOX_LIMIT:
                    self._inbox.append(data)
                    waiter = self._inbox_waiter
                    if waiter is not None and not waiter.done():
                        waiter.set_result(None)
                else:
                    self.inbox_dropped += 1
            return
        agent.handle_datagram(data, local=base, remote=remote, now=self._loop.time())
        self._flush()

    def _deliver(self, receiver: Receiver, data: bytes) -> None:
        try:
            receiver(data)
        except Exception:
            self.receiver_errors += 1
            self._log.exception("the receiver raised on a datagram")

    def _flush(self) -> None:
        agent = self._agent
        transports = self._transports
        while (transmit := agent.poll_transmit()) is not None:
            transport = transports.get(transmit.local)
            if transport is not None and not transport.is_closing():
                transport.sendto(transmit.data, transmit.remote)
        while (event := agent.poll_event()) is not None:
            self._dispatch(event)
        if self._closed:
            return
        deadline = agent.poll_timeout()
        if deadline != self._timer_at:
            if self._timer is not None:
                self._timer.cancel()
            self._timer_at = deadline
            self._timer = None if deadline is None else self._loop.call_at(deadline, self._fire)

    def _fire(self) -> None:
        deadline = self._timer_at
        self._timer = self._timer_at = None
        now = self._loop.time()
        if deadline is not None and deadline > now:
            now = deadline  # call_at may fire a hair early; the core must see its deadline
        self._agent.handle_timeout(now=now)
        self._flush()

    def _dispatch(self, event: IceEvent) -> None:
        if isinstance(event, CandidateGathered):
            self._call(self._candidate_callbacks, event.candidate)
        elif isinstance(event, GatheringStateChanged):
            self._call(self._gathering_callbacks, event.new)
            if event.new is IceGatheringState.COMPLETE:
                self._call(self._candidate_callbacks, None)
        elif isinstance(event, ConnectionStateChanged):
            self._log.debug("state %s -> %s", event.old, event.new)
            waiters, self._state_waiters = self._state_waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
            self._call(self._state_callbacks, event.new)
        elif isinstance(event, SelectedPairChanged):
            self._call(self._pair_callbacks, event.pair)
        self._call(self._listeners, event)

    def _call(self, callbacks: list[Callable[[Any], None]], value: object) -> None:
        for callback in list(callbacks):
            try:
                callback(value)
            except Exception:
                self.callback_errors += 1
                self._log.exception("an ICE callback raised")

    def _check_open(self) -> None:
        if self._closed:
            raise IceStateError("the ICE connection is closed")
