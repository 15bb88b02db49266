"""STUN Binding request encode + decode, with MESSAGE-INTEGRITY and FINGERPRINT: messages/s,
ours against aioice's codec in the same run (see bench/README.md, "ICE").

One "message" is what an ICE agent does per connectivity check on each side: build a request
(USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE) from Python values, sign it, fingerprint
it, serialise it; then parse it, verify the fingerprint and the integrity, and read the three
values back.

    .venv/bin/python bench/stun_codec.py [--rounds 7] [--count 20000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aioice import stun as aioice_stun

from ice.stun import Attr, Method, StunClass, encode_message, parse_message
from ice.stun import attributes as attrs

USERNAME = "remoteufrag:localufrag"
PASSWORD = b"0123456789abcdefghijkl"
PRIORITY = 1853817087
TIE_BREAKER = 0x1234567890ABCDEF
TID = os.urandom(12)


def ours(count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        data = encode_message(
            Method.BINDING,
            StunClass.REQUEST,
            TID,
            {
                Attr.USERNAME: attrs.encode_text(Attr.USERNAME, USERNAME),
                Attr.PRIORITY: attrs.encode_u32(PRIORITY),
                Attr.ICE_CONTROLLING: attrs.encode_u64(TIE_BREAKER),
                Attr.USE_CANDIDATE: b"",
            },
            key=PASSWORD,
        )
        message = parse_message(data)
        assert message.check_integrity(PASSWORD)
        assert message.get_text(Attr.USERNAME) == USERNAME
        assert message.get_u32(Attr.PRIORITY) == PRIORITY
        assert message.get_u64(Attr.ICE_CONTROLLING) == TIE_BREAKER
    return time.perf_counter() - start


def theirs(count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        request = aioice_stun.Message(
            message_method=aioice_stun.Method.BINDING,
            message_class=aioice_stun.Class.REQUEST,
            transaction_id=TID,
        )
        request.attributes["USERNAME"] = USERNAME
        request.attributes["PRIORITY"] = PRIORITY
        request.attributes["ICE-CONTROLLING"] = TIE_BREAKER
        request.attributes["USE-CANDIDATE"] = None
        request.add_message_integrity(PASSWORD)  # also adds FINGERPRINT
        data = bytes(request)
        message = aioice_stun.parse_message(data)
        assert message.check_message_integrity(PASSWORD)
        assert message.attributes["USERNAME"] == USERNAME
        assert message.attributes["PRIORITY"] == PRIORITY
        assert message.attributes["ICE-CONTROLLING"] == TIE_BREAKER
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--count", type=int, default=20000)
    args = parser.parse_args()
    ours(1000)
    theirs(1000)  # warm up both
    ours_rates, their_rates = [], []
    for _ in range(args.rounds):  # interleaved, so noise hits both alike
        ours_rates.append(args.count / ours(args.count))
        their_rates.append(args.count / theirs(args.count))
    best_ours, best_theirs = max(ours_rates), max(their_rates)
    med_ours, med_theirs = statistics.median(ours_rates), statistics.median(their_rates)
    print(f"python {sys.version.split()[0]}, {args.rounds} rounds of {args.count} messages")
    print(f"ours   : best {best_ours:10,.0f} msg/s   median {med_ours:10,.0f} msg/s")
    print(f"aioice : best {best_theirs:10,.0f} msg/s   median {med_theirs:10,.0f} msg/s")
    print(f"ratio ours/aioice (median): {med_ours / med_theirs:.2f}x")


if __name__ == "__main__":
    main()
