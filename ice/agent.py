"""The ICE agent: a sans-IO state machine for one WebRTC transport (RFC 8445, RFC 8838, RFC 7675).

Theory of operation
-------------------
Inputs are API calls (``gather``, ``start``, ``add_remote_candidate``, ``restart``, ``close``),
datagrams (``handle_datagram(data, local=…, remote=…, now=…)``) and time (``handle_timeout``).
Outputs are pulled: ``poll_transmit`` (a :class:`~ice.output.Transmit` naming the socket to send
from), ``poll_event`` and ``poll_timeout`` (one absolute deadline). Nothing here reads a clock,
touches a socket or draws randomness except through the injected ``token_bytes`` and ``rng``.

One *generation* (RFC 8445 §9) holds the credentials, the remote candidates and the check list.
An ICE restart starts a new generation; the old selected pair keeps carrying data, and its
consent checks keep running with the old credentials, until the new generation selects a pair.

Checks (§7.2): one per Ta tick (``check_interval``), triggered checks first (§6.1.4.2); each
check is a STUN transaction with capped exponential retransmission. A success makes the pair
valid, unfreezes its foundation and, for the controlling agent, leads to *regular nomination*
(§8.1.1): once the best valid pair has nothing better still pending (or ``nomination_wait``
passed), it is checked again with USE-CANDIDATE, and that success selects it. The controlled
agent selects a pair once USE-CANDIDATE arrived for it and its own check succeeded (§7.3.1.5) —
which also accepts a peer that nominates aggressively. Role conflicts follow §7.3.1.1/§7.2.5.1.

The connection state is *derived* in one method, :meth:`IceAgent._update_state`, the only writer
of the state: closed, failed, then (with a selected pair) the consent status and completion, else
checking or new. Every change emits :class:`~ice.events.ConnectionStateChanged`.

Peer input never raises: malformed STUN is dropped and counted in :attr:`IceAgent.stats`, bad
requests get the RFC 8489 error answer (400, 401, 420, 487).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import sdp

from . import checks
from .candidate import (
    CandidateType,
    LocalCandidate,
    RemoteCandidate,
    candidate_foundation,
    is_ipv6,
)
from .checklist import CandidatePair, PairState, build_report, pair_snapshot
from .consent import Consent, ConsentMonitor
from .errors import IceConfigError, IceStateError
from .events import ConnectionStateChanged, IceEvent, RoleChanged, SelectedPair, SelectedPairChanged
from .gathering import Gatherer
from .generation import Generation, IncomingCheck, random_ice_string
from .output import Outbox, Transmit
from .requests import Kind, Request, Requests
from .settings import IceSettings, validate_pwd, validate_ufrag
from .states import (
    IceConnectionState,
    IceGatheringState,
    IceRole,
    check_transition,
    derive_connection_state,
)
from .stats import AgentStats, IceStatsReport
from .stun import StunClass, StunMessage

if TYPE_CHECKING:
    import random

Address = tuple[str, int]
# RFC 7983 §7: which first bytes are data the agent passes up (DTLS 20-63, RTP/RTCP 128-191).
_DATA_FIRST_BYTE = bytes(1 if 20 <= b <= 63 or 128 <= b <= 191 else 0 for b in range(256))


class IceAgent:
    """One ICE agent (one component, as WebRTC bundles with rtcp-mux)."""

    def __init__(
        self,
        settings: IceSettings | None = None,
        *,
        token_bytes: Callable[[int], bytes],
        rng: random.Random,
    ) -> None:
        self.settings = settings = settings or IceSettings()
        self._token_bytes = token_bytes
        self._rng = rng
        self._out = Outbox()
        self.stats = AgentStats()
        self._tie_breaker = int.from_bytes(token_bytes(8), "big")
        self._role = (
            IceRole.CONTROLLING
            if settings.controlling and not settings.lite
            else IceRole.CONTROLLED
        )
        self._gen = Generation(
            0,
            settings.local_ufrag or random_ice_string(token_bytes, 8),
            settings.local_pwd or random_ice_string(token_bytes, 24),
        )
        self._gen.checklist.set_role(self._role is IceRole.CONTROLLING)
        self._old_gen: Generation | None = None
        self._gatherer = Gatherer(settings, self._out, token_bytes)
        self._local_prflx: list[LocalCandidate] = []
        self._requests = Requests(settings, self._out, token_bytes, self.stats)
        self._selected: CandidatePair | None = None
        self._selected_gen: Generation | None = None
        self._send_pair: CandidatePair | None = None
        self._consent: ConsentMonitor | None = None
        self._nominating: CandidatePair | None = None
        self._nomination_at: float | None = None
        self._next_tick: float | None = None
        self._last_tick = -1e18
        self._state = IceConnectionState.NEW
        self._failed = False
        self._ever_started = False
        self._closed = False

    # --- read-only views ----------------------------------------------------------------------

    @property
    def local_ufrag(self) -> str:
        return self._gen.ufrag

    @property
    def local_pwd(self) -> str:
        return self._gen.pwd

    @property
    def role(self) -> IceRole:
        return self._role

    @property
    def tie_breaker(self) -> int:
        return self._tie_breaker

    @property
    def state(self) -> IceConnectionState:
        return self._state

    @property
    def gathering_state(self) -> IceGatheringState:
        return self._gatherer.state

    @property
    def local_candidates(self) -> list[sdp.Candidate]:
        return [c.to_sdp() for c in self._gatherer.candidates]

    @property
    def remote_candidates(self) -> list[sdp.Candidate]:
        return [c.to_sdp() for c in self._gen.remote_candidates]

    @property
    def selected_pair(self) -> SelectedPair | None:
        return None if self._selected is None else pair_snapshot(self._selected)

    # --- API inputs ---------------------------------------------------------------------------

    def gather(
        self, bases: Sequence[Address], *, stun_servers: Sequence[Address] = (), now: float
    ) -> None:
        """Start gathering on sockets bound to ``bases``; candidates come out as events."""
        self._check_open()
        self._gatherer.gather(
            bases, stun_servers, now=now, ufrag=self._gen.ufrag, generation=self._gen.number
        )
        if self._gen.started_at is not None:
            for remote in self._gen.remote_candidates:
                self._pair_remote(self._gen, remote, initial=False)
            self._schedule_tick(now)
        self._update_state(now)

    def start(
        self,
        remote_ufrag: str,
        remote_pwd: str,
        *,
        controlling: bool | None = None,
        remote_lite: bool = False,
        now: float,
    ) -> None:
        """Give the peer's credentials and begin checking (RFC 8445 §6.1).

        ``controlling`` overrides the role from the settings. A full agent talking to a lite
        peer is always controlling (§6.1.1); a lite agent is always controlled.
        """
        self._check_open()
        validate_ufrag(remote_ufrag)
        validate_pwd(remote_pwd)
        gen = self._gen
        if gen.remote_ufrag is not None:
            if (gen.remote_ufrag, gen.remote_pwd) == (remote_ufrag, remote_pwd):
                return
            raise IceStateError("remote credentials are already set; call restart() first")
        if self.settings.lite:
            if remote_lite:
                raise IceConfigError("two ICE-lite agents cannot connect (RFC 8445 §6.1.1)")
            if controlling:
                raise IceConfigError("an ICE-lite agent is always controlled")
        elif remote_lite:
            self._set_role(IceRole.CONTROLLING, announce=False)
        elif controlling is not None:
            self._set_role(
                IceRole.CONTROLLING if controlling else IceRole.CONTROLLED, announce=False
            )
        gen.remote_ufrag, gen.remote_pwd, gen.remote_lite = remote_ufrag, remote_pwd, remote_lite
        gen.started_at = now
        self._ever_started = True
        self._failed = False
        for remote in gen.remote_candidates:
            self._pair_remote(gen, remote, initial=True)
        gen.checklist.unfreeze_initial()
        early, gen.early_checks = gen.early_checks, deque()
        for check in early:
            self._process_check(gen, check, now)
        self._schedule_tick(now)
        self._update_state(now)

    def set_role(self, *, controlling: bool) -> None:
        """Take the role before :meth:`start`, so that early checks are answered in it.

        The offerer is the controlling agent from the moment its offer is out (RFC 8445
        §6.1.1), and the answerer's checks can reach it before the answer does. Answered in
        the wrong role, they start a role conflict that the tie-breakers settle in favour of
        either side, and :meth:`start` then forces the role back: both agents end up
        controlling. Against an agent that nominates aggressively (aioice) the nomination
        it sent meanwhile is lost and ICE fails (seen in the lab with aiortc answering).
        """
        self._check_open()
        if self.settings.lite and controlling:
            raise IceConfigError("an ICE-lite agent is always controlled")
        if not self.settings.lite:
            self._set_role(
                IceRole.CONTROLLING if controlling else IceRole.CONTROLLED, announce=False
            )

    def add_remote_candidate(self, candidate: sdp.Candidate | None, *, now: float) -> None:
        """A trickled remote candidate, or ``None`` for end-of-candidates (RFC 8838 §13)."""
        self._check_open()
        gen = self._gen
        if candidate is None:
            gen.end_of_candidates = True
            self._update_state(now)
            return
        remote = gen.add_signalled(candidate, self.stats, self.settings.max_remote_candidates)
        if remote is None:
            return
        if gen.started_at is not None:
            self._pair_remote(gen, remote, initial=False)
            self._schedule_tick(now)
        self._update_state(now)

    def restart(self, *, now: float, ufrag: str | None = None, pwd: str | None = None) -> None:
        """ICE restart (RFC 8445 §9): new credentials, gather again, a fresh check list.

        The selected pair, if any, keeps carrying data until the new generation selects one.
        Call :meth:`start` with the peer's new credentials to begin checking again.
        """
        self._check_open()
        old = self._gen
        self._requests.cancel(keep=lambda r: r.kind is Kind.CONSENT)
        self._nominating = None
        self._nomination_at = None
        self._next_tick = None
        self._old_gen = self._selected_gen if self._selected is not None else None
        self._gen = Generation(
            old.number + 1,
            validate_ufrag(ufrag) if ufrag else random_ice_string(self._token_bytes, 8),
            validate_pwd(pwd) if pwd else random_ice_string(self._token_bytes, 24),
        )
        self._gen.checklist.set_role(self._role is IceRole.CONTROLLING)
        self._gatherer.regather(now=now, ufrag=self._gen.ufrag, generation=self._gen.number)
        self._update_state(now)

    def close(self, *, now: float) -> None:
        """Stop everything; the state becomes ``closed``. Closing twice is fine."""
        if self._closed:
            return
        self._closed = True
        self._requests.cancel()
        self._gatherer.close()
        self._next_tick = self._nomination_at = None
        self._consent = None
        if self._selected is not None:
            self._selected = self._selected_gen = None
            self._out.emit(SelectedPairChanged(None))
        self._update_state(now)

    # --- the data path ------------------------------------------------------------------------

    def accept_data(self, data: bytes, local: Address, remote: Address) -> bool:
        """Is this non-STUN datagram for the layer above? (counts it on its pair)

        RFC 8445 §12.1 lets an agent receive on any pair of its check list, and browsers start
        DTLS on a pair before nomination ends, so every pair's remote address is accepted, plus
        the selected pair of the previous generation during a restart.
        """
        if not data or not _DATA_FIRST_BYTE[data[0]]:
            self.stats.data_unknown_kind += 1
            return False
        key = (local, remote)
        pair = self._gen.checklist.by_key.get(key)
        if pair is None:
            pair = self._selected
            if pair is None or pair.key != key:
                self.stats.data_no_route += 1
                return False
        stats = pair.stats
        stats.packets_received += 1
        stats.bytes_received += len(data)
        return True

    def prepare_send(self, size: int) -> tuple[Address, Address] | None:
        """Where a datagram of ``size`` bytes goes: ``(local base, remote)``, or None (dropped).

        The selected pair, or before selection the best valid pair (so DTLS can start early).
        """
        pair = self._send_pair
        if pair is None:
            self.stats.send_no_route += 1
            return None
        stats = pair.stats
        stats.packets_sent += 1
        stats.bytes_sent += size
        return pair.key

    def handle_datagram(self, data: bytes, *, local: Address, remote: Address, now: float) -> bool:
        """Feed one datagram that arrived on the socket bound to ``local`` from ``remote``.

        Returns True when it is data for the layer above (see :meth:`accept_data`); STUN is
        consumed here and never raises, whatever its content.
        """
        if self._closed:
            return False
        if not data or data[0] > 3:
            return self.accept_data(data, local, remote)
        message = checks.parse_or_count(data, self.stats)
        if message is None:
            return False
        if message.cls == StunClass.REQUEST:
            self._on_request(message, local, remote, now)
        elif message.cls == StunClass.INDICATION:
            self.stats.indications += 1
            return False
        elif not self._gatherer.handle_response(message, local, remote, now=now):
            self._on_response(message, local, remote, now)
        self._update_state(now)
        return False

    def handle_timeout(self, *, now: float) -> None:
        if self._closed:
            return
        self._gatherer.on_timeout(now=now)
        for request in self._requests.on_timeout(now=now):
            if request.kind is not Kind.CONSENT:
                self._fail_pair(request, now)
        if self._next_tick is not None and now >= self._next_tick:
            self._on_tick(now)
        if self._nomination_at is not None and now >= self._nomination_at:
            self._nomination_at = None
            self._maybe_nominate(now)
        consent, selected = self._consent, self._selected
        if consent is not None and selected is not None and consent.request_due(now=now):
            gen = self._selected_gen
            assert gen is not None
            self._send_request(Kind.CONSENT, gen, selected, now)
        self._update_state(now)

    # --- outputs ------------------------------------------------------------------------------

    def poll_transmit(self) -> Transmit | None:
        transmits = self._out.transmits
        return transmits.popleft() if transmits else None

    def poll_event(self) -> IceEvent | None:
        events = self._out.events
        return events.popleft() if events else None

    def poll_timeout(self) -> float | None:
        if self._closed:
            return None
        deadlines = [
            d
            for d in (self._gatherer.deadline(), self._next_tick, self._nomination_at)
            if d is not None
        ]
        requests = self._requests.deadline()
        if requests is not None:
            deadlines.append(requests)
        if self._consent is not None and self._selected is not None:
            stale = self._state is IceConnectionState.DISCONNECTED
            deadlines.append(self._consent.deadline(stale=stale))
        elif not self._failed and self._gen.started_at is not None:
            deadlines.append(self._gen.started_at + self.settings.failed_timeout)
        return min(deadlines) if deadlines else None

    def get_stats(self) -> IceStatsReport:
        return build_report(
            self._gatherer.candidates + self._local_prflx,
            self._gen.remote_candidates,
            self._gen.checklist,
            self._selected,
            self.stats,
        )

    # --- incoming requests (RFC 8445 §7.3, RFC 8489 §6.3, §9.1.3) ------------------------------

    def _on_request(
        self, message: StunMessage, local: Address, remote: Address, now: float
    ) -> None:
        stats = self.stats
        found = checks.authenticate(message, (self._gen, self._old_gen))
        if isinstance(found, checks.Refusal):
            if found.code == 401:
                stats.requests_unauthorized += 1
            else:
                stats.requests_bad += 1
            self._out.send(checks.error_answer(message, found.code, found.reason), local, remote)
            return
        gen = found
        fields = checks.read_check(message)
        if (
            gen is self._gen
            and not isinstance(fields, checks.Refusal)
            and not self._resolve_role_conflict(fields.controlling, fields.controlled)
        ):
            fields = checks.Refusal(487, "Role Conflict", signed=True)
        if isinstance(fields, checks.Refusal):
            if fields.code == 420:
                stats.requests_unknown_attribute += 1
            elif fields.code == 400:
                stats.requests_bad += 1
            answer = checks.error_answer(
                message, fields.code, fields.reason, key=gen.key, unknown=fields.unknown
            )
            self._out.send(answer, local, remote)
            return
        self._out.send(checks.success_answer(message, remote, gen.key), local, remote)
        if gen is not self._gen:
            # The previous generation's selected pair, kept alive through a restart.
            self._count_request(gen, local, remote, now)
            return
        if self._failed:
            return
        check = IncomingCheck(local, remote, fields.priority, fields.use_candidate)
        if gen.started_at is None:
            if len(gen.early_checks) >= self.settings.max_early_checks:
                stats.early_checks_dropped += 1
            else:
                gen.early_checks.append(check)
            return
        self._process_check(gen, check, now)

    def _count_request(self, gen: Generation, local: Address, remote: Address, now: float) -> None:
        pair = gen.checklist.get(local, remote)
        if pair is not None:
            pair.stats.requests_received += 1
            pair.stats.responses_sent += 1
            if pair is self._selected and self.settings.lite and self._consent is not None:
                self._consent.refresh(now=now)

    def _resolve_role_conflict(self, controlling: int | None, controlled: int | None) -> bool:
        """RFC 8445 §7.3.1.1: False means answer 487; True means go on (maybe after switching)."""
        if self.settings.lite:
            if controlled is not None:
                self.stats.role_conflicts += 1
                return False  # a lite agent cannot take control: the full peer must
            return True
        if self._role is IceRole.CONTROLLING and controlling is not None:
            self.stats.role_conflicts += 1
            if self._tie_breaker >= controlling:
                return False
            self._set_role(IceRole.CONTROLLED)
        elif self._role is IceRole.CONTROLLED and controlled is not None:
            self.stats.role_conflicts += 1
            if self._tie_breaker < controlled:
                return False
            self._set_role(IceRole.CONTROLLING)
        return True

    def _process_check(self, gen: Generation, check: IncomingCheck, now: float) -> None:
        """What an authenticated check teaches us (RFC 8445 §7.3.1.3-§7.3.1.5)."""
        remote = gen.remote_for_check(check, self.stats, self.settings.max_remote_candidates)
        if remote is None:
            return
        host = self._host_for_base(check.local)
        if host is None:
            return
        pair = gen.checklist.get(check.local, check.remote)
        if pair is None:
            pair = gen.checklist.add(host, remote, PairState.WAITING)
            assert pair is not None
        pair.stats.requests_received += 1
        pair.stats.responses_sent += 1
        if self.settings.lite:
            # A lite agent's valid list is built from the checks it answers (§7.3.1.5).
            if not pair.succeeded:
                gen.checklist.mark_valid(pair, host)
            if check.use_candidate:
                pair.nominated = True
                self._select(gen, pair, now)
            if pair is self._selected and self._consent is not None:
                self._consent.refresh(now=now)
            return
        if not pair.succeeded:
            gen.checklist.trigger(pair)
            self._schedule_tick(now)
        if check.use_candidate and self._role is IceRole.CONTROLLED:
            if pair.succeeded:
                pair.nominated = True
                self._select(gen, pair, now)
            else:
                pair.nominate_on_success = True

    # --- our requests and their answers (RFC 8445 §7.2) ----------------------------------------

    def _send_request(self, kind: Kind, gen: Generation, pair: CandidatePair, now: float) -> None:
        self._requests.send(
            kind,
            gen,
            pair,
            now=now,
            controlling=self._role is IceRole.CONTROLLING,
            tie_breaker=self._tie_breaker,
        )

    def _on_response(
        self, message: StunMessage, local: Address, remote: Address, now: float
    ) -> None:
        answer = self._requests.match(message, local, remote, now=now)
        if answer is None:
            return
        request, pair = answer.request, answer.request.pair
        if request.kind is Kind.CONSENT:
            if answer.symmetric and answer.error is None and pair is self._selected:
                assert self._consent is not None
                self._consent.refresh(now=now)
        elif answer.error is not None and answer.error[0] == 487 and answer.symmetric:
            self._on_role_conflict_answer(request, now)
        elif answer.mapped is None or not answer.symmetric:
            self._fail_pair(request, now)  # an error, or not symmetric (RFC 8445 §7.2.5.2)
        else:
            self._on_check_success(request, answer.mapped, now)

    def _on_check_success(self, request: Request, mapped: Address, now: float) -> None:
        gen, pair = request.generation, request.pair
        if gen is not self._gen:
            return
        checklist = gen.checklist
        checklist.mark_valid(pair, self._valid_local(pair, mapped, request.priority))
        if gen.first_valid_at is None:
            gen.first_valid_at = now
        checklist.unfreeze_foundation(pair.foundation)
        if request.kind is Kind.NOMINATION:
            self._nominating = None
            pair.nominated = True
            self._select(gen, pair, now)
        elif self._role is IceRole.CONTROLLED and pair.nominate_on_success:
            pair.nominated = True
            self._select(gen, pair, now)
        self._schedule_tick(now)
        self._maybe_nominate(now)

    def _valid_local(self, pair: CandidatePair, mapped: Address, priority: int) -> LocalCandidate:
        """The local candidate of the valid pair, learning a peer-reflexive one (§7.2.5.3.1)."""
        local = pair.local
        if mapped in (local.address, local.base):
            return local
        for candidate in self._gatherer.candidates + self._local_prflx:
            if candidate.address == mapped and candidate.base == local.base:
                return candidate
        learnt = LocalCandidate(
            type=CandidateType.PEER_REFLEXIVE,
            address=mapped,
            base=local.base,
            priority=priority,
            foundation=candidate_foundation(CandidateType.PEER_REFLEXIVE, local.base[0]),
            related=local.base,
            ufrag=self._gen.ufrag,
            generation=self._gen.number,
        )
        self._local_prflx.append(learnt)
        return learnt

    def _fail_pair(self, request: Request, now: float) -> None:
        pair = request.pair
        if request.generation is not self._gen:
            return
        if self._nominating is pair:
            self._nominating = None
        if request.kind is Kind.NOMINATION or not pair.succeeded:
            pair.state = PairState.FAILED
        self._maybe_nominate(now)

    def _on_role_conflict_answer(self, request: Request, now: float) -> None:
        """487 to our check: switch role unless already switched, and check again (§7.2.5.1)."""
        self.stats.role_conflicts += 1
        if request.generation is not self._gen:
            return
        if request.controlling and self._role is IceRole.CONTROLLING:
            self._set_role(IceRole.CONTROLLED)
        elif not request.controlling and self._role is IceRole.CONTROLLED:
            self._set_role(IceRole.CONTROLLING)
        pair = request.pair
        if self._nominating is pair:
            self._nominating = None
        if not pair.succeeded:
            pair.state = PairState.WAITING
            self._gen.checklist.trigger(pair)
        self._schedule_tick(now)
        self._maybe_nominate(now)

    def _set_role(self, role: IceRole, *, announce: bool = True) -> None:
        if role is self._role:
            return
        self._role = role
        self._gen.checklist.set_role(role is IceRole.CONTROLLING)
        if role is IceRole.CONTROLLED:
            self._nominating = None
            self._nomination_at = None
        if announce:
            self._out.emit(RoleChanged(role))

    # --- pacing and nomination ------------------------------------------------------------------

    def _ordinary_checks(self) -> bool:
        """Ordinary checks stop once this generation has selected a pair (§8.1.2)."""
        return self._selected is None or self._selected_gen is not self._gen

    def _schedule_tick(self, now: float) -> None:
        gen = self._gen
        if (
            self._next_tick is not None
            or self.settings.lite
            or gen.started_at is None
            or self._failed
            or not gen.checklist.has_pending(ordinary=self._ordinary_checks())
        ):
            return
        self._next_tick = max(now, self._last_tick + self.settings.check_interval)

    def _on_tick(self, now: float) -> None:
        self._next_tick = None
        gen = self._gen
        pair = gen.checklist.next_check(ordinary=self._ordinary_checks())
        if pair is None:
            return
        self._last_tick = now
        self._send_request(Kind.CHECK, gen, pair, now)
        self._schedule_tick(now)

    def _maybe_nominate(self, now: float) -> None:
        """Regular nomination by the controlling agent (RFC 8445 §8.1.1)."""
        gen = self._gen
        if (
            self._role is not IceRole.CONTROLLING
            or self._nominating is not None
            or gen.started_at is None
            or self._failed
            or not self._ordinary_checks()
        ):
            return
        best = gen.checklist.best_valid()
        if best is None:
            return
        assert gen.first_valid_at is not None
        wait_until = gen.first_valid_at + self.settings.nomination_wait
        if now < wait_until and gen.checklist.better_pending(best.priority):
            self._nomination_at = wait_until
            return
        self._nomination_at = None
        self._nominating = best
        self._send_request(Kind.NOMINATION, gen, best, now)

    def _select(self, gen: Generation, pair: CandidatePair, now: float) -> None:
        if gen is not self._gen or self._failed or pair is self._selected:
            return
        current = self._selected
        if (
            current is not None
            and self._selected_gen is gen
            and current.valid_priority >= pair.valid_priority
        ):
            return  # several nominated pairs: keep the best one (RFC 8445 §8.1.1)
        self._selected, self._selected_gen = pair, gen
        if self._old_gen is not None:
            old = self._old_gen
            self._requests.cancel(keep=lambda r: r.generation is not old)
            self._old_gen = None
        self._consent = ConsentMonitor(
            now=now,
            interval=self.settings.keepalive_interval,
            disconnected_after=self.settings.disconnected_timeout,
            failed_after=self.settings.failed_timeout,
            rng=self._rng,
            sends=not self.settings.lite,
        )
        self._out.emit(SelectedPairChanged(pair_snapshot(pair)))

    # --- the one writer of the connection state ---------------------------------------------------

    def _update_state(self, now: float) -> None:
        if not self._closed and not self._failed and self._lost(now):
            self._fail()
        gen, consent = self._gen, self._consent
        target = derive_connection_state(
            closed=self._closed,
            failed=self._failed,
            selected=self._selected is not None,
            stale=consent is not None and consent.status(now=now) is Consent.STALE,
            checks_done=self._selected_gen is gen
            and gen.end_of_candidates
            and self._gatherer.state is IceGatheringState.COMPLETE
            and not gen.checklist.triggered
            and not gen.checklist.in_progress(),
            started=self._ever_started,
        )
        # Data goes on the selected pair, or before selection on the best valid one.
        down = target in (IceConnectionState.FAILED, IceConnectionState.CLOSED)
        self._send_pair = None if down else self._selected or gen.checklist.best_valid()
        if target is self._state:
            return
        if target is IceConnectionState.COMPLETED and self._state is IceConnectionState.CHECKING:
            self._set_state(IceConnectionState.CONNECTED)
        self._set_state(target)

    def _set_state(self, new: IceConnectionState) -> None:
        old = self._state
        check_transition(old, new)
        self._state = new
        self._out.emit(ConnectionStateChanged(old, new))

    def _lost(self, now: float) -> bool:
        """Consent expired on the selected pair, or checking gave up (RFC 7675 §5.1, §8.1.2)."""
        if self._selected is not None:
            assert self._consent is not None
            return self._consent.status(now=now) is Consent.EXPIRED
        gen = self._gen
        if gen.started_at is None:
            return False
        if now >= gen.started_at + self.settings.failed_timeout:
            return True
        return (
            not self.settings.lite
            and gen.end_of_candidates
            and len(gen.checklist) > 0
            and gen.checklist.all_failed()
        )

    def _fail(self) -> None:
        self._failed = True
        self._requests.cancel()
        self._next_tick = self._nomination_at = None
        self._nominating = None
        self._consent = None
        self._old_gen = None
        if self._selected is not None:
            self._selected = self._selected_gen = None
            self._out.emit(SelectedPairChanged(None))

    # --- helpers ----------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise IceStateError("the ICE agent is closed")

    def _host_for_base(self, base: Address) -> LocalCandidate | None:
        for candidate in self._gatherer.candidates:
            if candidate.base == base and candidate.type is CandidateType.HOST:
                return candidate
        return None

    def _pair_remote(self, gen: Generation, remote: RemoteCandidate, *, initial: bool) -> None:
        if self.settings.lite:
            return  # a lite agent forms no check list; its pairs come from the checks it answers
        for host in self._gatherer.candidates:
            if host.type is not CandidateType.HOST or host.component != remote.component:
                continue
            if is_ipv6(host.base[0]) != is_ipv6(remote.address[0]):
                continue
            foundation = f"{host.foundation}:{remote.foundation}"
            state = PairState.FROZEN if initial else gen.checklist.state_for_new_pair(foundation)
            gen.checklist.add(host, remote, state)
