"""The namespace helpers isolate the calling thread, and restore it."""

from __future__ import annotations

import socket

import ifaddr

from tests.netns import network_namespace


def _interfaces() -> set[str]:
    return {a.nice_name for a in ifaddr.get_adapters()}


def test_thread_moves_in_and_out() -> None:
    outside = _interfaces()
    with network_namespace(veth=True) as ns:
        assert _interfaces() == {"lo", "v0", "v1"}
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        a.bind((ns.addresses[0], 0))
        b.bind((ns.addresses[1], 0))
        a.sendto(b"hello", b.getsockname())
        b.settimeout(2)
        assert b.recvfrom(100)[0] == b"hello"
        a.close()
        b.close()
    assert _interfaces() == outside
    with network_namespace():
        assert _interfaces() == {"lo"}
    assert _interfaces() == outside
