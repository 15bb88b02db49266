"""Local and remote candidates, their priorities and foundations (RFC 8445 §5.1.2, §6.1.2.3).

The wire form of a candidate is :class:`sdp.Candidate`; the records here add what the agent needs
and SDP does not carry: the *base* of a local candidate (the socket it sends from) and parsed
addresses. Addresses are ``(ip, port)`` with the IP in canonical text form.
"""

from __future__ import annotations

import ipaddress
import zlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from sdp import Candidate

Address = tuple[str, int]


class CandidateType(StrEnum):
    HOST = "host"
    SERVER_REFLEXIVE = "srflx"
    PEER_REFLEXIVE = "prflx"
    RELAYED = "relay"


TYPE_PREFERENCE: Final[dict[str, int]] = {
    CandidateType.HOST: 126,
    CandidateType.PEER_REFLEXIVE: 110,
    CandidateType.SERVER_REFLEXIVE: 100,
    CandidateType.RELAYED: 0,
}
"""RFC 8445 §5.1.2.2 recommended type preferences."""


def candidate_priority(kind: str, local_preference: int = 65535, component: int = 1) -> int:
    """priority = 2^24·type-pref + 2^8·local-pref + (256 − component)  (RFC 8445 §5.1.2.1)."""
    return (TYPE_PREFERENCE.get(kind, 0) << 24) + (local_preference << 8) + (256 - component)


def pair_priority(controlling: int, controlled: int) -> int:
    """2^32·MIN(G,D) + 2·MAX(G,D) + (G>D ? 1 : 0), G the controlling side's (RFC 8445 §6.1.2.3)."""
    return (
        (min(controlling, controlled) << 32)
        + 2 * max(controlling, controlled)
        + (1 if controlling > controlled else 0)
    )


def candidate_foundation(kind: str, base_ip: str, server: str | None = None) -> str:
    """Same type, base IP, server and transport ⇒ same foundation (RFC 8445 §5.1.1.3).

    A CRC of those facts, in decimal: short, stable across restarts, and made of ice-chars.
    """
    return str(zlib.crc32(f"{kind}|{base_ip}|{server or ''}|udp".encode()))


def is_ipv6(host: str) -> bool:
    return ":" in host


def canonical_ip(text: str) -> str | None:
    """The canonical text form of an IP literal, or None if ``text`` is not one (mDNS names…)."""
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        return None


@dataclass(eq=False, slots=True)
class LocalCandidate:
    """One of our candidates. Identity matters (pairs point at it), so no value equality."""

    type: CandidateType
    address: Address
    """The transport address announced to the peer."""
    base: Address
    """The socket it sends from (RFC 8445 §5.1.1.1); equal to ``address`` for a plain host."""
    priority: int
    foundation: str
    related: Address | None = None
    component: int = 1
    ufrag: str | None = None
    generation: int = 0

    def to_sdp(self) -> Candidate:
        return Candidate(
            foundation=self.foundation,
            component=self.component,
            transport="udp",
            priority=self.priority,
            address=self.address[0],
            port=self.address[1],
            type=str(self.type),
            related_address=self.related[0] if self.related else None,
            related_port=self.related[1] if self.related else None,
            generation=self.generation,
            ufrag=self.ufrag,
        )


@dataclass(eq=False, slots=True)
class RemoteCandidate:
    """A candidate of the peer: signalled, or learnt from a check (peer-reflexive, §7.3.1.3)."""

    type: str
    address: Address
    priority: int
    foundation: str
    component: int = 1
    signalled: Candidate | None = None
    """The line the peer sent, kept verbatim for stats; None for a learnt peer-reflexive one."""

    @classmethod
    def from_sdp(cls, candidate: Candidate, host: str) -> RemoteCandidate:
        return cls(
            type=candidate.type,
            address=(host, candidate.port),
            priority=candidate.priority,
            foundation=candidate.foundation,
            component=candidate.component,
            signalled=candidate,
        )

    def to_sdp(self) -> Candidate:
        if self.signalled is not None:
            return self.signalled
        return Candidate(
            foundation=self.foundation,
            component=self.component,
            transport="udp",
            priority=self.priority,
            address=self.address[0],
            port=self.address[1],
            type=str(self.type),
        )
