"""Interop with aioice (the ICE library under aiortc), in both roles.

aioice gathers every address but 127.0.0.1 and ::1 and has no switch for loopback, so the test
runs both agents inside a network namespace it creates, on the two ends of a veth pair
(tests/netns.py): ordinary private addresses that reach nothing outside the test.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aioice
import pytest

from ice import IceConnection, IceConnectionState, IceSettings, NetworkType
from sdp import Candidate
from tests.netns import Namespace, run_in_namespace, veth_namespace


@dataclass
class Outcome:
    our_state: IceConnectionState
    our_role: str
    our_pair: tuple[tuple[str, int], tuple[str, int]]
    their_candidates: list[str]
    we_got: list[bytes]
    they_got: list[bytes]
    our_consent_answers: int


async def _interop(ns: Namespace, *, we_control: bool) -> Outcome:
    ours = IceConnection(
        IceSettings(
            network_types=frozenset({NetworkType.UDP4}),
            interface_filter=lambda name: name in ns.interfaces,
            keepalive_interval=0.5,
        )
    )
    theirs = aioice.Connection(ice_controlling=not we_control, use_ipv6=False)
    try:
        await ours.gather()
        await theirs.gather_candidates()
        for c in theirs.local_candidates:
            ours.add_remote_candidate(Candidate.from_sdp(c.to_sdp()))
        ours.add_remote_candidate(None)
        for ours_c in ours.local_candidates:
            line = ours_c.to_sdp().removeprefix("candidate:")
            await theirs.add_remote_candidate(aioice.Candidate.from_sdp(line))
        await theirs.add_remote_candidate(None)
        theirs.remote_username, theirs.remote_password = ours.local_credentials
        if we_control:
            ours_done = ours.dial(theirs.local_username, theirs.local_password)
        else:
            ours_done = ours.accept(theirs.local_username, theirs.local_password)
        await asyncio.wait_for(asyncio.gather(ours_done, theirs.connect()), 10)
        # Data both ways (first bytes in the DTLS and RTP ranges, which we pass up; RFC 7983).
        they_got, we_got = [], []
        for i in range(10):
            await theirs.send(bytes([23, i]) + b"from aioice")
            ours.send(bytes([128, i]) + b"from us")
        for _ in range(10):
            we_got.append(await asyncio.wait_for(ours.recv(), 5))
            they_got.append(await asyncio.wait_for(theirs.recv(), 5))
        await asyncio.sleep(1.5)  # a few consent checks each way
        pair = ours.selected_pair
        assert pair is not None
        report = ours.get_stats().selected
        assert report is not None
        return Outcome(
            our_state=ours.state,
            our_role=str(ours.role),
            our_pair=(pair.local_address, pair.remote_address),
            their_candidates=[c.host for c in theirs.local_candidates],
            we_got=we_got,
            they_got=they_got,
            our_consent_answers=report.stats.responses_received,
        )
    finally:
        await theirs.close()
        await ours.close()


@pytest.mark.parametrize("we_control", [True, False], ids=["ours-controlling", "ours-controlled"])
def test_aioice_interop(we_control: bool) -> None:
    with veth_namespace() as ns:
        outcome = run_in_namespace(ns, lambda: _interop(ns, we_control=we_control))
    assert sorted(outcome.their_candidates) == sorted(ns.addresses)
    assert outcome.our_state in (IceConnectionState.CONNECTED, IceConnectionState.COMPLETED)
    assert outcome.our_role == ("controlling" if we_control else "controlled")
    assert outcome.our_pair[0][0] in ns.addresses and outcome.our_pair[1][0] in ns.addresses
    assert outcome.we_got == [bytes([23, i]) + b"from aioice" for i in range(10)]
    assert outcome.they_got == [bytes([128, i]) + b"from us" for i in range(10)]
    assert outcome.our_consent_answers >= 3  # aioice answers our consent checks
