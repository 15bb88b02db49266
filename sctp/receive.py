"""The receive side of an association: packets from the peer, chunk by chunk (RFC 9260).

``handle_datagram`` checks the common header (checksum or the zero checksum of RFC 9653,
ports, the verification-tag rules of §8.5 and §8.5.1), then walks the chunks: DATA is
unpacked in place and handed to :class:`~sctp.reassembly.Reassembly`, SACK to
:class:`~sctp.outbound.Outbound`, the rest to the handshake (:mod:`sctp.handshake`) and
control (:mod:`sctp.control`) parts. A packet holding one DATA chunk or one plain SACK while
ESTABLISHED, the bulk of a transfer, takes a fast path with a single ``struct`` unpack for the
common and chunk headers together. SACK timing (§6.2) is decided here too: every
``sack_every`` packets, at once on gaps and duplicates, otherwise within the delayed-ack
timeout. Nothing here raises on peer input: what cannot be used is dropped and counted.
"""

from __future__ import annotations

import struct
from typing import Final

from . import chunks as C
from .chunks import CHUNK_HEADER, DATA_HEADER
from .control import ControlMixin
from .errors import SctpParseError
from .handshake import HandshakeMixin
from .outbound import SACK_INVALID, SACK_STALE
from .packet import FULL_HEADER, checksum_ok
from .reassembly import DUPLICATE, NEW
from .tcb import CONNECTED, S

_DATA_PACKET: Final = struct.Struct("!HHIIBBHIHHI")
"""A packet holding one DATA chunk: common header and DATA header in one unpack (28 bytes)."""
_SACK_PACKET: Final = struct.Struct("!HHIIBBHIIHH")
"""A packet holding one SACK chunk without gap blocks or duplicates (28 bytes)."""


class ReceiveMixin(HandshakeMixin, ControlMixin):
    def _gone(self) -> bool:
        """``ended``, read through a call so type narrowing does not assume it is unchanged."""
        return self.ended

    def handle_datagram(self, data: bytes, *, now: float) -> None:
        """One SCTP packet from the peer. Never raises on peer input."""
        self._now = now
        stats = self.stats
        stats.packets_received += 1
        n = len(data)
        stats.bytes_received += n
        if n >= 28 and self._established and self._fast_path(data, n, now):
            return
        if n < 16:
            stats.dropped_too_short += 1
            return
        src, dst, vtag, checksum = FULL_HEADER.unpack_from(data, 0)
        settings = self.settings
        if (checksum or not settings.zero_checksum) and not checksum_ok(data):
            stats.dropped_bad_checksum += 1
            return
        if dst != settings.local_port or src != settings.remote_port:
            stats.dropped_bad_port += 1
            return
        if self.ended:
            self._handle_after_end(data, vtag)
            return
        if (
            vtag != self.local_tag or data[12] in (C.INIT, C.ABORT, C.SHUTDOWN_COMPLETE)
        ) and not self._vtag_ok(data[12], data[13], vtag):
            stats.dropped_bad_vtag += 1
            return

        inbound = self.inbound
        receive_data = None if inbound is None else inbound.receive
        got_data = got_dup = immediate = False
        offset = 12
        unpack_header = CHUNK_HEADER.unpack_from
        while offset + 4 <= n:
            ctype, flags, length = unpack_header(data, offset)
            end = offset + length
            if length < 4 or end > n:
                stats.dropped_malformed += 1
                break
            if ctype == 0:  # DATA, the hot path: unpacked in place
                if receive_data is None or not self._receiving:
                    stats.dropped_unexpected += 1
                elif length <= 16:
                    stats.dropped_data_empty += 1
                else:
                    _, _, _, tsn, sid, ssn, ppid = DATA_HEADER.unpack_from(data, offset)
                    if sid >= self.inbound_streams:
                        stats.dropped_data_invalid_stream += 1
                        result = receive_data(tsn, sid, ssn, flags, ppid, None)
                        if result == NEW:
                            self._control.append(
                                C.chunk(
                                    C.ERROR,
                                    0,
                                    C.cause(C.CAUSE_INVALID_STREAM, struct.pack("!HH", sid, 0)),
                                )
                            )
                    else:
                        result = receive_data(tsn, sid, ssn, flags, ppid, data[offset + 16 : end])
                    got_data = True
                    if result == NEW:
                        stats.data_chunks_received += 1
                    elif result == DUPLICATE:
                        stats.dropped_duplicate_data += 1
                        got_dup = True
                    else:
                        stats.dropped_data_out_of_window += 1
                        got_dup = True
                    if flags & C.FLAG_IMMEDIATE:
                        immediate = True
            else:
                try:
                    if not self._handle_control(ctype, flags, data, offset, length, now):
                        break
                except SctpParseError:
                    stats.dropped_malformed += 1
                if self._gone():
                    return
            offset = (end + 3) & ~3

        if got_data:
            self._after_data(got_dup or immediate, now)
        self._flush_if_needed(now)

    def _flush_if_needed(self, now: float) -> None:
        """Packets are built when the driver polls (``poll_transmit``), not here: a driver that
        handles a batch of datagrams before polling sends one SACK for the batch, reflecting
        all of it, and one round of new DATA (see ``sctp.transport``)."""
        out = self.outbound
        if (
            self._sack_now
            or self._control
            or out.forward_tsn_pending
            or (self._sending and out.has_pending)
            or (self.resetter is not None and self.resetter.pending)
        ):
            self._flush_pending = True

    def _fast_path(self, data: bytes, n: int, now: float) -> bool:
        """A packet with exactly one DATA chunk, or one plain SACK, while ESTABLISHED: the bulk
        of a transfer. Anything unusual returns False and takes the general path."""
        kind = data[12]
        settings = self.settings
        if kind == 0:
            src, dst, vtag, checksum, _, flags, length, tsn, sid, ssn, ppid = (
                _DATA_PACKET.unpack_from(data, 0)
            )
            if (
                vtag != self.local_tag
                or 12 + ((length + 3) & ~3) != n
                or length <= 16
                or sid >= self.inbound_streams
                or dst != settings.local_port
                or src != settings.remote_port
                or not ((not checksum and settings.zero_checksum) or checksum_ok(data))
            ):
                return False
            inbound = self.inbound
            assert inbound is not None
            result = inbound.receive(tsn, sid, ssn, flags, ppid, data[28 : 12 + length])
            stats = self.stats
            if result == NEW:
                stats.data_chunks_received += 1
                self._after_data(bool(flags & C.FLAG_IMMEDIATE), now)
            elif result == DUPLICATE:
                stats.dropped_duplicate_data += 1
                self._after_data(True, now)
            else:
                stats.dropped_data_out_of_window += 1
                self._after_data(True, now)
        elif kind == C.SACK and n == 28:
            src, dst, vtag, checksum, _, _, length, cum, a_rwnd, _, _ = _SACK_PACKET.unpack_from(
                data, 0
            )
            if (
                vtag != self.local_tag
                or length != 16
                or dst != settings.local_port
                or src != settings.remote_port
                or not ((not checksum and settings.zero_checksum) or checksum_ok(data))
            ):
                return False
            self._on_sack(cum, a_rwnd, C.NO_GAPS, now)
        else:
            return False
        self._flush_if_needed(now)
        return True

    def _on_sack(self, cum: int, a_rwnd: int, gaps: list[int], now: float) -> None:
        stats = self.stats
        stats.sacks_received += 1
        out = self.outbound
        result = out.on_sack(cum, a_rwnd, gaps, now)
        if result == SACK_STALE:
            stats.dropped_sack_stale += 1
        elif result == SACK_INVALID:
            stats.dropped_sack_invalid += 1
        elif out.newly_acked:
            self._errors = 0  # the peer acknowledged data: it is alive (RFC 9260 §8.1)
        if not self._established:
            self._shutdown_progress(now)

    def _vtag_ok(self, first: int, flags: int, vtag: int) -> bool:
        """RFC 9260 §8.5 and §8.5.1: which verification tag each packet must carry."""
        if first == C.INIT:
            return vtag == 0
        if first in (C.ABORT, C.SHUTDOWN_COMPLETE) and flags & C.FLAG_T:
            return self.peer_tag != 0 and vtag == self.peer_tag
        return vtag == self.local_tag

    def _handle_after_end(self, data: bytes, vtag: int) -> None:
        """Out of the blue (RFC 9260 §8.4): only a SHUTDOWN ACK gets a reply."""
        if data[12] == C.SHUTDOWN_ACK:
            self._send_alone(C.chunk(C.SHUTDOWN_COMPLETE, C.FLAG_T), vtag)
        else:
            self.stats.dropped_unexpected += 1

    def _after_data(self, urgent: bool, now: float) -> None:
        """SACK timing (RFC 9260 §6.2): at least every ``sack_every`` packets, at once on
        gaps or duplicates, otherwise within the delayed-ack timeout."""
        inbound = self.inbound
        assert inbound is not None
        resetter = self.resetter
        if resetter is not None and resetter.deferred:
            for streams in resetter.take_due_deferred(inbound.reached):
                self._reset_incoming(streams)
        self._unacked_packets += 1
        if urgent or inbound.above or self.state is S.SHUTDOWN_SENT:
            # Gaps and duplicates are reported at once, one SACK per packet: the sender counts
            # miss indications per SACK for fast retransmit (§7.2.4), so they are not batched.
            self._sack_now = True
            self._flush(now)
        elif self._unacked_packets >= self._sack_every:
            self._sack_now = True
            if self._unacked_packets >= self._sack_coalesce:
                self._flush(now)
        elif self._sack_at is None:
            self._sack_at = at = now + min(self.settings.delayed_ack_timeout, self.rto.rto / 2)
            soonest = self._soonest
            if soonest is None or at < soonest:
                self._soonest = at

    # --- control chunks -----------------------------------------------------------------------

    def _handle_control(
        self, ctype: int, flags: int, data: bytes, offset: int, length: int, now: float
    ) -> bool:
        """Handle one non-DATA chunk; False means: stop processing this packet."""
        stats = self.stats
        state = self.state
        if ctype == C.SACK:
            if state not in CONNECTED:
                stats.dropped_unexpected += 1
                return True
            cum, a_rwnd, gaps, _ = C.decode_sack(data, offset, length)
            self._on_sack(cum, a_rwnd, gaps, now)
            return True
        body = data[offset + 4 : offset + length]
        if ctype == C.INIT:
            self._on_init(body, now)
            return False
        if ctype == C.INIT_ACK:
            self._on_init_ack(body, now)
            return False
        if ctype == C.COOKIE_ECHO:
            self._on_cookie_echo(body, now)
        elif ctype == C.COOKIE_ACK:
            if state is S.COOKIE_ECHOED:
                self._establish(now)
            else:
                stats.dropped_unexpected += 1
        elif ctype == C.HEARTBEAT:
            if self.peer_tag:
                self._control.append(C.chunk(C.HEARTBEAT_ACK, 0, body))
        elif ctype == C.HEARTBEAT_ACK:
            self._on_heartbeat_ack(body, now)
        elif ctype == C.ABORT:
            self._end(f"aborted by peer: {C.describe_causes(body)}", error=True)
            return False
        elif ctype == C.SHUTDOWN:
            self._on_shutdown(body, now)
        elif ctype == C.SHUTDOWN_ACK:
            self._on_shutdown_ack(now)
        elif ctype == C.SHUTDOWN_COMPLETE:
            if state is S.SHUTDOWN_ACK_SENT:
                self._end("shutdown", error=False)
                return False
            stats.dropped_unexpected += 1
        elif ctype == C.ERROR:
            self._on_error(body, now)
        elif ctype == C.FORWARD_TSN:
            self._on_forward_tsn(body)
        elif ctype == C.RECONFIG:
            self._on_reconfig(body, now)
        else:
            # RFC 9260 §3.2: the two high bits of an unknown type say what to do.
            stats.dropped_unknown_chunk += 1
            if ctype & 0x40 and self.peer_tag:
                report = data[offset : offset + length]
                self._control.append(
                    C.chunk(C.ERROR, 0, C.cause(C.CAUSE_UNRECOGNIZED_CHUNK, report[:1024]))
                )
            return bool(ctype & 0x80)
        return True
