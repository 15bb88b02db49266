"""The operations chain of webrtc-pc §4.4.1.2: SDP methods run one at a time, in call order.

aiortc runs ``setRemoteDescription`` and friends as independent coroutines, so two calls made
at once interleave (aiortc#1298). Here each public method enqueues its work synchronously, at
call time, so the order of calls is the order of execution even when the callers race.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from .exceptions import InvalidStateError

T = TypeVar("T")


class OperationsChain:
    def __init__(self, on_empty: Callable[[], None]) -> None:
        self._tail: asyncio.Future[Any] | None = None
        self._queued: set[asyncio.Future[Any]] = set()
        self._pending = 0
        self._closed = False
        self._on_empty = on_empty
        """Called when the last queued operation ends (the negotiation-needed check)."""

    @property
    def empty(self) -> bool:
        return self._pending == 0

    def enqueue(self, operation: Callable[[], Awaitable[T]]) -> asyncio.Future[T]:
        """Queue ``operation``; the returned future has its result or its exception."""
        if self._closed:
            raise InvalidStateError("the RTCPeerConnection is closed")
        previous = self._tail

        async def run() -> T:
            try:
                if previous is not None and not previous.done():
                    await asyncio.wait([previous])
                if self._closed:
                    raise InvalidStateError("the RTCPeerConnection is closed")
                return await operation()
            finally:
                self._pending -= 1
                if self._pending == 0 and not self._closed:
                    self._on_empty()

        self._pending += 1
        task: asyncio.Task[T] = asyncio.get_running_loop().create_task(run())
        self._tail = task
        self._queued.add(task)
        task.add_done_callback(self._queued.discard)
        return task

    async def close(self) -> None:
        """Refuse new operations, cancel the queued ones and wait until they have ended."""
        self._closed = True
        current = asyncio.current_task()
        queued = [t for t in self._queued if t is not current]
        for task in queued:
            task.cancel()
        if queued:
            await asyncio.gather(*queued, return_exceptions=True)
