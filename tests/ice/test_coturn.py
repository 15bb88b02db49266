"""Against a real STUN server (coturn on 127.0.0.1): binding requests answered, srflx gathered."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Iterator

from ice import IceConnection, IceGatheringState, IceSettings, NetworkType
from ice.stun import (
    Attr,
    Method,
    StunClass,
    StunMessage,
    encode_message,
    long_term_key,
    parse_message,
)
from sdp import Candidate
from tests.coturn import CoturnServer

V4 = frozenset({NetworkType.UDP4})


@contextlib.contextmanager
def _client() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(2.0)
        yield sock


def _exchange(sock: socket.socket, address: tuple[str, int], request: bytes) -> StunMessage:
    sock.sendto(request, address)
    data, source = sock.recvfrom(2048)
    assert source == address
    message = parse_message(data)
    if message.cls == StunClass.SUCCESS and message.method == Method.BINDING:
        assert message.get_xor_address(Attr.XOR_MAPPED_ADDRESS) == sock.getsockname()
    return message


def test_coturn_answers_our_binding_request(coturn: CoturnServer) -> None:
    tid = os.urandom(12)
    with _client() as sock:
        request = encode_message(Method.BINDING, StunClass.REQUEST, tid, {})
        answer = _exchange(sock, coturn.address, request)
    assert (answer.method, answer.cls, answer.transaction_id) == (
        Method.BINDING,
        StunClass.SUCCESS,
        tid,
    )
    assert answer.fingerprint_ok  # the fixture runs coturn with 'fingerprint'
    assert answer.get_text(
        Attr.SOFTWARE,
    ).startswith("Coturn")  # type: ignore[union-attr]


def test_coturn_long_term_credentials_with_our_codec(coturn: CoturnServer) -> None:
    with _client() as sock:  # one socket: coturn ties the nonce to the client's address
        # An Allocate without credentials is refused with 401, REALM and NONCE (RFC 8656 §7.2)...
        request = StunMessage(Method.ALLOCATE, StunClass.REQUEST, os.urandom(12))
        request.attributes[Attr.REQUESTED_TRANSPORT] = bytes((17, 0, 0, 0))
        challenge = _exchange(sock, coturn.address, request.encode())
        code = challenge.get_error_code()
        assert code is not None and code[0] == 401
        realm, nonce = challenge.get_text(Attr.REALM), challenge.get_text(Attr.NONCE)
        assert realm == coturn.realm and nonce
        # ...and accepted when signed with the long-term key (the TURN issue builds on this).
        signed = StunMessage(Method.ALLOCATE, StunClass.REQUEST, os.urandom(12))
        signed.attributes[Attr.REQUESTED_TRANSPORT] = bytes((17, 0, 0, 0))
        signed.set_text(Attr.USERNAME, coturn.username)
        signed.set_text(Attr.REALM, realm)
        signed.set_text(Attr.NONCE, nonce)
        key = long_term_key(coturn.username, realm, coturn.password)
        allocated = _exchange(sock, coturn.address, signed.encode(key=key))
    assert allocated.cls == StunClass.SUCCESS, allocated.get_error_code()
    assert allocated.check_integrity(key)
    relayed = allocated.get_xor_address(Attr.XOR_RELAYED_ADDRESS)
    assert relayed is not None and relayed[0] == "127.0.0.1"
    assert coturn.relay_ports[0] <= relayed[1] <= coturn.relay_ports[1]
    assert allocated.get_u32(Attr.LIFETIME)


async def test_gather_server_reflexive_from_coturn(coturn: CoturnServer) -> None:
    settings = IceSettings(
        include_loopback=True,
        interface_filter=lambda n: n == "lo",
        network_types=V4,
        stun_servers=(coturn.stun_uri, f"stun:localhost:{coturn.port}"),
    )
    conn = IceConnection(settings)
    found: list[Candidate | None] = []
    done = asyncio.get_running_loop().create_future()
    conn.on_candidate(found.append)

    def on_gathering(state: IceGatheringState) -> None:
        if state is IceGatheringState.COMPLETE:
            done.set_result(None)

    conn.on_gathering_state_change(on_gathering)
    await conn.gather()
    assert [c.type for c in found if c] == ["host"]  # the host candidate before any answer
    await asyncio.wait_for(done, 5)
    host, srflx = (c for c in found if c is not None)
    assert found[-1] is None
    # No NAT on loopback: the server sees the host address itself. The two URIs (an IP and a
    # name resolved through the system resolver) are one server and one mapping: one srflx.
    assert srflx.type == "srflx"
    assert (srflx.address, srflx.port) == (host.address, host.port)
    assert (srflx.related_address, srflx.related_port) == (host.address, host.port)
    assert srflx.foundation != host.foundation
    await conn.close()
