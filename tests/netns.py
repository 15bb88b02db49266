"""Network namespaces a test creates and owns: addresses that belong to no real network.

Some peers (aioice, browsers) refuse to gather loopback addresses, and this machine's own
interface addresses are off limits. A namespace with a veth pair whose two ends both live inside
it gives two ordinary private addresses that only the test can reach::

    with veth_namespace() as ns:                       # lo up, v0 = ns.addresses[0], v1 = …[1]
        result = run_in_namespace(ns, some_async_main)  # runs asyncio.run() inside it

``run_in_namespace`` runs the coroutine in a fresh thread that first joins the namespace with
``setns(2)``: the thread's sockets, and ifaddr's interface list, are the namespace's, while the rest
of the test process stays where it was. Needs root and iproute2; fails loudly without them.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import itertools
import os
import random
import shutil
import subprocess
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
CLONE_NEWNET = 0x40000000
_counter = itertools.count()


@dataclass(frozen=True)
class Namespace:
    name: str
    interfaces: tuple[str, str]
    addresses: tuple[str, str]
    """IPv4 addresses of ``interfaces``, in one /24 that nothing outside the namespace uses."""


def _ip(*args: str) -> None:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)} failed: {result.stderr.strip()}")


@contextlib.contextmanager
def veth_namespace(*, veth: bool = True) -> Iterator[Namespace]:
    """A fresh namespace with ``lo`` up and, unless ``veth=False``, the veth pair inside it."""
    if os.geteuid() != 0:
        raise RuntimeError("network-namespace tests need root (ip netns add)")
    if shutil.which("ip") is None:
        raise RuntimeError("network-namespace tests need iproute2's 'ip' command")
    name = f"wrtc-{os.getpid()}-{next(_counter)}"
    net = f"10.{random.randrange(100, 250)}.{random.randrange(256)}"
    ns = Namespace(name, ("v0", "v1"), (f"{net}.1", f"{net}.2"))
    _ip("netns", "add", name)
    try:
        _ip("-n", name, "link", "set", "lo", "up")
        if veth:
            _ip("-n", name, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
            for interface, address in zip(ns.interfaces, ns.addresses, strict=True):
                _ip("-n", name, "addr", "add", f"{address}/24", "dev", interface)
                _ip("-n", name, "link", "set", interface, "up")
        yield ns
    finally:
        _ip("netns", "del", name)


def run_in_namespace(ns: Namespace, main: Callable[[], Awaitable[T]]) -> T:
    """Run ``asyncio.run(main())`` in a thread inside ``ns`` and return its result (or raise)."""
    outcome: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(f"/run/netns/{ns.name}", os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns into the test namespace failed")
            finally:
                os.close(fd)

            async def wrapped() -> T:
                return await main()

            outcome.append(asyncio.run(wrapped()))
        except BaseException as exc:  # handed to the calling thread
            failure.append(exc)

    thread = threading.Thread(target=target, name=f"netns-{ns.name}")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return outcome[0]


@contextlib.contextmanager
def joined(ns: Namespace) -> Iterator[Namespace]:
    """Move the *calling thread* into ``ns`` for the block, and back afterwards.

    For tests that run on pytest's own event loop: sockets opened and processes started
    (Chromium) inside the block belong to the namespace.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    original = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{ns.name}", os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns into the test namespace failed")
        try:
            yield ns
        finally:
            if libc.setns(original, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back to the original namespace failed")
    finally:
        os.close(target)
        os.close(original)


@contextlib.contextmanager
def network_namespace(*, veth: bool = False) -> Iterator[Namespace]:
    """A fresh namespace (``lo`` up, optionally the veth pair) joined by the calling thread."""
    with veth_namespace(veth=veth) as ns, joined(ns):
        yield ns
