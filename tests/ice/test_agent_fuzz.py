"""Random and mutated packets fed to a connected agent: it never raises and stays connected."""

from __future__ import annotations

import struct
import zlib
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from ice import IceConnectionState
from tests.ice.simagent import A_ADDR, B_ADDR, Peers, make_peers

UP = (IceConnectionState.CONNECTED, IceConnectionState.COMPLETED)
Address = tuple[str, int]


def _connected() -> Peers:
    p = make_peers(seed=0)
    assert p.connect()
    p.sim.run_for(5.0)  # a few consent rounds on the wire too
    return p


@cache
def _templates() -> tuple[bytes, ...]:
    """Every STUN message both agents sent in a reference run with the same seed, so the
    credentials match those of the agent under test: valid requests verify, responses parse."""
    p = _connected()
    return tuple(d for _, _, d in p.a.sent + p.b.sent if d[0] < 4)


def _with_fingerprint(data: bytes) -> bytes:
    """Recompute a trailing FINGERPRINT so a mutation reaches the integrity checks."""
    if len(data) >= 28 and data[-8:-6] == b"\x80\x28":
        crc = zlib.crc32(data[:-8]) ^ 0x5354554E
        return data[:-4] + struct.pack("!I", crc)
    return data


@st.composite
def packets(draw: st.DrawFn) -> tuple[bytes, Address]:
    source = draw(st.sampled_from([A_ADDR, ("10.0.0.1", 5001), ("10.66.0.1", 4000), ("::1", 9)]))
    kind = draw(st.sampled_from(["random", "stunlike", "mutated", "replayed", "truncated"]))
    if kind == "random":
        return draw(st.binary(max_size=120)), source
    if kind == "stunlike":
        body = draw(st.binary(max_size=80))
        first = draw(st.integers(0, 3))
        header = struct.pack("!BBH", first, draw(st.integers(0, 255)), len(body) + 0)
        return header + b"\x21\x12\xa4\x42" + draw(
            st.binary(min_size=12, max_size=12)
        ) + body, source
    template = draw(st.sampled_from(_templates()))
    if kind == "replayed":
        return template, source
    if kind == "truncated":
        return template[: draw(st.integers(0, len(template)))], source
    data = bytearray(template)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
    out = bytes(data)
    if draw(st.booleans()):
        out = _with_fingerprint(out)
    return out, source


@settings(max_examples=300, deadline=None)
@given(st.lists(packets(), min_size=1, max_size=15))
def test_connected_agent_survives_hostile_packets(batch: list[tuple[bytes, Address]]) -> None:
    p = _connected()
    agent = p.b.agent
    selected = agent.selected_pair
    assert selected is not None
    for data, source in batch:
        agent.handle_datagram(data, local=B_ADDR, remote=source, now=p.sim.now)
        p.sim.run_for(0.01)
    p.sim.run_for(3.0)
    assert p.a.state in UP and p.b.state in UP
    after = agent.selected_pair
    assert after is not None
    assert (after.local_address, after.remote_address) == (
        selected.local_address,
        selected.remote_address,
    )
    assert p.a.send(b"\x17still here")
    p.sim.run_for(0.05)
    assert p.b.received[-1] == b"\x17still here"
