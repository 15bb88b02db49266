"""Stream reset (RFC 6525): how a data channel's streams are closed (RFC 8831 §6.7).

Outgoing side: streams to reset wait in ``pending`` until everything queued on them has been
given TSNs; then one Outgoing SSN Reset Request carries them with our last assigned TSN. Only
one request is in flight at a time (§5.1.1). A lost request is resent with the same sequence
number when the re-configuration timer (one RTO) expires; an "in progress" answer makes us ask
again, one RTO later, with a new sequence number (as the browsers' stack does).

Incoming side (§5.2.1-5.2.2): a request with the next expected sequence number is performed
at once if everything up to the sender's last assigned TSN has arrived, otherwise it is
deferred and answered "in progress"; a repeat of the last request gets the same answer again;
anything else is answered "bad sequence number". Requests we do not support (incoming reset,
SSN/TSN reset, adding streams) are denied, apart from an incoming reset, which has nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from .chunks import (
    PARAM_INCOMING_RESET,
    RECONFIG,
    RESULT_DENIED,
    RESULT_ERROR_BAD_SEQUENCE,
    RESULT_IN_PROGRESS,
    RESULT_SUCCESS_NOTHING,
    RESULT_SUCCESS_PERFORMED,
    OtherReconfigRequest,
    OutgoingResetRequest,
    ReconfigResponse,
    chunk,
    encode_outgoing_reset,
    encode_reconfig_response,
)

M32: Final = 0xFFFFFFFF

# What a response means for our request.
RESET_DONE: Final = "done"
RESET_RETRY: Final = "retry"
RESET_FAILED: Final = "failed"


class StreamResetter:
    def __init__(self, *, local_initial_tsn: int, peer_initial_tsn: int) -> None:
        self._next_seq = local_initial_tsn & M32
        self._last_peer_seq = (peer_initial_tsn - 1) & M32
        self._last_peer_result = RESULT_SUCCESS_PERFORMED
        self.pending: dict[int, None] = {}
        """Streams waiting to be put in a request (an ordered set)."""
        self.current: OutgoingResetRequest | None = None
        """Our request awaiting a response."""
        self.timer_at: float | None = None
        self.failures = 0
        self._retry: tuple[int, ...] = ()
        """Streams of a request answered "in progress", to ask for again at ``timer_at``."""
        self.deferred: list[tuple[int, int, tuple[int, ...]]] = []
        """Peer requests waiting for data up to their last TSN: (seq, last_tsn32, streams)."""

    # --- our requests -------------------------------------------------------------------------

    def request(self, stream_ids: tuple[int, ...]) -> None:
        for sid in stream_ids:
            self.pending[sid] = None

    def ready(self, drained: Callable[[int], bool]) -> tuple[int, ...]:
        """Pending streams whose queues are empty, if no request is in flight."""
        if self.current is not None or self._retry or not self.pending:
            return ()
        return tuple(sid for sid in self.pending if drained(sid))

    def make_request(
        self, streams: tuple[int, ...], last_tsn32: int, now: float, rto: float
    ) -> bytes:
        """A RE-CONFIG chunk asking the peer to reset these (our outgoing) streams."""
        for sid in streams:
            self.pending.pop(sid, None)
        seq = self._next_seq
        self._next_seq = (seq + 1) & M32
        self.current = OutgoingResetRequest(seq, seq, last_tsn32, streams)
        self.timer_at = now + rto
        return chunk(RECONFIG, 0, encode_outgoing_reset(self.current))

    def on_timer(self, now: float, rto: float, last_tsn32: int) -> bytes | None:
        """The re-configuration timer fired: resend (same number) or retry (new number)."""
        self.timer_at = None
        if self._retry:
            streams, self._retry = self._retry, ()
            return self.make_request(streams, last_tsn32, now, rto)
        if self.current is None:
            return None
        self.failures += 1
        self.timer_at = now + rto
        return chunk(RECONFIG, 0, encode_outgoing_reset(self.current))

    def on_response(
        self, response: ReconfigResponse, now: float, rto: float
    ) -> tuple[str, tuple[int, ...]] | None:
        """Match a response to our request: (RESET_DONE | RESET_RETRY | RESET_FAILED, streams)."""
        current = self.current
        if current is None or response.response_seq != current.request_seq:
            return None
        self.current = None
        self.timer_at = None
        self.failures = 0
        if response.result in (RESULT_SUCCESS_NOTHING, RESULT_SUCCESS_PERFORMED):
            return RESET_DONE, current.streams
        if response.result == RESULT_IN_PROGRESS:
            self._retry = current.streams
            self.timer_at = now + rto
            return RESET_RETRY, current.streams
        return RESET_FAILED, current.streams

    def settle(self, stream_id: int) -> tuple[int, ...]:
        """Take our request covering ``stream_id`` as performed without its response; its
        streams, or ``()`` if no request in flight covers that stream.

        For when the peer has shown it performed the request: a data channel peer reuses a
        stream id only once both directions are reset (RFC 8831 §6.7), so new data on a
        stream we asked to reset means the peer did, and only the answer was lost. The
        request is performed as a whole (RFC 6525 §5.2.2), so all its streams are reset."""
        current = self.current
        if current is None or stream_id not in current.streams:
            return ()
        self.current = None
        self.timer_at = None
        self.failures = 0
        return current.streams

    # --- the peer's requests ------------------------------------------------------------------

    def on_outgoing_request(
        self, request: OutgoingResetRequest, reached: Callable[[int], bool]
    ) -> tuple[bytes, tuple[int, ...] | None]:
        """Answer a peer's Outgoing SSN Reset Request: (response parameter, streams to reset
        now or None)."""
        seq = request.request_seq
        if seq == self._last_peer_seq:
            result = self._last_peer_result
            if result == RESULT_IN_PROGRESS and reached(request.last_tsn):
                self._last_peer_result = RESULT_SUCCESS_PERFORMED
                mine = [d for d in self.deferred if d[0] == seq]
                self.deferred = [d for d in self.deferred if d[0] != seq]
                streams = mine[0][2] if mine else None
                return self._respond(seq, RESULT_SUCCESS_PERFORMED), streams
            return self._respond(seq, result), None
        if seq != (self._last_peer_seq + 1) & M32:
            return self._respond(seq, RESULT_ERROR_BAD_SEQUENCE), None
        self._last_peer_seq = seq
        if reached(request.last_tsn):
            self._last_peer_result = RESULT_SUCCESS_PERFORMED
            return self._respond(seq, RESULT_SUCCESS_PERFORMED), request.streams
        self._last_peer_result = RESULT_IN_PROGRESS
        self.deferred.append((seq, request.last_tsn, request.streams))
        return self._respond(seq, RESULT_IN_PROGRESS), None

    def on_other_request(self, request: OtherReconfigRequest) -> bytes:
        seq = request.request_seq
        if seq == self._last_peer_seq:
            return self._respond(seq, self._last_peer_result)
        if seq != (self._last_peer_seq + 1) & M32:
            return self._respond(seq, RESULT_ERROR_BAD_SEQUENCE)
        self._last_peer_seq = seq
        result = RESULT_SUCCESS_NOTHING if request.ptype == PARAM_INCOMING_RESET else RESULT_DENIED
        self._last_peer_result = result
        return self._respond(seq, result)

    def take_due_deferred(self, reached: Callable[[int], bool]) -> list[tuple[int, ...]]:
        """Deferred peer requests whose data has now all arrived (RFC 6525 §5.2.2 E4)."""
        due = [d for d in self.deferred if reached(d[1])]
        if not due:
            return []
        self.deferred = [d for d in self.deferred if not reached(d[1])]
        if any(d[0] == self._last_peer_seq for d in due):
            self._last_peer_result = RESULT_SUCCESS_PERFORMED
        return [d[2] for d in due]

    @staticmethod
    def _respond(seq: int, result: int) -> bytes:
        return encode_reconfig_response(ReconfigResponse(seq, result))
