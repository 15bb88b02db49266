"""The event emitter and the operations chain."""

from __future__ import annotations

import asyncio

import pytest

from webrtc.emitter import EventEmitter
from webrtc.exceptions import InvalidStateError
from webrtc.operations import OperationsChain


def test_decorator_once_and_remove() -> None:
    emitter = EventEmitter()
    got: list[tuple[str, int]] = []

    @emitter.on("x")
    def on_x(value: int) -> None:
        got.append(("on", value))

    emitter.once("x", lambda value: got.append(("once", value)))
    assert emitter.emit("x", 1)
    assert emitter.emit("x", 2)
    emitter.remove_listener("x", on_x)
    assert not emitter.emit("x", 3)
    assert got == [("on", 1), ("once", 1), ("on", 2)]


def test_a_raising_handler_is_logged_and_the_others_run(caplog: pytest.LogCaptureFixture) -> None:
    emitter = EventEmitter()
    got: list[int] = []

    def bad(value: int) -> None:
        raise RuntimeError("boom")

    emitter.on("x", bad)
    emitter.on("x", got.append)
    emitter.emit("x", 5)
    assert got == [5]
    assert emitter.handler_errors == 1
    assert "boom" in caplog.text


async def test_coroutine_handlers_are_owned_and_cancelled() -> None:
    emitter = EventEmitter()
    started = asyncio.Event()
    finished: list[str] = []

    @emitter.on("slow")
    async def slow() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        finally:
            finished.append("cleaned up")

    @emitter.on("fail")
    async def fail() -> None:
        raise ValueError("async boom")

    emitter.emit("slow")
    emitter.emit("fail")
    await started.wait()
    await asyncio.sleep(0)
    assert emitter.handler_errors == 1
    await emitter.cancel_handlers()
    assert finished == ["cleaned up"]


async def test_operations_run_in_call_order_even_when_racing() -> None:
    order: list[str] = []
    empties: list[int] = []
    chain = OperationsChain(on_empty=lambda: empties.append(len(order)))

    def op(name: str, delay: float) -> asyncio.Future[str]:
        async def run() -> str:
            order.append(f"start {name}")
            await asyncio.sleep(delay)
            order.append(f"end {name}")
            return name

        return chain.enqueue(run)

    results = await asyncio.gather(op("a", 0.03), op("b", 0.0), op("c", 0.01))
    assert list(results) == ["a", "b", "c"]
    assert order == ["start a", "end a", "start b", "end b", "start c", "end c"]
    assert empties == [6]


async def test_a_failed_operation_does_not_stop_the_chain() -> None:
    chain = OperationsChain(on_empty=lambda: None)

    async def fail() -> None:
        raise InvalidStateError("nope")

    async def ok() -> int:
        return 1

    first = chain.enqueue(fail)
    second = chain.enqueue(ok)
    with pytest.raises(InvalidStateError):
        await first
    assert await second == 1


async def test_close_cancels_queued_operations_and_refuses_new_ones() -> None:
    chain = OperationsChain(on_empty=lambda: None)
    release = asyncio.Event()

    async def blocked() -> None:
        await release.wait()

    first = chain.enqueue(blocked)
    second = chain.enqueue(blocked)
    await asyncio.sleep(0)
    await chain.close()
    assert first.cancelled() and second.cancelled()
    with pytest.raises(InvalidStateError):
        chain.enqueue(blocked)
