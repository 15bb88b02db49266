"""Local candidates: host candidates from the sockets we were given, server-reflexive ones from
STUN servers (RFC 8445 §5.1.1), emitted one by one as found (RFC 8838 trickle).

Theory of operation
-------------------
The asyncio layer binds the sockets and resolves the STUN servers' names; this core is handed the
socket addresses (*bases*) and the servers' IP addresses. For every base it emits a host candidate
at once, then sends a Binding request to every server of the same family and emits a srflx
candidate per distinct mapped address. Gathering is ``complete`` when every request has been
answered or has timed out, or when ``stun_gather_timeout`` has passed.

A srflx candidate equal to its host candidate (no NAT in the way) is still emitted: RFC 8445
§5.1.3 makes dropping it a SHOULD, and Pion and libwebrtc's non-shared sockets keep it too; the
check list pairs by base, so it never costs us a duplicate check.

NAT 1:1 (Pion's SetNAT1To1IPs): in ``host`` mode the host candidate announces the public address
(its base stays local); in ``srflx`` mode a srflx candidate with the public address is added next
to the host candidate. An ICE-lite agent gathers host candidates only (RFC 8445 §2.5).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .candidate import (
    CandidateType,
    LocalCandidate,
    candidate_foundation,
    candidate_priority,
    canonical_ip,
    is_ipv6,
)
from .errors import IceConfigError, IceStateError, StunError
from .events import CandidateGathered, GatheringStateChanged
from .output import Outbox
from .settings import IceSettings, Nat1To1CandidateType
from .states import IceGatheringState, check_gathering_transition
from .stun import Attr, Method, StunClass, StunMessage, Transaction, encode_message
from .stun.transaction import Step

Address = tuple[str, int]


@dataclass(eq=False, slots=True)
class _Query:
    base: Address
    server: Address
    local_preference: int
    data: bytes
    transaction: Transaction


def _canonical_address(address: Address, what: str) -> Address:
    host = canonical_ip(address[0])
    if host is None or not 0 <= address[1] <= 65535:
        raise IceConfigError(f"{what} must be an (IP address, port) pair: {address!r}")
    return host, address[1]


class Gatherer:
    """Gathers the local candidates of one agent; restarts gather again on the same sockets."""

    def __init__(
        self, settings: IceSettings, out: Outbox, token_bytes: Callable[[int], bytes]
    ) -> None:
        self._settings = settings
        self._out = out
        self._token_bytes = token_bytes
        self.state = IceGatheringState.NEW
        self.bases: list[Address] = []
        self.servers: list[Address] = []
        self.candidates: list[LocalCandidate] = []
        """Candidates of the current generation, in the order they were emitted."""
        self._queries: dict[bytes, _Query] = {}
        self._give_up_at: float | None = None
        self._ufrag = ""
        self._generation = 0

    # --- inputs -------------------------------------------------------------------------------

    def gather(
        self,
        bases: Sequence[Address],
        servers: Sequence[Address],
        *,
        now: float,
        ufrag: str,
        generation: int,
    ) -> None:
        if self.state is not IceGatheringState.NEW:
            raise IceStateError("gathering was already started; use restart() to gather again")
        seen: set[Address] = set()
        for base in bases:
            address = _canonical_address(base, "a base")
            if address not in seen:
                seen.add(address)
                self.bases.append(address)
        self.servers = [_canonical_address(s, "a STUN server") for s in servers]
        self._run(now=now, ufrag=ufrag, generation=generation)

    def regather(self, *, now: float, ufrag: str, generation: int) -> None:
        """ICE restart: the same sockets, new credentials, every candidate again (RFC 8445 §9)."""
        if self.state is IceGatheringState.NEW:
            self._ufrag, self._generation = ufrag, generation
            return
        self._run(now=now, ufrag=ufrag, generation=generation)

    def close(self) -> None:
        self._queries.clear()
        self._give_up_at = None

    def handle_response(
        self, message: StunMessage, local: Address, remote: Address, *, now: float
    ) -> bool:
        """Consume the response if it answers one of our queries (True), else leave it (False)."""
        query = self._queries.get(message.transaction_id)
        if query is None:
            return False
        if remote != query.server or local != query.base:
            return True  # not from where we asked: ignore, keep waiting for the real answer
        del self._queries[message.transaction_id]
        if message.cls == StunClass.SUCCESS:
            try:
                mapped = message.get_xor_address(Attr.XOR_MAPPED_ADDRESS) or message.get_address(
                    Attr.MAPPED_ADDRESS
                )
            except StunError:
                mapped = None
            if mapped is not None:
                self._add_srflx(query, mapped)
        self._maybe_complete()
        return True

    def on_timeout(self, *, now: float) -> None:
        for tid, query in list(self._queries.items()):
            if query.transaction.deadline <= now:
                if query.transaction.on_timeout(now=now) is Step.RETRANSMIT:
                    self._out.send(query.data, query.base, query.server)
                else:
                    del self._queries[tid]
        if self._give_up_at is not None and now >= self._give_up_at:
            self._queries.clear()
        self._maybe_complete()

    def deadline(self) -> float | None:
        if not self._queries:
            return None
        soonest = min(q.transaction.deadline for q in self._queries.values())
        if self._give_up_at is not None:
            soonest = min(soonest, self._give_up_at)
        return soonest

    # --- internals ------------------------------------------------------------------------------

    def _set_state(self, new: IceGatheringState) -> None:
        old = self.state
        check_gathering_transition(old, new)
        self.state = new
        self._out.emit(GatheringStateChanged(old, new))

    def _emit(self, candidate: LocalCandidate) -> None:
        self.candidates.append(candidate)
        self._out.emit(CandidateGathered(candidate.to_sdp()))

    def _run(self, *, now: float, ufrag: str, generation: int) -> None:
        settings = self._settings
        self._ufrag, self._generation = ufrag, generation
        self._queries.clear()
        self.candidates = []
        if self.state is not IceGatheringState.GATHERING:
            self._set_state(IceGatheringState.GATHERING)
        for index, base in enumerate(self.bases):
            local_preference = max(0, 65535 - index)
            public = settings.nat_1to1_address(base[0])
            announced = base
            if public is not None and settings.nat_1to1_candidate_type is Nat1To1CandidateType.HOST:
                announced = (public, base[1])
            self._emit(
                LocalCandidate(
                    type=CandidateType.HOST,
                    address=announced,
                    base=base,
                    priority=candidate_priority(CandidateType.HOST, local_preference),
                    foundation=candidate_foundation(CandidateType.HOST, base[0]),
                    ufrag=ufrag,
                    generation=generation,
                )
            )
            if settings.lite:
                continue
            if (
                public is not None
                and settings.nat_1to1_candidate_type is Nat1To1CandidateType.SRFLX
            ):
                self._emit(
                    LocalCandidate(
                        type=CandidateType.SERVER_REFLEXIVE,
                        address=(public, base[1]),
                        base=base,
                        priority=candidate_priority(
                            CandidateType.SERVER_REFLEXIVE, local_preference
                        ),
                        foundation=candidate_foundation(
                            CandidateType.SERVER_REFLEXIVE, base[0], "nat-1to1"
                        ),
                        related=base,
                        ufrag=ufrag,
                        generation=generation,
                    )
                )
            for server in self.servers:
                if is_ipv6(server[0]) == is_ipv6(base[0]):
                    self._query(base, server, local_preference, now=now)
        if self._queries:
            self._give_up_at = now + settings.stun_gather_timeout
        self._maybe_complete()

    def _query(self, base: Address, server: Address, local_preference: int, *, now: float) -> None:
        tid = self._token_bytes(12)
        data = encode_message(Method.BINDING, StunClass.REQUEST, tid, {}, fingerprint=True)
        settings = self._settings
        transaction = Transaction(
            now=now,
            rto=settings.stun_rto,
            max_transmits=settings.stun_max_transmits,
            max_rto=settings.stun_max_rto,
            final_wait=settings.stun_max_rto,
        )
        self._queries[tid] = _Query(base, server, local_preference, data, transaction)
        self._out.send(data, base, server)

    def _add_srflx(self, query: _Query, mapped: Address) -> None:
        for existing in self.candidates:
            if (
                existing.address == mapped
                and existing.base == query.base
                and (existing.type is CandidateType.SERVER_REFLEXIVE)
            ):
                return  # a second server saw the same mapping: redundant (RFC 8445 §5.1.3)
        self._emit(
            LocalCandidate(
                type=CandidateType.SERVER_REFLEXIVE,
                address=mapped,
                base=query.base,
                priority=candidate_priority(CandidateType.SERVER_REFLEXIVE, query.local_preference),
                foundation=candidate_foundation(
                    CandidateType.SERVER_REFLEXIVE, query.base[0], query.server[0]
                ),
                related=query.base,
                ufrag=self._ufrag,
                generation=self._generation,
            )
        )

    def _maybe_complete(self) -> None:
        if self.state is IceGatheringState.GATHERING and not self._queries:
            self._give_up_at = None
            self._set_state(IceGatheringState.COMPLETE)
