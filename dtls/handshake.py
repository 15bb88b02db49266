"""The part OpenSSL does: one DTLS 1.2 handshake on memory BIOs, and nothing after it.

:class:`OpenSslHandshake` wraps a pyOpenSSL ``Connection`` for the connection core
(``core.py``). It is fed whole records, reports after each one whether the handshake is still
running, failed or completed, and hands out what OpenSSL wrote as datagrams that fit the MTU.

OpenSSL's output BIO is a byte stream, so the boundaries between the datagrams it meant to
send are lost; :meth:`read_output` finds the records again from their headers and packs them
(``records.pack_datagrams``). Walking the headers also tells us the highest sequence number
OpenSSL wrote in epoch 1: our record layer continues after it, so no AEAD nonce is used twice.

On completion the result carries everything the record layer and the layers above need (suite,
traffic keys, DTLS-SRTP keys, peer certificate, next sequence number); the core then releases
this object and OpenSSL never writes another record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from cryptography.hazmat.primitives import serialization
from OpenSSL import SSL

from .events import CloseNotifyReceived, DtlsFailed
from .record_protection import SUITES, CipherSuite, TrafficKeys, derive_traffic_keys
from .records import ALERT_FATAL, alert_name, iter_stream_records, pack_datagrams
from .role import DtlsRole
from .srtp_keys import EXPORTER_LABEL, SrtpKeys, SrtpProfile, split_keying_material
from .state import FailureReason

if TYPE_CHECKING:
    from cryptography import x509

    from .certificate import RTCCertificate
    from .fingerprint import FingerprintVerifier
    from .settings import DtlsSettings

_DTLS1_2_VERSION: Final = 0xFEFD  # OpenSSL's DTLS1_2_VERSION, for set_min/max_proto_version
_BIO_CHUNK: Final = 65536
_MIN_TIMER: Final = 0.001
_CONTEXT_OPTIONS: Final = (
    SSL.OP_NO_QUERY_MTU  # memory BIOs have no MTU to query: ours is set explicitly
    | SSL.OP_NO_RENEGOTIATION  # one epoch after the handshake, never a second one
    | SSL.OP_NO_TICKET
    | SSL.OP_NO_COMPRESSION
    | SSL.OP_CIPHER_SERVER_PREFERENCE  # as server we pick AES-128-GCM when offered
)


@dataclass(frozen=True, slots=True, repr=False)
class HandshakeResult:
    """What a completed handshake negotiated."""

    suite: CipherSuite
    keys: TrafficKeys
    srtp_keys: SrtpKeys | None
    """None when the peer agreed to no SRTP protection profile (a data-only peer)."""
    remote_certificate: x509.Certificate
    next_write_sequence: int
    """The first epoch-1 sequence number OpenSSL did not use."""
    final_flight: list[bytes]
    """What OpenSSL wrote while completing: the server's ChangeCipherSpec and Finished."""


def _verify_peer(conn: SSL.Connection, cert: Any, _errno: int, depth: int, _ok: int) -> bool:
    """OpenSSL's verify callback: the leaf certificate must match a remote fingerprint.

    OpenSSL's own chain verdict (``_ok``) is ignored: WebRTC certificates are self-signed and
    trusted only through the fingerprint (RFC 8827 §6.5). On a mismatch OpenSSL sends a fatal
    alert named after its own verdict on the chain (usually ``unknown_ca``).
    """
    if depth != 0:
        return True
    owner = conn.get_app_data()
    if not isinstance(owner, OpenSslHandshake):
        return False
    return owner.peer_certificate_matches(cert.to_cryptography().public_bytes(_DER))


_DER: Final = serialization.Encoding.DER


class OpenSslHandshake:
    """A pyOpenSSL DTLS connection that lives for the handshake only."""

    def __init__(
        self,
        *,
        role: DtlsRole,
        certificate: RTCCertificate,
        verifier: FingerprintVerifier,
        settings: DtlsSettings,
    ) -> None:
        self._role = role
        self._verifier = verifier
        self._mtu = settings.mtu
        self._write_epoch = 0
        self._write_high = -1
        self._fingerprint_mismatch = False
        self._alert_received: int | None = None
        ctx = SSL.Context(SSL.DTLS_METHOD)
        ctx.set_min_proto_version(_DTLS1_2_VERSION)
        ctx.set_max_proto_version(_DTLS1_2_VERSION)
        ctx.set_options(_CONTEXT_OPTIONS)
        ctx.set_cipher_list(":".join(settings.cipher_suites).encode())
        ctx.use_certificate(certificate.x509)
        ctx.use_privatekey(certificate.private_key)
        ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, _verify_peer)
        if settings.srtp_profiles:
            ctx.set_tlsext_use_srtp(b":".join(p.openssl_name for p in settings.srtp_profiles))
        ssl = SSL.Connection(ctx)
        ssl.set_app_data(self)
        ssl.set_info_callback(self._on_info)
        ssl.set_ciphertext_mtu(settings.mtu)
        if role is DtlsRole.CLIENT:
            ssl.set_connect_state()
        else:
            ssl.set_accept_state()
        self._ssl: SSL.Connection | None = ssl

    def release(self) -> None:
        """Let go of OpenSSL (it writes nothing when freed)."""
        ssl, self._ssl = self._ssl, None
        if ssl is not None:
            ssl.set_app_data(None)

    # ------------------------------------------------------------------ driving

    def feed(self, record: bytes) -> None:
        """One whole record from the peer (never a record of our own record layer's epoch)."""
        if self._ssl is not None:
            self._ssl.bio_write(record)

    def advance(
        self,
    ) -> tuple[HandshakeResult | DtlsFailed | CloseNotifyReceived | None, list[bytes]]:
        """Let OpenSSL run; returns the outcome (None while running) and datagrams to send.

        A failure returns the fatal alert OpenSSL wrote, if any, as the last thing to send;
        a completion whose checks fail, or the peer's close_notify, returns nothing to send.
        """
        ssl = self._ssl
        if ssl is None:
            return None, []
        try:
            ssl.do_handshake()
        except SSL.WantReadError:
            return None, self.read_output()
        except SSL.ZeroReturnError:
            # The peer sent close_notify before the handshake completed: it closed, on purpose.
            return CloseNotifyReceived(), []
        except SSL.Error as exc:
            return self._classify_failure(exc), self.read_output()
        final_flight = self.read_output()
        outcome = self._result(ssl, final_flight)
        return outcome, [] if isinstance(outcome, DtlsFailed) else final_flight

    def timeout(self, now: float) -> float | None:
        """OpenSSL's retransmission deadline, as ``now`` plus what its wall-clock timer has
        left (DTLSv1_get_timeout), or None when no timer runs."""
        remaining = self._ssl.DTLSv1_get_timeout() if self._ssl is not None else None
        return None if remaining is None else now + max(remaining, _MIN_TIMER)

    def handle_timer(self) -> list[bytes] | DtlsFailed:
        """DTLSv1_handle_timeout: the retransmitted flight (empty if OpenSSL's timer had not
        expired yet by its own clock), or a failure once OpenSSL gives up."""
        ssl = self._ssl
        if ssl is None:
            return []
        try:
            if not ssl.DTLSv1_handle_timeout():
                return []
        except SSL.Error as exc:
            return DtlsFailed(FailureReason.HANDSHAKE_TIMEOUT, f"OpenSSL gave up: {_describe(exc)}")
        return self.read_output()

    def read_output(self) -> list[bytes]:
        """Everything OpenSSL wrote, as datagrams of at most ``mtu`` bytes of whole records."""
        ssl = self._ssl
        if ssl is None:
            return []
        chunks: list[bytes] = []
        while True:
            try:
                chunk = ssl.bio_read(_BIO_CHUNK)
            except SSL.WantReadError:
                break
            chunks.append(chunk)
            if len(chunk) < _BIO_CHUNK:
                break
        if not chunks:
            return []
        stream = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        ends: list[int] = []
        for epoch, sequence, end in iter_stream_records(stream):
            if epoch > self._write_epoch:
                self._write_epoch, self._write_high = epoch, sequence
            elif epoch == self._write_epoch and sequence > self._write_high:
                self._write_high = sequence
            ends.append(end)
        return pack_datagrams(stream, ends, self._mtu)

    # ------------------------------------------------------------------ verdicts

    def peer_certificate_matches(self, der: bytes) -> bool:
        if self._verifier.matches(der):
            return True
        self._fingerprint_mismatch = True
        return False

    def _on_info(self, _conn: SSL.Connection, where: int, ret: int) -> None:
        if where & SSL.SSL_CB_READ_ALERT == SSL.SSL_CB_READ_ALERT and ret >> 8 == ALERT_FATAL:
            self._alert_received = ret & 0xFF

    def _classify_failure(self, exc: SSL.Error) -> DtlsFailed:
        if self._fingerprint_mismatch:
            return DtlsFailed(
                FailureReason.FINGERPRINT_MISMATCH,
                "the peer's certificate matches none of the remote fingerprints",
            )
        if self._alert_received is not None:
            return DtlsFailed(FailureReason.ALERT_RECEIVED, alert_name(self._alert_received))
        return DtlsFailed(FailureReason.PROTOCOL_ERROR, _describe(exc))

    def _result(
        self, ssl: SSL.Connection, final_flight: list[bytes]
    ) -> HandshakeResult | DtlsFailed:
        """Check what OpenSSL negotiated and collect it."""
        peer = ssl.get_peer_certificate(as_cryptography=True)
        if peer is None or not self.peer_certificate_matches(peer.public_bytes(_DER)):
            # The verify callback already checked; a second look costs one hash.
            return DtlsFailed(
                FailureReason.FINGERPRINT_MISMATCH, "the peer's certificate is unverified"
            )
        version, name = ssl.get_protocol_version_name(), ssl.get_cipher_name()
        suite = SUITES.get(name or "")
        master, client_random, server_random = (
            ssl.master_key(),
            ssl.client_random(),
            ssl.server_random(),
        )
        if (
            version != "DTLSv1.2"
            or suite is None
            or self._write_epoch != 1
            or not (master and client_random and server_random)
        ):
            return DtlsFailed(
                FailureReason.PROTOCOL_ERROR,
                f"unexpected negotiation: {version}, {name}, write epoch {self._write_epoch}",
            )
        profile_name = ssl.get_selected_srtp_profile()
        profile = SrtpProfile.from_openssl_name(profile_name) if profile_name else None
        srtp_keys = None
        if profile is not None:
            material = ssl.export_keying_material(EXPORTER_LABEL, profile.keying_material_length)
            srtp_keys = split_keying_material(profile, material, self._role)
        return HandshakeResult(
            suite,
            derive_traffic_keys(suite, master, client_random, server_random),
            srtp_keys,
            peer,
            self._write_high + 1,
            final_flight,
        )


def _describe(exc: SSL.Error) -> str:
    """OpenSSL's error queue as one line: the reasons of its ``(library, function, reason)``."""
    queue = exc.args[0] if exc.args and isinstance(exc.args[0], list) else []
    reasons = [str(item[-1]) for item in queue if isinstance(item, tuple) and item]
    return "; ".join(reasons) or str(exc) or type(exc).__name__
