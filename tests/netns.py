"""Network namespaces for tests that need a network of their own (the tests run as root).

:func:`network_namespace` creates a namespace with ``lo`` up (and, on request, a veth pair
whose two ends both live in it, for peers such as aiortc that refuse loopback addresses),
moves the *calling thread* into it, and moves it back and deletes the namespace afterwards.
Sockets made meanwhile, and processes started meanwhile (Chromium), belong to the namespace,
so nothing a test sends can leave the machine or reach its real interfaces.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL("libc.so.6", use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns failed: {os.strerror(err)}")


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@dataclass(frozen=True)
class Namespace:
    name: str
    veth_addresses: tuple[str, str] | None
    """The two addresses of the in-namespace veth pair, when one was asked for."""


@contextmanager
def network_namespace(name: str | None = None, *, veth: bool = False) -> Iterator[Namespace]:
    name = name or f"wrtc-test-{os.getpid()}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30)
    _ip("netns", "add", name)
    addresses: tuple[str, str] | None = None
    try:
        _ip("-n", name, "link", "set", "lo", "up")
        if veth:
            addresses = ("10.213.0.1", "10.213.0.2")
            _ip("-n", name, "link", "add", "vt0", "type", "veth", "peer", "name", "vt1")
            for dev, addr in zip(("vt0", "vt1"), addresses, strict=True):
                _ip("-n", name, "addr", "add", f"{addr}/24", "dev", dev)
                _ip("-n", name, "link", "set", dev, "up")
        original = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(f"/run/netns/{name}", os.O_RDONLY)
        try:
            _setns(target)
            try:
                yield Namespace(name, addresses)
            finally:
                _setns(original)
        finally:
            os.close(target)
            os.close(original)
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30)
