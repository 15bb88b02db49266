"""The asyncio DtlsTransport over in-memory datagram pairs (real time, short waits)."""

from __future__ import annotations

import asyncio
import datetime

import pytest

from dtls import (
    CertificateError,
    ConnectionClosedError,
    DatagramTransport,
    DtlsEvent,
    DtlsRole,
    DtlsSettings,
    DtlsStateChanged,
    DtlsTransport,
    FailureReason,
    HandshakeError,
    InvalidDtlsStateError,
    MessageTooLargeError,
    RTCCertificate,
)
from tests.simnet import AsyncDatagramEnd, Conditions, async_datagram_pair

Pair = tuple[DtlsTransport, DtlsTransport, AsyncDatagramEnd, AsyncDatagramEnd]


def make_pair(
    certs: tuple[RTCCertificate, RTCCertificate],
    *,
    conditions: Conditions | None = None,
    settings: DtlsSettings | None = None,
    seed: int = 0,
) -> Pair:
    ea, eb = async_datagram_pair(seed=seed, conditions=conditions or Conditions(delay=0.001))
    return (
        DtlsTransport(ea, certs[0], settings=settings),
        DtlsTransport(eb, certs[1], settings=settings),
        ea,
        eb,
    )


def start(client: DtlsTransport, server: DtlsTransport) -> None:
    server.start(DtlsRole.SERVER, client.certificate.getFingerprints())
    client.start(DtlsRole.CLIENT, server.certificate.getFingerprints())


async def connected_pair(certs: tuple[RTCCertificate, RTCCertificate]) -> Pair:
    pair = make_pair(certs)
    start(pair[0], pair[1])
    await asyncio.wait_for(asyncio.gather(pair[0].wait_connected(), pair[1].wait_connected()), 5)
    return pair


class Inbox:
    """A receiver that records payloads and wakes a waiter when enough arrived."""

    def __init__(self) -> None:
        self.items: list[bytes] = []
        self._event = asyncio.Event()
        self._want = 0

    def __call__(self, data: bytes) -> None:
        self.items.append(data)
        if len(self.items) >= self._want:
            self._event.set()

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[bytes]:
        self._want = count
        if len(self.items) < count:
            self._event.clear()
            await asyncio.wait_for(self._event.wait(), timeout)
        return self.items


async def test_handshake_data_and_close(ecdsa_pair: tuple[RTCCertificate, RTCCertificate]) -> None:
    tasks_before = asyncio.all_tasks()
    client, server, ea, eb = make_pair(ecdsa_pair)
    events: dict[str, list[DtlsEvent]] = {"client": [], "server": []}
    client.set_event_listener(events["client"].append)
    server.set_event_listener(events["server"].append)
    seen = [(client.state.value, client.role)]
    start(client, server)
    seen.append((client.state.value, client.role))
    assert seen == [("new", None), ("connecting", DtlsRole.CLIENT)]
    await asyncio.wait_for(asyncio.gather(client.wait_connected(), server.wait_connected()), 5)
    assert client.state == server.state == "connected"
    assert client.srtp_keys is not None and server.srtp_keys is not None
    assert client.srtp_keys.local_master_key == server.srtp_keys.remote_master_key
    assert client.cipher_suite == "ECDHE-ECDSA-AES128-GCM-SHA256"
    assert client.remote_certificate is not None
    for name in events:
        changes = [e.new.value for e in events[name] if isinstance(e, DtlsStateChanged)]
        assert changes == ["connecting", "connected"]

    at_server, at_client = Inbox(), Inbox()
    server.set_receiver(at_server)
    client.set_receiver(at_client)
    for i in range(20):
        client.send(b"c%d" % i)
        server.send(b"s%d" % i)
    assert await at_server.wait_for(20) == [b"c%d" % i for i in range(20)]
    assert await at_client.wait_for(20) == [b"s%d" % i for i in range(20)]

    client.close()
    assert client.state == "closed"
    await asyncio.sleep(0.05)
    assert server.state == "closed"
    assert [e.new.value for e in events["server"] if isinstance(e, DtlsStateChanged)][
        -1
    ] == "closed"
    # Nothing is left running, and neither transport listens to its lower end any more.
    assert asyncio.all_tasks() == tasks_before
    received = (ea.received, eb.received)
    ea.send(b"\x17" + bytes(40))
    eb.send(b"\x17" + bytes(40))
    await asyncio.sleep(0.02)
    assert (ea.received, eb.received) == received


async def test_rfc7983_demultiplexing(ecdsa_pair: tuple[RTCCertificate, RTCCertificate]) -> None:
    client, server, ea, _ = await connected_pair(ecdsa_pair)
    rtp = Inbox()
    server.set_rtp_receiver(rtp)
    packets = [bytes([0x80, 96]) + bytes(20), bytes([0xBF, 200]) + bytes(10)]  # RTP, RTCP
    for packet in packets:
        client.send_rtp(packet)
    assert await rtp.wait_for(2) == packets
    before = server.stats.dropped_malformed
    for datagram in (b"", bytes([0, 1, 0, 0]) + bytes(16), bytes([64]) + bytes(8), b"\xff\xff"):
        ea.send(datagram)  # empty, STUN, TURN channel, out of every range
    ea.send(bytes([22]) + bytes(30))  # DTLS range, malformed
    server.set_rtp_receiver(None)
    ea.send(bytes([0x80]) + bytes(20))
    await asyncio.sleep(0.05)
    assert server.demux_stats.dropped_unknown == 4
    assert server.demux_stats.rtp_received == 2
    assert server.demux_stats.rtp_dropped == 1
    assert server.stats.dropped_malformed == before + 1
    assert server.state == "connected"
    client.close()
    server.close()


async def test_fingerprint_mismatch_fails_both_sides(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    client, server, _, _ = make_pair(ecdsa_pair)
    server.start(DtlsRole.SERVER, client.certificate.getFingerprints())
    client.start(DtlsRole.CLIENT, RTCCertificate.generateCertificate().getFingerprints())
    with pytest.raises(HandshakeError) as at_client:
        await asyncio.wait_for(client.wait_connected(), 5)
    with pytest.raises(HandshakeError) as at_server:
        await asyncio.wait_for(server.wait_connected(), 5)
    assert at_client.value.reason is FailureReason.FINGERPRINT_MISMATCH
    assert at_server.value.reason is FailureReason.ALERT_RECEIVED
    assert client.state == server.state == "failed"
    assert (
        client.failure is not None and client.failure.reason is FailureReason.FINGERPRINT_MISMATCH
    )
    with pytest.raises(InvalidDtlsStateError):
        client.send(b"x")


async def test_silent_peer_times_out_in_real_time(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    client, server, _, _ = make_pair(
        ecdsa_pair,
        conditions=Conditions(blocked=True),
        settings=DtlsSettings(handshake_timeout=0.6),
    )
    loop = asyncio.get_running_loop()
    started = loop.time()
    start(client, server)
    for transport in (client, server):
        with pytest.raises(HandshakeError) as info:
            await asyncio.wait_for(transport.wait_connected(), 5)
        assert info.value.reason is FailureReason.HANDSHAKE_TIMEOUT
    assert 0.55 <= loop.time() - started < 2.0
    assert client.stats.flight_resends >= 1  # it kept trying until the deadline


async def test_misuse_raises_typed_errors(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    client, server, _, _ = make_pair(ecdsa_pair)
    with pytest.raises(InvalidDtlsStateError):
        client.send(b"too early")
    start(client, server)
    await asyncio.wait_for(asyncio.gather(client.wait_connected(), server.wait_connected()), 5)
    with pytest.raises(MessageTooLargeError):
        client.send(bytes(client.max_application_data + 1))
    client.send(bytes(client.max_application_data))
    client.close()
    client.close()  # idempotent
    with pytest.raises(ConnectionClosedError):
        client.send(b"too late")
    with pytest.raises(ConnectionClosedError):
        client.send_rtp(bytes([0x80]) + bytes(11))
    with pytest.raises(ConnectionClosedError):
        await client.wait_connected()


async def test_close_while_connecting_wakes_waiters(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    client, server, _, _ = make_pair(ecdsa_pair, conditions=Conditions(blocked=True))
    start(client, server)
    waiter = asyncio.ensure_future(client.wait_connected())
    await asyncio.sleep(0.01)
    client.close()
    with pytest.raises(ConnectionClosedError):
        await asyncio.wait_for(waiter, 1)
    server.close()


async def test_payloads_wait_for_a_receiver(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    client, server, _, _ = await connected_pair(ecdsa_pair)
    for i in range(5):
        client.send(b"%d" % i)
    await asyncio.sleep(0.05)
    inbox = Inbox()
    server.set_receiver(inbox)
    assert inbox.items == [b"%d" % i for i in range(5)]  # handed over at once, in order
    client.send(b"5")
    assert await inbox.wait_for(6) == [b"%d" % i for i in range(6)]


async def test_a_failing_receiver_does_not_break_the_transport(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    client, server, _, _ = await connected_pair(ecdsa_pair)
    inbox = Inbox()

    def fragile(data: bytes) -> None:
        if data == b"boom":
            raise RuntimeError("receiver bug")
        inbox(data)

    server.set_receiver(fragile)
    client.send(b"before")
    client.send(b"boom")
    client.send(b"after")
    assert await inbox.wait_for(2) == [b"before", b"after"]
    assert server.demux_stats.callback_errors == 1
    assert server.state == "connected"


async def test_client_hello_before_start_is_answered(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    # Our own resend would come after 2 s and OpenSSL's after 1 s: an answer before either
    # can only be the server answering the ClientHello it kept.
    client, server, _, _ = make_pair(ecdsa_pair, settings=DtlsSettings(flight_resend=2.0))
    client.start(DtlsRole.CLIENT, server.certificate.getFingerprints())
    await asyncio.sleep(0.05)  # the ClientHello reaches a server that has not started
    server.start(DtlsRole.SERVER, client.certificate.getFingerprints())
    await asyncio.wait_for(asyncio.gather(client.wait_connected(), server.wait_connected()), 0.9)
    assert client.stats.flight_resends == client.stats.handshake_retransmissions == 0


async def test_the_transport_is_a_datagram_transport_for_the_layer_above(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    """SCTP runs on ``send``/``set_receiver``: the same shape DTLS itself runs over."""
    client, server, _, _ = await connected_pair(ecdsa_pair)
    upper_a: DatagramTransport = client
    upper_b: DatagramTransport = server
    inbox = Inbox()
    upper_b.set_receiver(inbox)
    upper_a.send(b"an SCTP packet")
    assert await inbox.wait_for(1) == [b"an SCTP packet"]


async def test_an_expired_certificate_is_refused() -> None:
    expired = RTCCertificate.generateCertificate(expires=datetime.timedelta(microseconds=1))
    end, _ = async_datagram_pair()
    with pytest.raises(CertificateError):
        DtlsTransport(end, expired)
