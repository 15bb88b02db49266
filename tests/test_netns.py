"""The namespace helper isolates the calling thread, and restores it."""

from __future__ import annotations

import socket

import ifaddr

from tests.netns import network_namespace


def _interfaces() -> set[str]:
    return {a.nice_name for a in ifaddr.get_adapters()}


def test_thread_moves_in_and_out() -> None:
    outside = _interfaces()
    with network_namespace("wrtc-test-netns", veth=True) as ns:
        inside = _interfaces()
        assert inside == {"lo", "vt0", "vt1"}
        assert ns.veth_addresses is not None
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        a.bind((ns.veth_addresses[0], 0))
        b.bind((ns.veth_addresses[1], 0))
        a.sendto(b"hello", b.getsockname())
        b.settimeout(2)
        assert b.recvfrom(100)[0] == b"hello"
        a.close()
        b.close()
    assert _interfaces() == outside
