"""One ICE *generation* (RFC 8445 §9): the credentials, the peer's candidates and the check list.

An ICE restart starts a new generation with new credentials; the agent keeps the previous one
only while its selected pair still carries data.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from sdp import Candidate

from .candidate import CandidateType, RemoteCandidate, candidate_foundation, canonical_ip
from .checklist import CheckList
from .stats import AgentStats

Address = tuple[str, int]
_ICE_CHARS: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def random_ice_string(token_bytes: Callable[[int], bytes], length: int) -> str:
    """``length`` ice-chars (RFC 8839 §5.4) from a secret source; 64 symbols, so no bias."""
    return "".join(chr(_ICE_CHARS[b & 63]) for b in token_bytes(length))


@dataclass(slots=True)
class IncomingCheck:
    """An authenticated connectivity check, reduced to what the check list learns from it."""

    local: Address
    remote: Address
    priority: int
    use_candidate: bool


@dataclass(eq=False)
class Generation:
    number: int
    ufrag: str
    pwd: str
    remote_ufrag: str | None = None
    remote_pwd: str | None = None
    remote_lite: bool = False
    started_at: float | None = None
    """When the peer's credentials arrived and checking began (None: not yet)."""
    end_of_candidates: bool = False
    first_valid_at: float | None = None
    remote_candidates: list[RemoteCandidate] = field(default_factory=list)
    remote_by_address: dict[Address, RemoteCandidate] = field(default_factory=dict)
    checklist: CheckList = field(default_factory=CheckList)
    early_checks: deque[IncomingCheck] = field(default_factory=deque)
    """Checks that arrived before the peer's credentials (RFC 8445 §7.3: answer, then remember)."""

    @property
    def key(self) -> bytes:
        """Our short-term key: what peers sign their checks to us with (RFC 8445 §7.2.2)."""
        return self.pwd.encode()

    @property
    def remote_key(self) -> bytes:
        return (self.remote_pwd or "").encode()

    def add_signalled(
        self, candidate: Candidate, stats: AgentStats, limit: int
    ) -> RemoteCandidate | None:
        """Take a candidate from signalling; the new record, or None if ignored or known.

        Only UDP candidates of component 1 with an IP address are usable (mDNS names and the
        RTCP component are not); one marked with another generation's ufrag is stale. A
        candidate already learnt as peer-reflexive is upgraded in place (RFC 8445 §7.3.1.3).
        """
        host = canonical_ip(candidate.address)
        if (
            candidate.protocol != "udp"
            or candidate.component != 1
            or host is None
            or (candidate.ufrag is not None and self.remote_ufrag not in (None, candidate.ufrag))
        ):
            stats.remote_candidates_dropped += 1
            return None
        existing = self.remote_by_address.get((host, candidate.port))
        if existing is not None:
            if existing.type == CandidateType.PEER_REFLEXIVE:
                existing.type, existing.priority = candidate.type, candidate.priority
                existing.foundation, existing.signalled = candidate.foundation, candidate
                for pair in self.checklist:
                    if pair.remote is existing:
                        self.checklist.reprioritize(pair)
            return None
        if len(self.remote_candidates) >= limit:
            stats.remote_candidates_dropped += 1
            return None
        remote = RemoteCandidate.from_sdp(candidate, host)
        self._add(remote)
        return remote

    def remote_for_check(
        self, check: IncomingCheck, stats: AgentStats, limit: int
    ) -> RemoteCandidate | None:
        """The remote candidate a check came from, learnt as peer-reflexive if new (§7.3.1.3)."""
        remote = self.remote_by_address.get(check.remote)
        if remote is None:
            if len(self.remote_candidates) >= limit:
                stats.remote_candidates_dropped += 1
                return None
            host, port = check.remote
            remote = RemoteCandidate(
                type=CandidateType.PEER_REFLEXIVE,
                address=check.remote,
                priority=check.priority,
                foundation=candidate_foundation(CandidateType.PEER_REFLEXIVE, host, str(port)),
            )
            self._add(remote)
        return remote

    def _add(self, remote: RemoteCandidate) -> None:
        self.remote_candidates.append(remote)
        self.remote_by_address[remote.address] = remote
