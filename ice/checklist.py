"""Candidate pairs and the check list (RFC 8445 §6.1.2, §6.1.4, §7.2.5.3.3, §8.1.2).

Theory of operation
-------------------
WebRTC bundles everything onto one component (rtcp-mux), so there is one check list with pairs of
component 1. A pair is keyed by the socket it is sent from (the local candidate's *base*) and the
remote transport address: server-reflexive local candidates share their base's pairs, which is
the pruning of §6.1.2.4 done by construction.

Pairs are kept sorted by priority (highest first); the priority depends on the role, so a role
switch re-sorts. :meth:`CheckList.next_check` is what one Ta tick sends (§6.1.4.2): the head of
the triggered-check queue, else the best Waiting pair, else the best Frozen one (unfrozen on the
spot). A success unfreezes the Frozen pairs of its foundation (§7.2.5.3.3).

When a check succeeds, the *valid* local candidate may differ from the one checked: the mapped
address in the response names a server- or peer-reflexive candidate with the same base
(§7.2.5.3.1); :attr:`CandidatePair.valid_local` records it, and the valid pair's priority uses it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from .candidate import LocalCandidate, RemoteCandidate, pair_priority
from .events import SelectedPair
from .stats import AgentStats, CandidatePairReport, IceStatsReport, PairStats

Address = tuple[str, int]
PairKey = tuple[Address, Address]


class PairState(StrEnum):
    FROZEN = "frozen"
    WAITING = "waiting"
    IN_PROGRESS = "in-progress"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(eq=False, slots=True)
class CandidatePair:
    local: LocalCandidate
    """The host (or relayed) candidate whose base sends the checks."""
    remote: RemoteCandidate
    priority: int = 0
    state: PairState = PairState.FROZEN
    valid_local: LocalCandidate | None = None
    """Set on success: the local candidate the peer saw (host, srflx or prflx)."""
    valid_priority: int = 0
    nominated: bool = False
    nominate_on_success: bool = False
    """Controlled side: USE-CANDIDATE arrived before our own check of this pair succeeded."""
    triggered: bool = False
    """Queued in the triggered-check queue."""
    stats: PairStats = field(default_factory=PairStats)

    @property
    def key(self) -> PairKey:
        return (self.local.base, self.remote.address)

    @property
    def foundation(self) -> str:
        return f"{self.local.foundation}:{self.remote.foundation}"

    @property
    def succeeded(self) -> bool:
        return self.state is PairState.SUCCEEDED

    def __repr__(self) -> str:
        return f"<pair {self.local.base}->{self.remote.address} {self.state} p={self.priority}>"


class CheckList:
    """The pairs of one ICE generation, in priority order, with the triggered-check queue."""

    def __init__(self) -> None:
        self.pairs: list[CandidatePair] = []
        self.by_key: dict[PairKey, CandidatePair] = {}
        self.triggered: deque[CandidatePair] = deque()
        self.controlling = False

    def __iter__(self) -> Iterator[CandidatePair]:
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def get(self, local: Address, remote: Address) -> CandidatePair | None:
        return self.by_key.get((local, remote))

    def _priority(self, local_priority: int, remote_priority: int) -> int:
        if self.controlling:
            return pair_priority(local_priority, remote_priority)
        return pair_priority(remote_priority, local_priority)

    def add(
        self, local: LocalCandidate, remote: RemoteCandidate, state: PairState
    ) -> CandidatePair | None:
        """Add the pair unless one with the same base and remote address exists (then None)."""
        key = (local.base, remote.address)
        if key in self.by_key:
            return None
        pair = CandidatePair(local, remote, state=state)
        pair.priority = self._priority(local.priority, remote.priority)
        self.by_key[key] = pair
        self.pairs.append(pair)
        self.pairs.sort(key=_by_priority)
        return pair

    def set_role(self, controlling: bool) -> None:
        """Recompute every priority for the new role and re-sort (RFC 8445 §7.2.5.1)."""
        self.controlling = controlling
        for pair in self.pairs:
            pair.priority = self._priority(pair.local.priority, pair.remote.priority)
            if pair.valid_local is not None:
                pair.valid_priority = self._priority(
                    pair.valid_local.priority, pair.remote.priority
                )
        self.pairs.sort(key=_by_priority)

    def reprioritize(self, pair: CandidatePair) -> None:
        """The remote candidate's priority changed (a prflx became a signalled one)."""
        pair.priority = self._priority(pair.local.priority, pair.remote.priority)
        if pair.valid_local is not None:
            pair.valid_priority = self._priority(pair.valid_local.priority, pair.remote.priority)
        self.pairs.sort(key=_by_priority)

    def mark_valid(self, pair: CandidatePair, valid_local: LocalCandidate) -> None:
        pair.state = PairState.SUCCEEDED
        pair.valid_local = valid_local
        pair.valid_priority = self._priority(valid_local.priority, pair.remote.priority)

    # --- §6.1.2.6 and §7.2.5.3.3: freezing ------------------------------------------------------

    def unfreeze_initial(self) -> None:
        """For each foundation, the best Frozen pair becomes Waiting (RFC 8445 §6.1.2.6)."""
        seen = {p.foundation for p in self.pairs if p.state is not PairState.FROZEN}
        for pair in self.pairs:
            if pair.state is PairState.FROZEN and pair.foundation not in seen:
                pair.state = PairState.WAITING
                seen.add(pair.foundation)

    def state_for_new_pair(self, foundation: str) -> PairState:
        """A pair added while checking: Waiting unless its foundation is already being worked on
        (RFC 8838 §10)."""
        for pair in self.pairs:
            if pair.foundation == foundation and pair.state in (
                PairState.WAITING,
                PairState.IN_PROGRESS,
            ):
                return PairState.FROZEN
        return PairState.WAITING

    def unfreeze_foundation(self, foundation: str) -> None:
        for pair in self.pairs:
            if pair.state is PairState.FROZEN and pair.foundation == foundation:
                pair.state = PairState.WAITING

    # --- §6.1.4.2: what the next Ta tick sends ------------------------------------------------

    def trigger(self, pair: CandidatePair) -> None:
        """Queue a triggered check (RFC 8445 §7.3.1.4) unless one is queued or running."""
        if pair.triggered or pair.state is PairState.IN_PROGRESS:
            return
        pair.state = PairState.WAITING
        pair.triggered = True
        self.triggered.append(pair)

    def next_check(self, *, ordinary: bool) -> CandidatePair | None:
        """The pair to check now, or None. ``ordinary=False`` sends triggered checks only."""
        while self.triggered:
            pair = self.triggered.popleft()
            pair.triggered = False
            if pair.state is PairState.WAITING:
                return pair
        if not ordinary:
            return None
        for pair in self.pairs:
            if pair.state is PairState.WAITING:
                return pair
        for pair in self.pairs:
            if pair.state is PairState.FROZEN:
                return pair
        return None

    def has_pending(self, *, ordinary: bool) -> bool:
        """Is there a check a Ta tick could send?"""
        if self.triggered:
            return True
        return ordinary and any(
            p.state in (PairState.WAITING, PairState.FROZEN) for p in self.pairs
        )

    def in_progress(self) -> bool:
        return any(p.state is PairState.IN_PROGRESS for p in self.pairs)

    def all_failed(self) -> bool:
        """Every pair failed and nothing is left to try (an empty list counts as failed)."""
        return not self.triggered and all(p.state is PairState.FAILED for p in self.pairs)

    def best_valid(self) -> CandidatePair | None:
        best: CandidatePair | None = None
        for pair in self.pairs:
            if pair.state is PairState.SUCCEEDED and (
                best is None or pair.valid_priority > best.valid_priority
            ):
                best = pair
        return best

    def better_pending(self, priority: int) -> bool:
        """Is a pair that may still succeed ranked above ``priority``? (nomination waits for it)"""
        return any(
            p.priority > priority
            and p.state in (PairState.FROZEN, PairState.WAITING, PairState.IN_PROGRESS)
            for p in self.pairs
        )


def _by_priority(pair: CandidatePair) -> int:
    return -pair.priority


def pair_snapshot(pair: CandidatePair) -> SelectedPair:
    """The immutable view of a pair that events carry."""
    local = pair.valid_local or pair.local
    return SelectedPair(
        local=local.to_sdp(),
        remote=pair.remote.to_sdp(),
        local_address=pair.local.base,
        remote_address=pair.remote.address,
    )


def build_report(
    local_candidates: Iterable[LocalCandidate],
    remote_candidates: Iterable[RemoteCandidate],
    checklist: CheckList,
    selected: CandidatePair | None,
    agent: AgentStats,
) -> IceStatsReport:
    """The getStats snapshot: candidates, every pair of the check list, the selected pair."""
    reports = tuple(pair_report(p, p is selected) for p in checklist)
    chosen = next((r for r, p in zip(reports, checklist, strict=True) if p is selected), None)
    if selected is not None and chosen is None:  # the previous generation's, during a restart
        chosen = pair_report(selected, True)
    return IceStatsReport(
        local_candidates=tuple(c.to_sdp() for c in local_candidates),
        remote_candidates=tuple(c.to_sdp() for c in remote_candidates),
        pairs=reports,
        selected=chosen,
        agent=agent,
    )


def pair_report(pair: CandidatePair, selected: bool) -> CandidatePairReport:
    local = pair.valid_local or pair.local
    return CandidatePairReport(
        local=local.to_sdp(),
        remote=pair.remote.to_sdp(),
        local_address=pair.local.base,
        remote_address=pair.remote.address,
        state=str(pair.state),
        nominated=pair.nominated,
        selected=selected,
        priority=pair.valid_priority if pair.valid_local is not None else pair.priority,
        stats=pair.stats,
    )
