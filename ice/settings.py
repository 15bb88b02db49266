"""Every knob of the ICE agent in one frozen dataclass, with documented defaults.

The spirit is Pion's ``AgentConfig``: one object, validated when built, passed to the agent and
its asyncio layer. Defaults follow Pion and the RFCs where they agree and say so where we choose.
Gathering options (network types, filters, loopback, port range, STUN URIs) are used by the
asyncio layer that owns the sockets; the sans-IO agent reads the rest.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from .errors import IceConfigError
from .uri import ServerUri

_ICE_CHARS = re.compile(r"[A-Za-z0-9+/]+\Z")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class NetworkType(StrEnum):
    UDP4 = "udp4"
    UDP6 = "udp6"


class Nat1To1CandidateType(StrEnum):
    HOST = "host"
    """Host candidates announce the public address instead of the local one (Pion's default)."""
    SRFLX = "srflx"
    """A server-reflexive candidate with the public address is added next to each host one."""


def validate_ufrag(ufrag: str) -> str:
    """RFC 8839 §5.4: ice-ufrag is 4 to 256 ice-chars."""
    if not 4 <= len(ufrag) <= 256 or not _ICE_CHARS.match(ufrag):
        raise IceConfigError(f"ice-ufrag must be 4-256 characters of [A-Za-z0-9+/]: {ufrag!r}")
    return ufrag


def validate_pwd(pwd: str) -> str:
    """RFC 8839 §5.4: ice-pwd is 22 to 256 ice-chars."""
    if not 22 <= len(pwd) <= 256 or not _ICE_CHARS.match(pwd):
        raise IceConfigError("ice-pwd must be 22-256 characters of [A-Za-z0-9+/]")
    return pwd


@dataclass(frozen=True, slots=True)
class IceSettings:
    """Configuration of one ICE agent. Build it once; it is immutable."""

    # --- gathering (used by the asyncio layer) ----------------------------------------------------
    network_types: frozenset[NetworkType] = frozenset({NetworkType.UDP4, NetworkType.UDP6})
    """Address families to gather host candidates on."""
    interface_filter: Callable[[str], bool] | None = None
    """Called with each interface name (``"eth0"``, ``"lo"``); False leaves the interface out."""
    ip_filter: Callable[[IPAddress], bool] | None = None
    """Called with each address; False leaves it out."""
    include_loopback: bool = False
    """Gather 127.0.0.0/8 and ::1. Off by default as in Pion; tests turn it on."""
    port_min: int = 0
    port_max: int = 0
    """Bind host sockets to a port in [port_min, port_max]; 0/0 lets the system choose."""
    socket_buffer_size: int = 4 * 1024 * 1024
    """SO_RCVBUF and SO_SNDBUF asked for each socket (the kernel caps it at rmem_max/wmem_max);
    0 keeps the system default."""
    stun_servers: tuple[str, ...] = ()
    """``stun:host[:port]`` URIs (RFC 7064). No default: nothing is contacted unless asked."""

    # --- checks and liveness (RFC 8445, RFC 7675) -------------------------------------------------
    controlling: bool = False
    """The role before ``dial``/``accept`` say otherwise (used to answer early checks)."""
    lite: bool = False
    """ICE-lite (RFC 8445 §2.5): host candidates only, answer checks, never send them."""
    check_interval: float = 0.05
    """Ta, the pacing of ordinary checks (RFC 8445 §14.2 suggests 50 ms; Pion uses 200 ms)."""
    stun_rto: float = 0.5
    """Initial retransmission timeout of connectivity checks (RFC 8489 §6.2.1)."""
    stun_max_rto: float = 1.6
    """Cap on the doubling RTO of connectivity checks, so a dead pair fails in under 10 s."""
    stun_max_transmits: int = 7
    """Rc: requests per check before the pair fails (Pion's maxBindingRequests is also 7)."""
    nomination_wait: float = 0.5
    """How long the controlling agent waits for a better pair once one has succeeded."""
    keepalive_interval: float = 2.0
    """Consent-freshness requests on the selected pair (RFC 7675 §5.1, ±20 % jitter); they are
    also the RFC 8445 §11 keepalives. Pion's default."""
    disconnected_timeout: float = 5.0
    """Without a consent response for this long the state becomes ``disconnected`` (Pion)."""
    failed_timeout: float = 25.0
    """After ``disconnected``, this much more silence makes it ``failed`` (Pion); 5 + 25 s is
    RFC 7675's 30 s consent lifetime. A checklist with no selected pair this long also fails."""
    stun_gather_timeout: float = 5.0
    """How long to wait for STUN servers while gathering before completing without them."""

    # --- identity and addresses -----------------------------------------------------------------
    local_ufrag: str | None = None
    local_pwd: str | None = None
    """Fixed credentials instead of random ones (the first generation only; restarts draw new)."""
    nat_1to1_ips: tuple[str, ...] = ()
    """Public addresses to announce (Pion's SetNAT1To1IPs): ``"203.0.113.7"`` for every local
    address of that family, or ``"203.0.113.7/10.0.0.2"`` for one local address."""
    nat_1to1_candidate_type: Nat1To1CandidateType = Nat1To1CandidateType.HOST

    # --- limits against a hostile peer -----------------------------------------------------------
    max_remote_candidates: int = 100
    """Signalled and peer-reflexive remote candidates kept per generation; more are dropped."""
    max_early_checks: int = 64
    """Checks received before ``start`` that are remembered for triggered checks."""
    software: str | None = None
    """SOFTWARE attribute to put in our requests (none by default: it costs bytes per check)."""

    parsed_stun_servers: tuple[ServerUri, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in (
            "check_interval",
            "stun_rto",
            "stun_max_rto",
            "keepalive_interval",
            "disconnected_timeout",
            "failed_timeout",
            "stun_gather_timeout",
        ):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not value > 0:
                raise IceConfigError(f"{name} must be a positive number of seconds, not {value!r}")
        if self.nomination_wait < 0:
            raise IceConfigError("nomination_wait must not be negative")
        if self.stun_max_transmits < 1:
            raise IceConfigError("stun_max_transmits must be at least 1")
        if not self.network_types or not all(
            isinstance(t, NetworkType) for t in self.network_types
        ):
            raise IceConfigError("network_types needs at least one NetworkType")
        if not (0 <= self.port_min <= 65535 and 0 <= self.port_max <= 65535):
            raise IceConfigError("ports must be within 0-65535")
        if (self.port_min or self.port_max) and not 0 < self.port_min <= self.port_max:
            raise IceConfigError("port range needs 0 < port_min <= port_max")
        if self.local_ufrag is not None:
            validate_ufrag(self.local_ufrag)
        if self.local_pwd is not None:
            validate_pwd(self.local_pwd)
        if self.max_remote_candidates < 1 or self.max_early_checks < 0:
            raise IceConfigError("limits must be positive")
        for entry in self.nat_1to1_ips:
            for part in entry.split("/"):
                try:
                    ipaddress.ip_address(part)
                except ValueError as exc:
                    raise IceConfigError(f"bad NAT 1:1 address {entry!r}") from exc
        uris = []
        for text in self.stun_servers:
            uri = ServerUri.parse(text)
            if uri.scheme != "stun":
                raise IceConfigError(
                    f"only stun: URIs are used for gathering here, not {uri.scheme}: ({text!r})"
                )
            uris.append(uri)
        object.__setattr__(self, "parsed_stun_servers", tuple(uris))

    def nat_1to1_address(self, local_ip: str) -> str | None:
        """The public address to announce for ``local_ip``, or None (Pion's 1:1 NAT mapping)."""
        if not self.nat_1to1_ips:
            return None
        v6 = ":" in local_ip
        fallback = None
        for entry in self.nat_1to1_ips:
            public, _, local = entry.partition("/")
            if (":" in public) != v6:
                continue
            if local:
                if ipaddress.ip_address(local) == ipaddress.ip_address(local_ip):
                    return ipaddress.ip_address(public).compressed
            elif fallback is None:
                fallback = ipaddress.ip_address(public).compressed
        return fallback
