"""Receive-side bookkeeping against naive models: gap blocks, duplicates, and delivery order
for TSNs arriving in any order (hypothesis), and the range helpers of the send side."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sctp.events import MessageReceived
from sctp.reassembly import DUPLICATE, NEW, Reassembly
from sctp.sent import merge, uncovered
from sctp.stats import AssociationStats

START = 0xFFFFFFF0  # close to the 32-bit wrap on purpose


def _naive_blocks(received: set[int], cum: int) -> list[tuple[int, int]]:
    blocks: list[tuple[int, int]] = []
    for tsn in sorted(t for t in received if t > cum):
        offset = tsn - cum
        if blocks and blocks[-1][1] == offset - 1:
            blocks[-1] = (blocks[-1][0], offset)
        else:
            blocks.append((offset, offset))
    return blocks


@settings(max_examples=300)
@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=150))
def test_gap_blocks_and_duplicates_match_a_naive_model(arrivals: list[int]) -> None:
    delivered: list[MessageReceived] = []
    r = Reassembly(
        initial_tsn=START,
        window=1 << 20,
        max_message_size=0,
        deliver=delivered.append,
        stats=AssociationStats(),
    )
    received: set[int] = set()
    for offset in arrivals:
        tsn = START + offset
        outcome = r.receive(tsn & 0xFFFFFFFF, 1, offset & 0xFFFF, 3, 53, offset.to_bytes(2, "big"))
        assert outcome == (DUPLICATE if tsn in received else NEW)
        received.add(tsn)
        cum = START - 1
        while cum + 1 in received:
            cum += 1
        assert r.cum == cum
        assert r.gap_blocks(1000) == _naive_blocks(received, cum)
    # Ordered delivery: exactly the contiguous prefix of SSNs, in order.
    prefix = r.cum - START + 1
    assert [int.from_bytes(m.data, "big") for m in delivered] == list(range(prefix))


@settings(max_examples=300)
@given(
    st.lists(st.tuples(st.integers(0, 80), st.integers(0, 10)), max_size=8),
    st.integers(0, 80),
    st.integers(0, 20),
)
def test_range_helpers(covered_raw: list[tuple[int, int]], first: int, length: int) -> None:
    covered = merge([], [(a, a + n) for a, n in covered_raw])
    assert covered == sorted(covered)
    points = {t for a, b in covered for t in range(a, b + 1)}
    assert points == {t for a, n in covered_raw for t in range(a, a + n + 1)}
    last = first + length
    parts = uncovered(first, last, covered)
    assert {t for a, b in parts for t in range(a, b + 1)} == {
        t for t in range(first, last + 1) if t not in points
    }
