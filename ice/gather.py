"""Gathering's I/O half: local addresses from ifaddr, sockets bound in the port range, and the
STUN servers' names resolved (the sans-IO half is :mod:`ice.gathering`).

Addresses follow the settings: network types, interface and IP filters, loopback only when
``include_loopback`` is set, and never link-local (RFC 8445 §5.1.1.1 allows them, but they only
work on one link and browsers leave them out too).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import socket
from collections.abc import Sequence

import ifaddr

from .settings import IceSettings, NetworkType
from .uri import ServerUri

logger = logging.getLogger(__name__)

Address = tuple[str, int]


def local_addresses(settings: IceSettings) -> list[str]:
    """The IP addresses to gather host candidates on, in interface order, without duplicates."""
    found: list[str] = []
    for adapter in ifaddr.get_adapters():
        name = str(adapter.name)
        if settings.interface_filter is not None and not settings.interface_filter(name):
            continue
        for entry in adapter.ips:
            raw = entry.ip if isinstance(entry.ip, str) else entry.ip[0]
            try:
                ip = ipaddress.ip_address(raw.split("%")[0])
            except ValueError:
                continue
            wanted = NetworkType.UDP4 if ip.version == 4 else NetworkType.UDP6
            if wanted not in settings.network_types:
                continue
            if ip.is_link_local or ip.is_multicast or ip.is_unspecified:
                continue
            if ip.is_loopback and not settings.include_loopback:
                continue
            if settings.ip_filter is not None and not settings.ip_filter(ip):
                continue
            text = ip.compressed
            if text not in found:
                found.append(text)
    return found


def bind_socket(host: str, settings: IceSettings, rng: random.Random) -> socket.socket:
    """A non-blocking UDP socket bound to ``host`` and a port of the configured range.

    Raises OSError when no port is free (or the address cannot be bound).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    if settings.port_min:
        ports = list(range(settings.port_min, settings.port_max + 1))
        start = rng.randrange(len(ports))
        ports = ports[start:] + ports[:start]
    else:
        ports = [0]
    last_error: OSError | None = None
    for port in ports:
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            last_error = exc
            continue
        _size_buffers(sock, settings.socket_buffer_size)
        sock.setblocking(False)
        return sock
    raise last_error or OSError(f"no port to bind on {host}")


def _size_buffers(sock: socket.socket, size: int) -> None:
    """Ask for large kernel buffers: a peer's burst (a congestion window of SCTP data) must not
    overflow the 208 KiB default while the event loop is busy sending. The kernel caps the
    request at ``net.core.rmem_max``/``wmem_max``; that is not an error."""
    if size <= 0:
        return
    for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, size)
        except OSError:
            pass


async def resolve_servers(
    uris: Sequence[ServerUri], settings: IceSettings, loop: asyncio.AbstractEventLoop
) -> list[Address]:
    """The IP addresses of the STUN servers, for the families we gather (RFC 7064 §3.1: DNS A/AAAA).

    A name that does not resolve is logged and skipped; gathering goes on without it.
    """
    want4 = NetworkType.UDP4 in settings.network_types
    want6 = NetworkType.UDP6 in settings.network_types
    out: list[Address] = []
    for uri in uris:
        if uri.host_is_ip:
            candidates = [(ipaddress.ip_address(uri.host).compressed, uri.port)]
        else:
            try:
                infos = await loop.getaddrinfo(uri.host, uri.port, type=socket.SOCK_DGRAM)
            except OSError as exc:
                logger.warning("cannot resolve STUN server %s: %s", uri, exc)
                continue
            candidates = [(str(info[4][0]), int(info[4][1])) for info in infos]
        for host, port in candidates:
            v6 = ":" in host
            if (want6 if v6 else want4) and (host, port) not in out:
                out.append((host, port))
    return out
