"""What the sending side keeps: queued messages, records of sent chunks, and their marks.

A chunk sent and not yet cumulatively acknowledged is a plain tuple ``(payload, message, flags,
ssn, sent_at)`` (:data:`SentChunk`), so the loss-free path allocates no object per chunk; the
few that need more state (gap-acked, marked for retransmission, abandoned, counting miss
indications, sent more than once) get a :class:`Mark`. TSN ranges (gap blocks, settled holes)
are sorted lists of ``(first, last)`` pairs handled by :func:`uncovered` and :func:`merge`.
"""

from __future__ import annotations

from collections import deque
from typing import Final

# Fields of a sent-chunk tuple.
PAYLOAD: Final = 0
MSG: Final = 1
FLAGS: Final = 2
SSN: Final = 3
SENT_AT: Final = 4


class OutMessage:
    __slots__ = (
        "abandoned",
        "counted",
        "data",
        "expires",
        "max_rtx",
        "offset",
        "ppid",
        "sid",
        "ssn",
        "tsns",
        "unordered",
    )

    def __init__(
        self,
        sid: int,
        ppid: int,
        data: bytes,
        unordered: bool,
        max_rtx: int | None,
        expires: float | None,
        counted: int,
    ) -> None:
        self.sid = sid
        self.ppid = ppid
        self.data = data
        self.unordered = unordered
        self.max_rtx = max_rtx
        self.expires = expires
        self.counted = counted
        """Bytes of this message counted in bufferedAmount (0 for the empty-message byte)."""
        self.offset = 0
        """How much of ``data`` has been cut into chunks."""
        self.ssn = 0
        self.abandoned = False
        self.tsns: list[int] | None = [] if max_rtx is not None or expires is not None else None
        """TSNs sent so far, kept only for partial-reliable messages (to abandon them)."""


SentChunk = tuple[bytes, OutMessage, int, int, float]


class Mark:
    """Extra state of a sent chunk, only for the few that were not simply sent once and acked."""

    __slots__ = ("abandoned", "acked", "fast_done", "misses", "nsent", "rtx")

    def __init__(self) -> None:
        self.acked = False
        """Acknowledged by a gap block (cumulatively acked chunks leave ``_sent``)."""
        self.abandoned = False
        self.rtx = False
        """Marked for retransmission (and so not counted in flight)."""
        self.misses = 0
        self.fast_done = False
        self.nsent = 1

    @property
    def settled(self) -> bool:
        """Gap-acked or abandoned: neither in flight nor to be sent again."""
        return self.acked or self.abandoned


def uncovered(first: int, last: int, covered: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Parts of [first, last] outside the sorted, disjoint ``covered`` ranges."""
    parts = []
    lo = first
    for a, b in covered:
        if b < lo:
            continue
        if a > last:
            break
        if a > lo:
            parts.append((lo, a - 1))
        lo = max(lo, b + 1)
        if lo > last:
            return parts
    if lo <= last:
        parts.append((lo, last))
    return parts


def merge(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The union of two lists of ranges, sorted and coalesced."""
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(a + b):
        if merged and lo <= merged[-1][1] + 1:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


class OutStream:
    __slots__ = ("buffered", "low_threshold", "next_ssn", "paused", "queue")

    def __init__(self) -> None:
        self.queue: deque[OutMessage] = deque()
        self.next_ssn = 0
        self.buffered = 0
        self.low_threshold = 0
        self.paused = False
