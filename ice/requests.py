"""Our outstanding Binding requests — checks, nominations, consent — and matching their answers.

Each request is a client transaction (RFC 8489 §6.2.1) with the agent's retransmission schedule:
checks and nominations retransmit with a capped RTO and fail after ``stun_max_transmits``;
consent requests are retransmitted twice and then merely expire, since a fresh one follows every
keepalive interval (RFC 7675 §5.1).

:meth:`Requests.match` applies the rules every answer must pass before the agent looks at what
it means: it must answer a request of ours, carry a valid MESSAGE-INTEGRITY signed with the
peer's password (only unauthenticated errors such as 400/401 may come unsigned, and never the
487 that would flip our role), and come from where the request went, to where it came from
(RFC 8445 §7.2.5.2.1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from . import checks
from .candidate import CandidateType, candidate_priority
from .checklist import CandidatePair, PairState
from .errors import StunError
from .generation import Generation
from .output import Outbox
from .settings import IceSettings
from .stats import AgentStats
from .stun import Attr, StunClass, StunMessage
from .stun.transaction import Step, Transaction

Address = tuple[str, int]


class Kind(Enum):
    CHECK = "check"
    NOMINATION = "nomination"
    CONSENT = "consent"


@dataclass(eq=False, slots=True)
class Request:
    kind: Kind
    generation: Generation
    pair: CandidatePair
    data: bytes
    transaction: Transaction
    controlling: bool
    """The role the request claimed, to resolve a 487 answer (RFC 8445 §7.2.5.1)."""
    priority: int
    """The PRIORITY it carried: a learnt local peer-reflexive candidate gets it (§7.2.5.3.1)."""


@dataclass(frozen=True, slots=True)
class Answer:
    request: Request
    error: tuple[int, str] | None
    """(code, reason) for an error response, None for a success."""
    mapped: Address | None
    """XOR-MAPPED-ADDRESS (or MAPPED-ADDRESS) of a success, None if absent or malformed."""
    symmetric: bool
    """Came from the address the request went to, to the socket it left from."""


class Requests:
    def __init__(
        self,
        settings: IceSettings,
        out: Outbox,
        token_bytes: Callable[[int], bytes],
        stats: AgentStats,
    ) -> None:
        self._settings = settings
        self._out = out
        self._token_bytes = token_bytes
        self._stats = stats
        self._pending: dict[bytes, Request] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def send(
        self,
        kind: Kind,
        generation: Generation,
        pair: CandidatePair,
        *,
        now: float,
        controlling: bool,
        tie_breaker: int,
    ) -> None:
        settings = self._settings
        tid = self._token_bytes(12)
        # PRIORITY: what a peer-reflexive candidate of ours would have (RFC 8445 §7.1.1).
        local_preference = (pair.local.priority >> 8) & 0xFFFF
        priority = candidate_priority(CandidateType.PEER_REFLEXIVE, local_preference)
        data = checks.build_check(
            transaction_id=tid,
            generation=generation,
            priority=priority,
            controlling=controlling,
            tie_breaker=tie_breaker,
            nominate=kind is Kind.NOMINATION,
            software=settings.software,
        )
        if kind is Kind.CONSENT:
            # Retransmitted twice (0, RTO, 3·RTO), then left to expire: a lossy path must not
            # look dead, and a fresh request follows every keepalive interval anyway.
            transaction = Transaction(
                now=now,
                rto=settings.stun_rto,
                max_transmits=3,
                max_rto=settings.stun_max_rto,
                final_wait=settings.disconnected_timeout,
            )
            pair.stats.consent_requests_sent += 1
        else:
            transaction = Transaction(
                now=now,
                rto=settings.stun_rto,
                max_transmits=settings.stun_max_transmits,
                max_rto=settings.stun_max_rto,
                final_wait=settings.stun_max_rto,
            )
        self._pending[tid] = Request(
            kind, generation, pair, data, transaction, controlling, priority
        )
        if kind is Kind.CHECK:
            pair.state = PairState.IN_PROGRESS
        pair.stats.requests_sent += 1
        self._out.send(data, pair.local.base, pair.remote.address)

    def match(
        self, message: StunMessage, local: Address, remote: Address, *, now: float
    ) -> Answer | None:
        """The answer to one of our requests, which then ends; None if dropped (and counted)."""
        stats = self._stats
        request = self._pending.get(message.transaction_id)
        if request is None:
            stats.responses_unmatched += 1
            return None
        error: tuple[int, str] | None = None
        if message.cls == StunClass.ERROR:
            try:
                error = message.get_error_code() or (400, "")
            except StunError:
                error = (400, "")
        if message.has_integrity:
            if not message.check_integrity(request.generation.remote_key):
                stats.stun_bad_integrity += 1
                return None
        elif error is None or error[0] == 487:
            stats.stun_bad_integrity += 1
            return None
        del self._pending[message.transaction_id]
        pair = request.pair
        if (local, remote) != pair.key:
            stats.responses_wrong_source += 1
            return Answer(request, error, None, symmetric=False)
        pair_stats = pair.stats
        pair_stats.responses_received += 1
        rtt = max(0.0, now - request.transaction.last_sent)
        pair_stats.current_round_trip_time = rtt
        pair_stats.total_round_trip_time += rtt
        mapped = None
        if error is None:
            try:
                mapped = message.get_xor_address(Attr.XOR_MAPPED_ADDRESS) or message.get_address(
                    Attr.MAPPED_ADDRESS
                )
            except StunError:
                mapped = None
        return Answer(request, error, mapped, symmetric=True)

    def on_timeout(self, *, now: float) -> list[Request]:
        """Retransmit what is due; return the requests that just gave up."""
        expired = []
        for tid, request in list(self._pending.items()):
            if request.transaction.deadline > now:
                continue
            if request.transaction.on_timeout(now=now) is Step.RETRANSMIT:
                pair = request.pair
                pair.stats.requests_sent += 1
                self._out.send(request.data, pair.local.base, pair.remote.address)
            else:
                del self._pending[tid]
                expired.append(request)
        return expired

    def deadline(self) -> float | None:
        if not self._pending:
            return None
        return min(r.transaction.deadline for r in self._pending.values())

    def cancel(self, keep: Callable[[Request], bool] | None = None) -> None:
        """Forget every pending request (or those for which ``keep`` is false)."""
        if keep is None:
            self._pending.clear()
            return
        for tid, request in list(self._pending.items()):
            if not keep(request):
                del self._pending[tid]
