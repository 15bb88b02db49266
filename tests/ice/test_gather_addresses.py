"""Which local addresses gathering uses, checked inside a test-owned network namespace whose veth
ends carry IPv4 addresses and IPv6 link-local ones (the kernel adds those by itself)."""

from __future__ import annotations

import ipaddress

from ice import IceSettings, NetworkType
from ice.gather import local_addresses
from tests.netns import Namespace, run_in_namespace, veth_namespace


async def _enumerate(ns: Namespace) -> dict[str, list[str]]:
    in_ns = IceSettings(interface_filter=lambda name: name in (*ns.interfaces, "lo"))
    return {
        "default": local_addresses(in_ns),
        "loopback": local_addresses(
            IceSettings(interface_filter=in_ns.interface_filter, include_loopback=True)
        ),
        "udp6": local_addresses(
            IceSettings(
                interface_filter=in_ns.interface_filter,
                network_types=frozenset({NetworkType.UDP6}),
            )
        ),
        "v1 only": local_addresses(IceSettings(interface_filter=lambda name: name == "v1")),
        "ip filter": local_addresses(
            IceSettings(
                interface_filter=in_ns.interface_filter,
                ip_filter=lambda ip: ip != ipaddress.ip_address(ns.addresses[0]),
            )
        ),
        "link-local present": [  # this thread's view: the namespace's interfaces
            line.split()[-1]
            for line in open("/proc/thread-self/net/if_inet6").read().splitlines()
            if line.startswith("fe80")
        ],
    }


def test_gathered_addresses_follow_the_settings() -> None:
    with veth_namespace() as ns:
        found = run_in_namespace(ns, lambda: _enumerate(ns))
    assert sorted(found["link-local present"]) == ["v0", "v1"]  # there, but never gathered
    assert sorted(found["default"]) == sorted(ns.addresses)  # no loopback, no link-local
    assert sorted(found["loopback"]) == sorted([*ns.addresses, "127.0.0.1", "::1"])
    assert found["udp6"] == []  # only link-local IPv6 there
    assert found["v1 only"] == [ns.addresses[1]]
    assert found["ip filter"] == [ns.addresses[1]]
