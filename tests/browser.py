"""Debian's Chromium, headless, driven by Playwright, as a WebRTC peer for interop tests.

Launch it inside :func:`tests.netns.network_namespace` so that it gathers nothing but the
namespace's own addresses. The page is served by Playwright's request routing (no HTTP server)
from http://127.0.0.1, a secure context, and holds ``window.peer``: one RTCPeerConnection that
echoes every data-channel message back, with a small API the tests call through ``evaluate``.
Browser-side events (candidates, channel opens, messages) reach Python through an exposed
function and wait in one asyncio queue per kind.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
PAGE_URL = "http://127.0.0.1:8000/"
PAGE_JS = (Path(__file__).resolve().parent / "browser_peer.js").read_text()


class BrowserPeer:
    """Calls into the page's ``peer`` object and receives its events."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self._queues: dict[str, asyncio.Queue[dict[str, Any]]] = {}

    def _queue(self, kind: str) -> asyncio.Queue[dict[str, Any]]:
        return self._queues.setdefault(kind, asyncio.Queue())

    def _on_event(self, text: str) -> None:
        event = json.loads(text)
        self._queue(event["type"]).put_nowait(event)

    async def call(self, method: str, *args: Any) -> Any:
        return await self.page.evaluate("([m, a]) => window.peer[m](...a)", [method, list(args)])

    async def next_event(self, kind: str, timeout: float = 20.0) -> dict[str, Any]:
        """The next browser event of ``kind`` (each kind waits in its own queue)."""
        return await asyncio.wait_for(self._queue(kind).get(), timeout)


@asynccontextmanager
async def chromium_peer(config: dict[str, Any] | None = None) -> AsyncIterator[BrowserPeer]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(permissions=["camera", "microphone"])
            page = await context.new_page()

            async def serve(route: Any) -> None:
                await route.fulfill(
                    status=200,
                    content_type="text/html",
                    body="<!doctype html><title>peer</title><script>" + PAGE_JS + "</script>",
                )

            await page.route(PAGE_URL, serve)
            peer = BrowserPeer(page)
            await page.expose_function("pyEvent", peer._on_event)
            await page.goto(PAGE_URL)
            await page.evaluate("(config) => window.startPeer(config)", config or {})
            yield peer
        finally:
            await browser.close()
