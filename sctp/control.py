"""The less frequent control chunks of an association: shutdown (RFC 9260 §9.2), HEARTBEAT
(§8.3), ERROR (§3.3.10), FORWARD TSN (RFC 3758 §3.6) and RE-CONFIG (RFC 6525).

Shutdown waits until every queued message is sent and acknowledged, then SHUTDOWN, SHUTDOWN
ACK and SHUTDOWN COMPLETE close both ends; either end may start it, or both at once. Heartbeats
probe an idle path (no data outstanding: T3-rtx watches the path otherwise) and measure its
RTT. Stream resets are driven by :class:`~sctp.stream_reset.StreamResetter`; here they meet the
reassembly queue (incoming) and the send queues (outgoing).
"""

from __future__ import annotations

import struct
from typing import Final

from . import chunks as C
from .errors import SctpParseError
from .events import StreamsReset
from .stream_reset import RESET_DONE, RESET_FAILED
from .tcb import CAN_RECEIVE_DATA, CONNECTED, M32, S, Tcb

_HB_INFO: Final = struct.Struct("!d8s")
"""Heartbeat information: the send time and a nonce from ``token_bytes``."""


class ControlMixin(Tcb):
    def _on_heartbeat_timer(self, now: float) -> None:
        interval = self.settings.heartbeat_interval
        idle_since = max(self.outbound.last_sent_at, self._hb_sent_at)
        if self.outbound.has_outstanding:
            idle_since = now  # data in flight: T3-rtx watches the path, no heartbeat needed
        if now - idle_since < interval:
            self._hb_at = idle_since + interval + self.rto.rto
            self._arm(self._hb_at)
            return
        if self._hb_timeout_at is None:
            nonce = self._token_bytes(8)
            self._hb_nonce = nonce
            self._hb_sent_at = now
            info = C.param(C.PARAM_HEARTBEAT_INFO, _HB_INFO.pack(now, nonce))
            self._control.append(C.chunk(C.HEARTBEAT, 0, info))
            self._hb_timeout_at = now + self.rto.rto
            self._arm(self._hb_timeout_at)
        self._hb_at = now + interval + self.rto.rto
        self._arm(self._hb_at)

    def _on_heartbeat_ack(self, body: bytes, now: float) -> None:
        for ptype, value in C.iter_params(body):
            if ptype != C.PARAM_HEARTBEAT_INFO or len(value) != _HB_INFO.size:
                continue
            sent_at, nonce = _HB_INFO.unpack(value)
            if self._hb_nonce is not None and nonce == self._hb_nonce:
                self._hb_nonce = None
                self._hb_timeout_at = None
                self._errors = 0
                self.rto.on_measurement(now - sent_at)
                self.stats.rtt_samples += 1
                return
        self.stats.dropped_unexpected += 1

    def _on_error(self, body: bytes, now: float) -> None:
        causes = C.decode_causes(body)
        self.log.info("peer reported: %s", C.describe_causes(body))
        if self.state is S.COOKIE_ECHOED and any(c == C.CAUSE_STALE_COOKIE for c, _ in causes):
            # §5.2.6: start over with a fresh INIT.
            self._set_state(S.COOKIE_WAIT)
            self._t1_chunk = C.encode_init(C.INIT, self._our_init())
            self._send_init(now)

    def _on_forward_tsn(self, body: bytes) -> None:
        inbound = self.inbound
        if inbound is None or self.state not in CAN_RECEIVE_DATA:
            self.stats.dropped_unexpected += 1
            return
        new_cum, streams = C.decode_forward_tsn(body)
        if not inbound.forward(new_cum, streams):
            d = (new_cum - inbound.cum) & M32
            if d and d < 0x80000000:
                self.stats.dropped_data_out_of_window += 1
        self._sack_now = True
        resetter = self.resetter
        if resetter is not None and resetter.deferred:
            for ids in resetter.take_due_deferred(inbound.reached):
                self._reset_incoming(ids)

    def _on_reconfig(self, body: bytes, now: float) -> None:
        resetter, inbound = self.resetter, self.inbound
        if resetter is None or inbound is None or self.state not in CONNECTED:
            self.stats.dropped_unexpected += 1
            return
        responses: list[bytes] = []
        for item in C.decode_reconfig(body):
            if isinstance(item, C.OutgoingResetRequest):
                response, streams = resetter.on_outgoing_request(item, inbound.reached)
                responses.append(response)
                if streams is not None:
                    self._reset_incoming(streams)
            elif isinstance(item, C.ReconfigResponse):
                outcome = resetter.on_response(item, now, self.rto.rto)
                if resetter.timer_at is not None:
                    self._arm(resetter.timer_at)
                if outcome is not None:
                    kind, streams = outcome
                    if kind == RESET_DONE:
                        self.outbound.reset_done(streams)
                        self.events.append(StreamsReset(streams, incoming=False))
                    elif kind == RESET_FAILED:
                        # The peer refused: the streams stay usable, report them as reset so
                        # the channel layer can release them (nothing better can be done).
                        self.outbound.reset_done(streams)
                        self.events.append(StreamsReset(streams, incoming=False))
            else:
                responses.append(resetter.on_other_request(item))
        if responses:
            self._control.append(C.chunk(C.RECONFIG, 0, b"".join(responses)))

    def _reset_incoming(self, streams: tuple[int, ...]) -> None:
        assert self.inbound is not None
        self.inbound.reset_streams(streams)
        self.events.append(StreamsReset(streams, incoming=True))

    def _on_shutdown(self, body: bytes, now: float) -> None:
        state = self.state
        if len(body) < 4:
            raise SctpParseError("SHUTDOWN without a cumulative TSN ack", 0)
        if state in (S.ESTABLISHED, S.SHUTDOWN_PENDING, S.SHUTDOWN_RECEIVED):
            cum = struct.unpack_from("!I", body)[0]
            self.outbound.on_sack(cum, self.outbound.peer_a_rwnd, [], now)
            if state is not S.SHUTDOWN_RECEIVED:
                self._set_state(S.SHUTDOWN_RECEIVED)
            self._shutdown_progress(now)
        elif state is S.SHUTDOWN_SENT:
            self._send_shutdown_ack(now)
        else:
            self.stats.dropped_unexpected += 1

    def _on_shutdown_ack(self, now: float) -> None:
        if self.state in (S.SHUTDOWN_SENT, S.SHUTDOWN_ACK_SENT):
            self._send_alone(C.chunk(C.SHUTDOWN_COMPLETE), self.peer_tag)
            self._end("shutdown", error=False)
        else:
            self.stats.dropped_unexpected += 1

    def _shutdown_progress(self, now: float) -> None:
        """Move on once every queued message has been sent and acknowledged."""
        if not self.outbound.idle:
            return
        inbound = self.inbound
        cum = 0 if inbound is None else inbound.cum_tsn32
        if self.state is S.SHUTDOWN_PENDING:
            self._set_state(S.SHUTDOWN_SENT)
            self._t2_chunk = C.chunk(C.SHUTDOWN, 0, struct.pack("!I", cum))
            self._control.append(self._t2_chunk)
            self._t2_at = now + self.rto.rto
            self._arm(self._t2_at)
            self._sack_at = None
        elif self.state is S.SHUTDOWN_RECEIVED:
            self._send_shutdown_ack(now)

    def _send_shutdown_ack(self, now: float) -> None:
        self._set_state(S.SHUTDOWN_ACK_SENT)
        self._t2_chunk = C.chunk(C.SHUTDOWN_ACK)
        self._control.append(self._t2_chunk)
        self._t2_count = 0
        self._t2_at = now + self.rto.rto
        self._arm(self._t2_at)
        self.outbound.t3_at = None
