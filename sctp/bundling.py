"""Building packets: control chunks first, then DATA, bundled up to the MTU (RFC 9260 §6.10).

A delayed SACK rides along with outgoing DATA (§6.2); a packet that only carries DATA takes the
zero-checksum fast path of RFC 9653 when both ends agreed to it (one join builds the packet).
Chunks that must travel alone (INIT, INIT ACK, ABORT, SHUTDOWN COMPLETE) use :meth:`_send_alone`.
"""

from __future__ import annotations

from . import chunks as C
from .packet import header_crc, header_prefix, seal
from .tcb import M32, Tcb


class BundlingMixin(Tcb):
    def _flush(self, now: float) -> None:
        """Bundle everything due into packets of at most ``mtu`` bytes (RFC 9260 §6.10)."""
        self._flush_pending = False
        if self.ended:
            self._control.clear()
            return
        control = self._control
        out = self.outbound
        sending = self._sending
        resetter = self.resetter
        if resetter is not None and resetter.pending and self._established:
            streams = resetter.ready(lambda sid: out.drained((sid,)))
            if streams:
                control.append(
                    resetter.make_request(streams, (out.next_tsn - 1) & M32, now, self.rto.rto)
                )
                if resetter.timer_at is not None:
                    self._arm(resetter.timer_at)
        room = self._room
        tx = self._tx
        stats = self.stats
        head = self._zero_head if self.zero_checksum else b""
        # Packets with control chunks first (RFC 9260 §6.10: control before DATA), data
        # filling whatever room they leave.
        while control or self._sack_now or (out.forward_tsn_pending and self.partial_reliability):
            parts: list[bytes] = [head] if head else []
            used = 0
            while control and (used + len(control[0]) <= room or not used):
                item = control.popleft()
                parts.append(item)
                used += len(item)
            if self._sack_now:
                sack = self._make_sack()
                if sack is not None:
                    if used and used + len(sack) > room:  # control chunks filled this one
                        self._emit_packet(parts, head)
                        parts = [head] if head else []
                        used = 0
                    parts.append(sack)
                    used += len(sack)
            if out.forward_tsn_pending and self.partial_reliability and self.connected:
                fwd = out.forward_tsn_chunk()
                if used + len(fwd) <= room:
                    parts.append(fwd)
                    used += len(fwd)
                else:
                    out.forward_tsn_pending = True
            else:
                out.forward_tsn_pending = False
            if sending and used < room:
                used += out.fill(parts, room - used, now)
            if not used:
                break
            self._emit_packet(parts, head)
        if not sending:
            return
        # Then packets of DATA only, as long as the windows allow. A delayed SACK (no gaps, no
        # duplicates: exactly 16 bytes) rides along with the first (RFC 9260 §6.2).
        fill = out.fill
        inbound = self.inbound
        piggyback = (
            self._sack_at is not None
            and inbound is not None
            and not inbound.above
            and not inbound.dups
        )
        while True:
            parts = [head] if head else []
            used = fill(parts, room - 16 if piggyback else room, now)
            if not used:
                return
            if piggyback:
                piggyback = False
                sack = self._make_sack()
                if sack is not None:
                    parts.insert(1 if head else 0, sack)
            if head:
                packet = b"".join(parts)
            else:
                packet = seal(self._prefix, self._prefix_crc, b"".join(parts))
            tx.append(packet)
            stats.packets_sent += 1
            stats.bytes_sent += len(packet)

    def _emit_packet(self, parts: list[bytes], head: bytes) -> None:
        if head:
            packet = b"".join(parts)
        else:
            packet = seal(self._prefix, self._prefix_crc, b"".join(parts))
        self._tx.append(packet)
        self.stats.packets_sent += 1
        self.stats.bytes_sent += len(packet)

    def _make_sack(self) -> bytes | None:
        inbound = self.inbound
        self._sack_now = False
        self._sack_at = None
        self._unacked_packets = 0
        if inbound is None:
            return None
        self.stats.sacks_sent += 1
        if not inbound.above and not inbound.dups:
            return C.encode_sack(inbound.cum & M32, inbound.a_rwnd, (), ())
        max_blocks = (self._room - 16) // 4 - 1
        gaps = inbound.gap_blocks(min(200, max_blocks))
        dups = inbound.take_dups(min(max(0, max_blocks - len(gaps)), 64))
        return C.encode_sack(inbound.cum_tsn32, inbound.a_rwnd, gaps, dups)

    def _send_alone(self, chunk: bytes, vtag: int) -> None:
        """A packet with one chunk that must not be bundled (INIT, INIT ACK, ABORT, ...)."""
        s = self.settings
        prefix = header_prefix(s.local_port, s.remote_port, vtag)
        packet = seal(prefix, header_crc(prefix), chunk)
        self._tx.append(packet)
        self.stats.packets_sent += 1
        self.stats.bytes_sent += len(packet)

    def _send_abort(self, causes: bytes, now: float) -> None:
        self._control.clear()
        self._send_alone(C.chunk(C.ABORT, 0, causes), self.peer_tag)
