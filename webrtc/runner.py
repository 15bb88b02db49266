"""``webrtc.run``: the one line that puts an application on the fastest event loop installed.

A library must not swap the event loop behind its user's back, so importing ``webrtc`` never
does; an application that wants uvloop (the ``fast`` extra) calls ``webrtc.run(main())``
instead of ``asyncio.run(main())``. Without uvloop installed it is ``asyncio.run``: our ICE
sockets read in batches on stock asyncio too, so the stack stays fast there (bench/README.md).
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Coroutine
from typing import Any, TypeVar

from ice.udp import is_uvloop

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T], *, uvloop: bool | None = None, debug: bool = False) -> T:
    """Run ``main`` to completion on uvloop when it is installed, else on asyncio's loop.

    ``uvloop=True`` insists (ImportError if missing), ``False`` keeps stock asyncio.
    """
    if uvloop is not False:
        try:
            module = importlib.import_module("uvloop")
        except ImportError:
            if uvloop:
                main.close()
                raise
        else:
            with asyncio.Runner(loop_factory=module.new_event_loop, debug=debug) as runner:
                return runner.run(main)
    return asyncio.run(main, debug=debug)


def loop_name() -> str:
    """The running loop's family ("uvloop" or "asyncio"), for logs and benchmarks."""
    return "uvloop" if is_uvloop(asyncio.get_running_loop()) else "asyncio"
