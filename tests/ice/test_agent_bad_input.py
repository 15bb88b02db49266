"""Bad input from the network: malformed STUN is dropped and counted, bad requests get the RFC's
error answer, and none of it raises out of the agent or disturbs the connection."""

from __future__ import annotations

from ice import IceAgent, IceConnectionState, IceRole
from ice.stun import Attr, Method, StunClass, StunMessage, parse_message
from tests.ice.simagent import A_ADDR, B_ADDR, Peers, make_peers

UP = (IceConnectionState.CONNECTED, IceConnectionState.COMPLETED)
TID = bytes(range(12))


def _connected() -> Peers:
    p = make_peers()
    assert p.connect()
    return p


def _feed(p: Peers, data: bytes, remote: tuple[str, int] = A_ADDR) -> list[StunMessage]:
    """Give ``data`` to B as if from ``remote``; return B's answers (parsed)."""
    agent = p.b.agent
    assert agent.handle_datagram(data, local=B_ADDR, remote=remote, now=p.sim.now) is False
    answers = []
    while (t := agent.poll_transmit()) is not None:
        assert t.local == B_ADDR and t.remote == remote
        answers.append(parse_message(t.data))
    return answers


def _check(
    to: IceAgent,
    frm: IceAgent,
    *,
    key: bytes | None = None,
    drop: tuple[int, ...] = (),
    extra: dict[int, bytes] | None = None,
    method: int = Method.BINDING,
) -> bytes:
    """A connectivity check from ``frm`` to ``to``, optionally broken."""
    m = StunMessage(method, StunClass.REQUEST, TID)
    m.set_text(Attr.USERNAME, f"{to.local_ufrag}:{frm.local_ufrag}")
    m.set_u32(Attr.PRIORITY, 1862270975)
    m.set_u64(Attr.ICE_CONTROLLING, 1)
    for attr in drop:
        m.attributes.pop(attr)
    m.attributes.update(extra or {})
    return m.encode(key=key if key is not None else to.local_pwd.encode())


def _still_fine(p: Peers) -> None:
    p.sim.run_for(3.0)
    assert p.a.state in UP and p.b.state in UP
    assert p.a.send(b"\x17ok")
    p.sim.run_for(0.05)
    assert p.b.received[-1] == b"\x17ok"


def test_truncated_messages_are_dropped_and_counted() -> None:
    p = _connected()
    good = _check(p.b.agent, p.a.agent)
    for end in range(1, len(good)):
        assert _feed(p, good[:end]) == []
    assert p.b.agent.stats.stun_malformed == len(good) - 1
    _still_fine(p)


def test_oversized_message_is_dropped_and_counted() -> None:
    p = _connected()
    assert _feed(p, _check(p.b.agent, p.a.agent, extra={0x8999: bytes(3000)})) == []
    assert p.b.agent.stats.stun_oversized == 1
    _still_fine(p)


def test_wrong_length_is_dropped_and_counted() -> None:
    p = _connected()
    data = bytearray(_check(p.b.agent, p.a.agent))
    data[2:4] = (len(data) - 20 - 4).to_bytes(2, "big")
    assert _feed(p, bytes(data)) == []
    data = bytearray(_check(p.b.agent, p.a.agent)) + b"\x00\x00\x00\x00"
    assert _feed(p, bytes(data)) == []
    assert p.b.agent.stats.stun_malformed == 2
    _still_fine(p)


def test_wrong_fingerprint_is_dropped_and_counted() -> None:
    p = _connected()
    data = bytearray(_check(p.b.agent, p.a.agent))
    data[-1] ^= 0x5A
    assert _feed(p, bytes(data)) == []
    assert p.b.agent.stats.stun_bad_fingerprint == 1
    _still_fine(p)


def test_wrong_integrity_request_gets_401() -> None:
    p = _connected()
    [answer] = _feed(p, _check(p.b.agent, p.a.agent, key=b"not the password"))
    assert answer.cls == StunClass.ERROR and answer.transaction_id == TID
    assert answer.get_error_code() == (401, "Unauthorized")
    assert not answer.has_integrity and answer.fingerprint_ok
    assert p.b.agent.stats.requests_unauthorized == 1
    _still_fine(p)


def test_unknown_ufrag_gets_401() -> None:
    p = _connected()
    m = StunMessage(Method.BINDING, StunClass.REQUEST, TID)
    m.set_text(Attr.USERNAME, "someone:else")
    m.set_u32(Attr.PRIORITY, 1)
    [answer] = _feed(p, m.encode(key=p.b.agent.local_pwd.encode()))
    assert answer.get_error_code() == (401, "Unauthorized")


def test_missing_credentials_or_priority_get_400() -> None:
    p = _connected()
    b, a = p.b.agent, p.a.agent
    no_username = _check(b, a, drop=(Attr.USERNAME,))
    unsigned = StunMessage(Method.BINDING, StunClass.REQUEST, TID)
    unsigned.set_text(Attr.USERNAME, f"{b.local_ufrag}:{a.local_ufrag}")
    unsigned.set_u32(Attr.PRIORITY, 1)
    for data in (no_username, unsigned.encode()):
        [answer] = _feed(p, data)
        assert answer.get_error_code() == (400, "Bad Request") and not answer.has_integrity
    [answer] = _feed(p, _check(b, a, drop=(Attr.PRIORITY,)))
    assert answer.get_error_code() == (400, "Bad Request")
    assert answer.check_integrity(b.local_pwd.encode())  # authenticated: the answer is signed
    [answer] = _feed(p, _check(b, a, extra={Attr.ICE_CONTROLLED: b"\x01"}))
    assert answer.get_error_code() == (400, "Bad Request")  # malformed tie-breaker
    [answer] = _feed(p, _check(b, a, method=Method.ALLOCATE))
    assert answer.get_error_code() == (400, "Bad Request")
    assert b.stats.requests_bad == 5
    _still_fine(p)


def test_unknown_comprehension_required_attribute_gets_420() -> None:
    p = _connected()
    [answer] = _feed(p, _check(p.b.agent, p.a.agent, extra={0x0031: b"?", 0x7FF0: b""}))
    assert answer.get_error_code() == (420, "Unknown Attribute")
    assert answer.get_unknown_attributes() == [0x0031, 0x7FF0]
    assert answer.check_integrity(p.b.agent.local_pwd.encode())
    # Unknown comprehension-optional attributes are fine.
    [ok] = _feed(p, _check(p.b.agent, p.a.agent, extra={0xC057: b"\x00\x01\x00\x0a"}))
    assert ok.cls == StunClass.SUCCESS
    assert ok.get_xor_address(Attr.XOR_MAPPED_ADDRESS) == A_ADDR
    _still_fine(p)


def test_role_conflict_answer_487_or_switch() -> None:
    p = _connected()
    a = p.a.agent  # controlling
    m = StunMessage(Method.BINDING, StunClass.REQUEST, TID)
    m.set_text(Attr.USERNAME, f"{a.local_ufrag}:{p.b.agent.local_ufrag}")
    m.set_u32(Attr.PRIORITY, 1)
    m.set_u64(Attr.ICE_CONTROLLING, 0)  # smaller tie-breaker: we keep control, answer 487
    assert not a.handle_datagram(
        m.encode(key=a.local_pwd.encode()), local=A_ADDR, remote=B_ADDR, now=p.sim.now
    )
    answer = a.poll_transmit()
    assert answer is not None
    reply = parse_message(answer.data)
    assert reply.get_error_code() == (487, "Role Conflict")
    assert reply.check_integrity(a.local_pwd.encode())
    assert a.role is IceRole.CONTROLLING
    m.set_u64(Attr.ICE_CONTROLLING, 2**64 - 1)  # larger: we give up control and answer
    a.handle_datagram(
        m.encode(key=a.local_pwd.encode()), local=A_ADDR, remote=B_ADDR, now=p.sim.now
    )
    answer = a.poll_transmit()
    assert answer is not None and parse_message(answer.data).cls == StunClass.SUCCESS
    assert p.a.agent.role is IceRole.CONTROLLED
    assert a.stats.role_conflicts == 2


def _pending_consent_request(p: Peers) -> StunMessage:
    """Run A's clock to its next consent check and take the request off the wire."""
    a = p.a.agent
    while True:
        deadline = a.poll_timeout()
        assert deadline is not None
        p.sim.clock.advance_to(deadline)
        a.handle_timeout(now=p.sim.now)
        t = a.poll_transmit()
        if t is not None:
            return parse_message(t.data)


def test_wrong_integrity_response_is_dropped_and_the_real_one_still_counts() -> None:
    p = _connected()
    a, b = p.a.agent, p.b.agent
    request = _pending_consent_request(p)
    before = a.get_stats().selected
    assert before is not None
    received = before.stats.responses_received
    forged = StunMessage(Method.BINDING, StunClass.SUCCESS, request.transaction_id)
    forged.set_xor_address(Attr.XOR_MAPPED_ADDRESS, A_ADDR)
    a.handle_datagram(forged.encode(key=b"guess"), local=A_ADDR, remote=B_ADDR, now=p.sim.now)
    assert a.stats.stun_bad_integrity == 1
    a.handle_datagram(forged.encode(), local=A_ADDR, remote=B_ADDR, now=p.sim.now)  # unsigned
    assert a.stats.stun_bad_integrity == 2
    a.handle_datagram(
        forged.encode(key=b.local_pwd.encode()), local=A_ADDR, remote=("10.6.6.6", 1), now=p.sim.now
    )
    assert a.stats.responses_wrong_source == 1  # right key, wrong source: consumed, ignored
    again = _pending_consent_request(p)
    real = StunMessage(Method.BINDING, StunClass.SUCCESS, again.transaction_id)
    real.set_xor_address(Attr.XOR_MAPPED_ADDRESS, A_ADDR)
    a.handle_datagram(
        real.encode(key=b.local_pwd.encode()), local=A_ADDR, remote=B_ADDR, now=p.sim.now
    )
    after = a.get_stats().selected
    assert after is not None and after.stats.responses_received == received + 1
    # Replaying it is an unmatched response.
    a.handle_datagram(
        real.encode(key=b.local_pwd.encode()), local=A_ADDR, remote=B_ADDR, now=p.sim.now
    )
    assert a.stats.responses_unmatched == 1


def test_indications_and_unknown_sources_are_harmless() -> None:
    p = _connected()
    indication = StunMessage(Method.BINDING, StunClass.INDICATION, TID).encode()
    assert _feed(p, indication) == []
    assert p.b.agent.stats.indications == 1
    # A valid check from an unknown address is answered, learnt as peer-reflexive, and does not
    # move the selected pair.
    [answer] = _feed(p, _check(p.b.agent, p.a.agent), remote=("10.9.9.9", 9999))
    assert answer.cls == StunClass.SUCCESS
    sel = p.b.agent.selected_pair
    assert sel is not None and sel.remote_address == A_ADDR
    _still_fine(p)


def test_remote_candidate_flood_is_bounded() -> None:
    p = _connected()
    b = p.b.agent
    for i in range(300):
        _feed(p, _check(b, p.a.agent), remote=(f"10.8.{i // 250}.{i % 250}", 1000 + i))
    assert len(b.remote_candidates) == b.settings.max_remote_candidates
    assert b.stats.remote_candidates_dropped > 0
    _still_fine(p)
