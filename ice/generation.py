"""One ICE *generation* (RFC 8445 §9): the credentials, the peer's candidates and the check list.

An ICE restart starts a new generation with new credentials; the agent keeps the previous one
only while its selected pair still carries data.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from .candidate import RemoteCandidate
from .checklist import CheckList

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

    def add_remote(self, remote: RemoteCandidate) -> None:
        self.remote_candidates.append(remote)
        self.remote_by_address[remote.address] = remote
