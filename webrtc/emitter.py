"""Events the way aiortc users register them: ``@pc.on("track")``.

Coroutine handlers run as tasks that the emitter owns: :meth:`EventEmitter.cancel_handlers`
(called by ``close()``) cancels and awaits them, so nothing is left running after a
connection closes. A handler that raises is logged and counted in ``handler_errors``; it never
breaks the transport that emitted the event, and it is never turned into an ``error`` event.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import Any, TypeVar, overload

logger = logging.getLogger(__name__)

Handler = Callable[..., Any]
H = TypeVar("H", bound=Handler)


class EventEmitter:
    def __init__(self) -> None:
        self._listeners: dict[str, list[tuple[Handler, bool]]] = {}
        self._handler_tasks: set[asyncio.Task[Any]] = set()
        self.handler_errors = 0

    @overload
    def on(self, event: str) -> Callable[[H], H]: ...
    @overload
    def on(self, event: str, handler: H) -> H: ...
    def on(self, event: str, handler: H | None = None) -> Any:
        """Register ``handler`` for ``event``; without a handler, return a decorator."""
        if handler is None:

            def decorator(f: H) -> H:
                self._add(event, f, once=False)
                return f

            return decorator
        self._add(event, handler, once=False)
        return handler

    @overload
    def once(self, event: str) -> Callable[[H], H]: ...
    @overload
    def once(self, event: str, handler: H) -> H: ...
    def once(self, event: str, handler: H | None = None) -> Any:
        """Like :meth:`on`, but the handler is removed after its first call."""
        if handler is None:

            def decorator(f: H) -> H:
                self._add(event, f, once=True)
                return f

            return decorator
        self._add(event, handler, once=True)
        return handler

    def _add(self, event: str, handler: Handler, *, once: bool) -> None:
        self._listeners.setdefault(event, []).append((handler, once))

    def remove_listener(self, event: str, handler: Handler) -> None:
        entries = self._listeners.get(event, [])
        for i, (f, _) in enumerate(entries):
            if f is handler:
                del entries[i]
                return

    off = remove_listener

    def remove_all_listeners(self, event: str | None = None) -> None:
        if event is None:
            self._listeners.clear()
        else:
            self._listeners.pop(event, None)

    def listeners(self, event: str) -> list[Handler]:
        return [f for f, _ in self._listeners.get(event, [])]

    def emit(self, event: str, *args: Any) -> bool:
        """Call every handler of ``event`` now; True if there was at least one."""
        entries = self._listeners.get(event)
        if not entries:
            return False
        for handler, once in list(entries):
            if once:
                self.remove_listener(event, handler)
            try:
                result = handler(*args)
            except Exception:
                self.handler_errors += 1
                logger.exception("%r handler for %r raised", event, type(self).__name__)
                continue
            if inspect.isawaitable(result):
                self._schedule(event, result)
        return True

    def _schedule(self, event: str, awaitable: Any) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.handler_errors += 1
            logger.error("coroutine handler for %r needs a running event loop", event)
            if inspect.iscoroutine(awaitable):
                awaitable.close()
            return
        task = loop.create_task(awaitable)
        self._handler_tasks.add(task)
        task.add_done_callback(self._handler_done)

    def _handler_done(self, task: asyncio.Task[Any]) -> None:
        self._handler_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.handler_errors += 1
            logger.error("event handler raised", exc_info=task.exception())

    async def cancel_handlers(self) -> None:
        """Cancel the coroutine handlers still running and wait until they have ended."""
        current = asyncio.current_task()
        tasks = [t for t in self._handler_tasks if t is not current]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
