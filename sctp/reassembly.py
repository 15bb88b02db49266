"""Inbound DATA: TSN tracking for SACKs, reassembly, and per-stream ordering (RFC 9260 §6).

Theory of operation
-------------------
TSNs are 32-bit serial numbers (RFC 1982); inside this module they are *unwrapped* into plain,
ever-growing ints, relative to the cumulative TSN, so every comparison is an ordinary ``<``.
``cum`` is the cumulative TSN (everything up to it has arrived or was skipped by FORWARD TSN);
``above`` holds the TSNs received beyond it, from which the SACK's gap blocks are made.

A new DATA chunk then goes to its stream. Ordered messages (per-stream SSN, also unwrapped)
are reassembled per SSN and delivered strictly in SSN order; unordered messages are
reassembled by TSN contiguity (their fragments carry consecutive TSNs, §6.9) and delivered as
soon as complete. The common case, in-order arrival, costs one dict lookup and one append per
fragment and no sorting.

The receive window (§6.2) counts the payload bytes held here: fragments of incomplete messages
and complete messages waiting for an earlier SSN. Delivered messages leave the window.

Everything from the peer is bounded: TSNs too far ahead, more than ``max_out_of_order``
out-of-order chunks, or data beyond a full window are refused (the association counts them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final

from .chunks import FLAG_BEGIN, FLAG_END, FLAG_UNORDERED
from .events import MessageReceived
from .stats import AssociationStats

M32: Final = 0xFFFFFFFF
_HALF32: Final = 0x80000000

# Outcomes of Reassembly.receive().
NEW: Final = 0
DUPLICATE: Final = 1
OUT_OF_WINDOW: Final = 2


class _Partial:
    """Fragments of one message seen so far, keyed by unwrapped TSN."""

    __slots__ = ("first", "frags", "last", "ppid", "size")

    def __init__(self) -> None:
        self.frags: dict[int, bytes] = {}
        self.first: int | None = None
        """TSN of the fragment with the B bit."""
        self.last: int | None = None
        """TSN of the fragment with the E bit."""
        self.ppid = 0
        self.size = 0

    def add(self, tsn: int, flags: int, ppid: int, payload: bytes) -> bool:
        """Store one fragment; True when the message is complete."""
        self.frags[tsn] = payload
        self.size += len(payload)
        if flags & FLAG_BEGIN:
            self.first = tsn
            self.ppid = ppid
        if flags & FLAG_END:
            self.last = tsn
        first, last = self.first, self.last
        if first is None or last is None or len(self.frags) < last - first + 1:
            return False
        frags = self.frags
        return last >= first and all(t in frags for t in range(first, last + 1))

    def join(self) -> bytes:
        frags, first, last = self.frags, self.first, self.last
        assert first is not None and last is not None
        return b"".join([frags[t] for t in range(first, last + 1)])

    def hopeless(self, cum: int) -> bool:
        """True when a fragment this message needs is at or below ``cum`` and missing: it was
        skipped by FORWARD TSN and the message can never complete."""
        frags = self.frags
        lowest = min(frags)
        if self.first is None:
            return lowest <= cum
        stop = cum if self.last is None else min(cum, self.last)
        return any(t not in frags for t in range(self.first, stop + 1))


class _InStream:
    __slots__ = ("next_ssn", "partial", "ready", "run", "run_ppid", "run_tsn")

    def __init__(self) -> None:
        self.next_ssn = 0
        """The next SSN to deliver, unwrapped."""
        self.partial: dict[int, _Partial] = {}
        self.ready: dict[int, tuple[int, bytes]] = {}
        """Complete messages waiting for an earlier SSN: ssn -> (ppid, data)."""
        self.run: list[bytes] | None = None
        """Fragments of message ``next_ssn`` that arrived in TSN order, with nothing missing:
        the fast path of in-order reassembly (no dict, no completeness check)."""
        self.run_tsn = 0
        """The TSN that continues the run."""
        self.run_ppid = 0

    def settle_run(self) -> None:
        """Turn the in-order run into an ordinary partial message (before any slow path)."""
        run = self.run
        if run is None:
            return
        self.run = None
        partial = _Partial()
        first = self.run_tsn - len(run)
        partial.first = first
        partial.ppid = self.run_ppid
        for i, fragment in enumerate(run):
            partial.frags[first + i] = fragment
            partial.size += len(fragment)
        self.partial[self.next_ssn] = partial


class Reassembly:
    """The receiving half of an association's data path."""

    def __init__(
        self,
        *,
        initial_tsn: int,
        window: int,
        max_message_size: int,
        deliver: Callable[[MessageReceived], None],
        stats: AssociationStats,
        max_out_of_order: int = 65536,
    ) -> None:
        self.cum = initial_tsn - 1
        """Cumulative TSN, unwrapped (starts at the peer's initial TSN minus one)."""
        self.highest = self.cum
        """Highest TSN received, unwrapped."""
        self.above: set[int] = set()
        self.dups: list[int] = []
        """32-bit TSNs received again since the last SACK."""
        self.window = window
        self.buffered = 0
        """Payload bytes held: incomplete messages and complete ones waiting for order."""
        self.max_message_size = max_message_size
        self.max_out_of_order = max_out_of_order
        self.max_ahead = 1 << 20
        self._deliver = deliver
        self._streams: dict[int, _InStream] = {}
        self._unordered: dict[int, tuple[int, int, int, bytes]] = {}
        """Unordered fragments: tsn -> (stream id, flags, ppid, payload)."""
        self._stats = stats

    @property
    def a_rwnd(self) -> int:
        free = self.window - self.buffered
        return free if free > 0 else 0

    @property
    def cum_tsn32(self) -> int:
        return self.cum & M32

    # --- DATA ---------------------------------------------------------------------------------

    def receive(
        self, tsn32: int, sid: int, ssn: int, flags: int, ppid: int, payload: bytes | None
    ) -> int:
        """Take one DATA chunk; returns ``NEW``, ``DUPLICATE`` or ``OUT_OF_WINDOW``.

        ``payload`` None records the TSN only (a chunk for a stream that does not exist, which
        must still be acknowledged, RFC 9260 §6.5)."""
        cum = self.cum
        d = (tsn32 - cum) & M32
        if d == 1 and not self.above:
            # The next TSN with nothing out of order: the common case, kept short.
            if self.buffered >= self.window:
                return OUT_OF_WINDOW
            tsn = self.cum = self.highest = cum + 1
            if payload is None:
                return NEW
            if not flags & FLAG_UNORDERED:
                stream = self._streams.get(sid)
                run = None if stream is None else stream.run
                if run is not None:
                    assert stream is not None
                    if tsn == stream.run_tsn and ssn == stream.next_ssn & 0xFFFF and not flags & 2:
                        run.append(payload)
                        if flags & FLAG_END:
                            stream.run = None
                            data = b"".join(run)
                            self.buffered -= len(data) - len(payload)
                            stream.next_ssn += 1
                            self._emit(sid, stream.run_ppid, data)
                            if stream.ready:
                                self._drain(sid, stream)
                        else:
                            stream.run_tsn = tsn + 1
                            self.buffered += len(payload)
                        return NEW
                self._ordered_fragment(tsn, sid, ssn, flags, ppid, payload, True)
            else:
                self._unordered_fragment(tsn, sid, flags, ppid, payload)
            return NEW
        if d == 0 or d >= _HALF32:
            self.dups.append(tsn32)
            return DUPLICATE
        tsn = cum + d
        above = self.above
        if tsn > self.highest:
            if d > self.max_ahead or self.buffered >= self.window:
                return OUT_OF_WINDOW
            self.highest = tsn
        if tsn in above:
            self.dups.append(tsn32)
            return DUPLICATE
        if d == 1:
            cum = tsn
            while cum + 1 in above:
                cum += 1
                above.discard(cum)
            self.cum = cum
        else:
            if len(above) >= self.max_out_of_order:
                return OUT_OF_WINDOW
            above.add(tsn)
        if payload is None:
            return NEW
        if flags & FLAG_UNORDERED:
            self._unordered_fragment(tsn, sid, flags, ppid, payload)
        else:
            self._ordered_fragment(tsn, sid, ssn, flags, ppid, payload, False)
        return NEW

    def _ordered_fragment(
        self,
        tsn: int,
        sid: int,
        ssn: int,
        flags: int,
        ppid: int,
        payload: bytes,
        in_order: bool,
    ) -> None:
        stream = self._streams.get(sid)
        if stream is None:
            stream = self._streams[sid] = _InStream()
        elif stream.run is not None:
            stream.settle_run()
        nxt = stream.next_ssn
        ds = (ssn - nxt) & 0xFFFF
        if ds >= 0x8000:
            return  # an SSN already delivered or skipped: nothing to do with it
        ussn = nxt + ds
        if flags & 3 == 3:  # B and E: a whole message in one chunk, the common small case
            if stream.partial and ussn in stream.partial:
                self.buffered -= stream.partial.pop(ussn).size  # bogus fragments of this SSN
            if ds == 0:
                stream.next_ssn = nxt + 1
                self._emit(sid, ppid, payload)
                if stream.ready:
                    self._drain(sid, stream)
            elif ussn not in stream.ready:
                stream.ready[ussn] = (ppid, payload)
                self.buffered += len(payload)
            return
        self.buffered += len(payload)
        if in_order and ds == 0 and flags & FLAG_BEGIN and ussn not in stream.partial:
            # The first fragment of the next message, in TSN order: start a fast run.
            stream.run = [payload]
            stream.run_tsn = tsn + 1
            stream.run_ppid = ppid
            return
        partial = stream.partial.get(ussn)
        if partial is None:
            partial = stream.partial[ussn] = _Partial()
        if not partial.add(tsn, flags, ppid, payload):
            return
        del stream.partial[ussn]
        data = partial.join()
        self.buffered -= partial.size
        if ds == 0:
            stream.next_ssn = nxt + 1
            self._emit(sid, partial.ppid, data)
            if stream.ready:
                self._drain(sid, stream)
        else:
            stream.ready[ussn] = (partial.ppid, data)
            self.buffered += len(data)

    def _drain(self, sid: int, stream: _InStream) -> None:
        ready = stream.ready
        while (item := ready.pop(stream.next_ssn, None)) is not None:
            stream.next_ssn += 1
            self.buffered -= len(item[1])
            self._emit(sid, item[0], item[1])

    def _unordered_fragment(
        self, tsn: int, sid: int, flags: int, ppid: int, payload: bytes
    ) -> None:
        if flags & 3 == 3:
            self._emit(sid, ppid, payload)
            return
        frags = self._unordered
        frags[tsn] = (sid, flags, ppid, payload)
        self.buffered += len(payload)
        start = tsn
        while True:
            frag = frags.get(start)
            if frag is None or (start != tsn and frag[1] & FLAG_END):
                return
            if frag[1] & FLAG_BEGIN:
                break
            start -= 1
        end = tsn
        while True:
            frag = frags.get(end)
            if frag is None or (end != tsn and frag[1] & FLAG_BEGIN):
                return
            if frag[1] & FLAG_END:
                break
            end += 1
        pieces = [frags.pop(t) for t in range(start, end + 1)]
        data = b"".join([p[3] for p in pieces])
        self.buffered -= len(data)
        if any(p[0] != sid for p in pieces):
            return  # fragments of one message on different streams: malformed, dropped
        self._emit(sid, pieces[0][2], data)

    def _emit(self, sid: int, ppid: int, data: bytes) -> None:
        if self.max_message_size and len(data) > self.max_message_size:
            self._stats.dropped_messages_too_large += 1
            return
        self._stats.messages_received += 1
        self._deliver(MessageReceived(sid, ppid, data))

    # --- SACK contents ----------------------------------------------------------------------

    def gap_blocks(self, limit: int) -> list[tuple[int, int]]:
        """Up to ``limit`` (start, end) offsets from the cumulative TSN (RFC 9260 §3.3.4)."""
        if not self.above:
            return []
        cum = self.cum
        blocks: list[tuple[int, int]] = []
        start = prev = -1
        for tsn in sorted(self.above):
            offset = tsn - cum
            if offset > 0xFFFF:
                break
            if offset != prev + 1:
                if start >= 0:
                    blocks.append((start, prev))
                    if len(blocks) >= limit:
                        return blocks
                start = offset
            prev = offset
        if start >= 0:
            blocks.append((start, prev))
        return blocks

    def take_dups(self, limit: int) -> list[int]:
        dups, self.dups = self.dups[:limit], []
        return dups

    # --- FORWARD TSN (RFC 3758 §3.6) and stream reset (RFC 6525 §5.2.2) ----------------------

    def forward(self, new_cum32: int, streams: Iterable[tuple[int, int]]) -> bool:
        """Skip to ``new_cum32``; False if it is stale or implausibly far ahead."""
        cum = self.cum
        d = (new_cum32 - cum) & M32
        if d == 0 or d >= _HALF32:
            return False
        if d > self.max_ahead:
            return False
        cum += d
        above = {t for t in self.above if t > cum}
        while cum + 1 in above:
            cum += 1
            above.discard(cum)
        self.cum = cum
        self.above = above
        if cum > self.highest:
            self.highest = cum
        for settled in self._streams.values():
            settled.settle_run()
        for sid, ssn in streams:
            stream = self._streams.get(sid)
            if stream is None:
                stream = self._streams[sid] = _InStream()
            ds = (ssn - stream.next_ssn) & 0xFFFF
            if ds >= 0x8000:
                continue
            last = stream.next_ssn + ds
            for ussn in [s for s in stream.partial if s <= last]:
                self.buffered -= stream.partial.pop(ussn).size
            # Complete messages up to the skipped SSN are still delivered, in order; only the
            # gaps are skipped (RFC 3758 §3.6).
            for ussn in sorted(s for s in stream.ready if s <= last):
                ppid, data = stream.ready.pop(ussn)
                self.buffered -= len(data)
                self._emit(sid, ppid, data)
            stream.next_ssn = last + 1
            self._drain(sid, stream)
        for stream in self._streams.values():
            for ussn in [s for s, p in stream.partial.items() if p.hopeless(cum)]:
                self.buffered -= stream.partial.pop(ussn).size
        stale = [t for t in self._unordered if t <= cum]
        if stale:
            self._drop_unordered_through(stale, cum)
        return True

    def _drop_unordered_through(self, stale: list[int], cum: int) -> None:
        """Drop unordered fragments of messages cut by the new cumulative TSN."""
        frags = self._unordered
        for tsn in sorted(stale):
            if tsn not in frags:
                continue
            # Walk the whole run of this message (it may extend above cum) and drop it.
            start = tsn
            while start in frags and not frags[start][1] & FLAG_BEGIN:
                start -= 1
            end = tsn
            while end in frags and not frags[end][1] & FLAG_END:
                end += 1
            for t in range(start, end + 1):
                item = frags.pop(t, None)
                if item is not None:
                    self.buffered -= len(item[3])

    def reached(self, tsn32: int) -> bool:
        """True when everything up to ``tsn32`` has arrived (the condition for a reset)."""
        d = (tsn32 - self.cum) & M32
        return d == 0 or d >= _HALF32

    def reset_streams(self, stream_ids: Iterable[int]) -> None:
        """Incoming streams start again at SSN 0 (RFC 6525 §5.2.2); an empty list means all."""
        ids = list(stream_ids)
        targets = ids if ids else list(self._streams)
        for sid in targets:
            stream = self._streams.pop(sid, None)
            if stream is not None:
                stream.settle_run()
                for partial in stream.partial.values():
                    self.buffered -= partial.size
                for _, data in stream.ready.values():
                    self.buffered -= len(data)

    def stream_count(self) -> int:
        """Streams with receive state (for memory checks)."""
        return len(self._streams)
