"""Lossy handshakes in real time: OpenSSL's retransmission timer reads the wall clock.

The 30 seeds run concurrently in one event loop, so the whole test takes as long as the
slowest seed, not the sum.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from dtls import DtlsRole, DtlsSettings, DtlsTransport, RTCCertificate
from tests.simnet import AsyncDatagramEnd, Conditions, async_datagram_pair

LOSSY = Conditions(loss=0.3, delay=0.005, jitter=0.005)


async def lossy_handshake(
    seed: int, certs: tuple[RTCCertificate, RTCCertificate]
) -> tuple[int, int]:
    ea, eb = async_datagram_pair(seed=seed, conditions=LOSSY)
    client, server = DtlsTransport(ea, certs[0]), DtlsTransport(eb, certs[1])
    server.start(DtlsRole.SERVER, certs[0].getFingerprints())
    client.start(DtlsRole.CLIENT, certs[1].getFingerprints())
    await asyncio.wait_for(asyncio.gather(client.wait_connected(), server.wait_connected()), 30)
    keys_c, keys_s = client.srtp_keys, server.srtp_keys
    assert keys_c is not None and keys_s is not None
    assert keys_c.local_master_key == keys_s.remote_master_key
    assert keys_c.remote_master_key == keys_s.local_master_key
    # Once connected, data flows (on a clean path, since records are not retransmitted).
    ea.conditions = eb.conditions = Conditions(delay=0.001)
    got: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def receive(data: bytes) -> None:
        if not got.done():
            got.set_result(data)

    server.set_receiver(receive)
    client.send(b"seed %d" % seed)
    assert await asyncio.wait_for(got, 2) == b"seed %d" % seed
    client.close()
    server.close()
    lost = ea.sent + eb.sent - ea.received - eb.received
    resends = client.stats.flight_resends + server.stats.flight_resends
    return lost, resends + server.stats.final_flight_resends


async def test_thirty_lossy_handshakes_complete(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    results = await asyncio.gather(*(lossy_handshake(seed, ecdsa_pair) for seed in range(30)))
    lost = sum(r[0] for r in results)
    recovered = sum(r[1] for r in results)
    assert lost > 30  # the link really lost datagrams ...
    assert recovered > 0  # ... and the transports really sent flights again


class DropFirst:
    """A lower transport that loses the first ``count`` datagrams sent through it."""

    def __init__(self, end: AsyncDatagramEnd, count: int) -> None:
        self._end = end
        self._count = count

    def send(self, data: bytes) -> None:
        if self._count > 0:
            self._count -= 1
            return
        self._end.send(data)

    def set_receiver(self, receiver: Callable[[bytes], None] | None) -> None:
        self._end.set_receiver(receiver)


async def test_openssl_timer_retransmits_lost_flights(
    ecdsa_pair: tuple[RTCCertificate, RTCCertificate],
) -> None:
    """With our own resends off, OpenSSL's DTLSv1_get_timeout/handle_timeout timer recovers."""
    settings = DtlsSettings(flight_resend=None)
    ea, eb = async_datagram_pair(conditions=Conditions(delay=0.001))
    client = DtlsTransport(DropFirst(ea, 1), ecdsa_pair[0], settings=settings)
    server = DtlsTransport(DropFirst(eb, 1), ecdsa_pair[1], settings=settings)
    loop = asyncio.get_running_loop()
    started = loop.time()
    server.start(DtlsRole.SERVER, ecdsa_pair[0].getFingerprints())
    client.start(DtlsRole.CLIENT, ecdsa_pair[1].getFingerprints())
    await asyncio.wait_for(asyncio.gather(client.wait_connected(), server.wait_connected()), 10)
    # The ClientHello was lost (retransmitted after OpenSSL's initial 1 s), then the
    # server's first flight (retransmitted by the server's own timer a second later).
    assert client.stats.handshake_retransmissions >= 1
    assert server.stats.handshake_retransmissions >= 1
    assert client.stats.flight_resends == server.stats.flight_resends == 0
    assert loop.time() - started >= 1.0
    client.close()
    server.close()
