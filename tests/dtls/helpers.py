"""Two DTLS cores joined on the shared simulated network, in virtual time."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from OpenSSL import SSL

from dtls import (
    DtlsConnection,
    DtlsEvent,
    DtlsRole,
    DtlsSettings,
    DtlsStateChanged,
    RTCCertificate,
    RTCDtlsFingerprint,
)
from tests.simnet import Address, Conditions, Simulation

CLIENT_ADDR: Address = ("10.0.0.1", 5000)
SERVER_ADDR: Address = ("10.0.0.2", 5000)


class DtlsNode:
    """A :class:`DtlsConnection` as a :class:`tests.simnet.SimNode`, recording what it did."""

    def __init__(self, conn: DtlsConnection, local: Address, remote: Address) -> None:
        self.conn = conn
        self.local = local
        self.remote = remote
        self.events: list[DtlsEvent] = []
        self.received: list[bytes] = []
        self.sent: list[bytes] = []

    def receive(self, src: Address, dst: Address, data: bytes, *, now: float) -> None:
        self.conn.handle_datagram(data, now=now)

    def timeout(self, *, now: float) -> None:
        self.conn.handle_timeout(now=now)

    def next_timeout(self) -> float | None:
        return self.conn.poll_timeout()

    def transmits(self) -> Iterator[tuple[Address, Address, bytes]]:
        self.drain()
        while (data := self.conn.poll_transmit()) is not None:
            self.sent.append(data)
            yield self.local, self.remote, data

    def drain(self) -> None:
        while (event := self.conn.poll_event()) is not None:
            self.events.append(event)
        while (payload := self.conn.poll_application_data()) is not None:
            self.received.append(payload)

    def states(self) -> list[str]:
        """The states the connection went through, starting with ``new``."""
        changes = [e for e in self.events if isinstance(e, DtlsStateChanged)]
        return ["new", *(str(e.new) for e in changes)]


class DtlsPair:
    """A client and a server core on one :class:`Simulation`."""

    def __init__(
        self,
        client_cert: RTCCertificate,
        server_cert: RTCCertificate,
        *,
        seed: int = 0,
        conditions: Conditions | None = None,
        client_settings: DtlsSettings | None = None,
        server_settings: DtlsSettings | None = None,
    ) -> None:
        self.sim = Simulation(seed=seed, default=conditions or Conditions())
        self.client = DtlsNode(
            DtlsConnection(certificate=client_cert, settings=client_settings),
            CLIENT_ADDR,
            SERVER_ADDR,
        )
        self.server = DtlsNode(
            DtlsConnection(certificate=server_cert, settings=server_settings),
            SERVER_ADDR,
            CLIENT_ADDR,
        )
        self.client_cert = client_cert
        self.server_cert = server_cert
        self.sim.attach(self.client, CLIENT_ADDR)
        self.sim.attach(self.server, SERVER_ADDR)

    def start(
        self,
        *,
        client_expects: Iterable[RTCDtlsFingerprint] | None = None,
        server_expects: Iterable[RTCDtlsFingerprint] | None = None,
    ) -> None:
        now = self.sim.now
        self.server.conn.start(
            role=DtlsRole.SERVER,
            remote_fingerprints=server_expects or self.client_cert.getFingerprints(),
            now=now,
        )
        self.client.conn.start(
            role=DtlsRole.CLIENT,
            remote_fingerprints=client_expects or self.server_cert.getFingerprints(),
            now=now,
        )

    def both(self, state: str) -> bool:
        return self.client.conn.state == state and self.server.conn.state == state

    def connect(self, *, timeout: float = 10.0) -> None:
        self.start()
        assert self.sim.run_until(lambda: self.both("connected"), timeout=timeout), (
            self.client.conn.state,
            self.server.conn.state,
        )
        self.client.drain()
        self.server.drain()

    def settle(self, seconds: float = 1.0) -> None:
        """Let everything in flight arrive, then collect what the nodes produced."""
        self.sim.run_for(seconds)
        self.client.drain()
        self.server.drain()


def openssl_peer(cert: RTCCertificate, *, server: bool, suite: str | None = None) -> SSL.Connection:
    """A plain pyOpenSSL DTLS endpoint, used as the reference implementation."""
    ctx = SSL.Context(SSL.DTLS_METHOD)
    ctx.use_certificate(cert.x509)
    ctx.use_privatekey(cert.private_key)
    ctx.set_verify(SSL.VERIFY_PEER, lambda *args: True)
    ctx.set_tlsext_use_srtp(b"SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80")
    if suite:
        ctx.set_cipher_list(suite.encode())
    ctx.set_options(SSL.OP_NO_QUERY_MTU)
    conn = SSL.Connection(ctx)
    conn.set_ciphertext_mtu(1200)
    conn.set_accept_state() if server else conn.set_connect_state()
    return conn


def handshake_with(peer: SSL.Connection, ours: DtlsConnection) -> None:
    """Shuttle datagrams between a pyOpenSSL endpoint and our core until both are quiet."""
    for _ in range(20):
        moved = False
        try:
            peer.do_handshake()
        except SSL.WantReadError:
            pass
        while True:
            try:
                data = peer.bio_read(65536)
            except SSL.WantReadError:
                break
            ours.handle_datagram(data, now=0.0)
            moved = True
        while (out := ours.poll_transmit()) is not None:
            peer.bio_write(out)
            moved = True
        if not moved:
            break
