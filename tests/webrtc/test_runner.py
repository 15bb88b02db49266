"""``webrtc.run``: uvloop when installed (the test set-up installs the ``fast`` extra)."""

from __future__ import annotations

import inspect
import sys

import pytest

import webrtc
from webrtc.runner import loop_name


async def _which(value: int) -> tuple[str, int]:
    return loop_name(), value


def test_run_takes_uvloop_when_installed() -> None:
    assert webrtc.run(_which(7)) == ("uvloop", 7)


def test_run_can_keep_stock_asyncio() -> None:
    assert webrtc.run(_which(3), uvloop=False) == ("asyncio", 3)


def test_insisting_on_a_missing_uvloop_raises_and_closes_the_coroutine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import now fails
    coroutine = _which(1)
    with pytest.raises(ImportError):
        webrtc.run(coroutine, uvloop=True)
    assert inspect.getcoroutinestate(coroutine) == inspect.CORO_CLOSED  # no "never awaited"
    assert webrtc.run(_which(2)) == ("asyncio", 2)  # the default falls back
