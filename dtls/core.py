"""The sans-IO DTLS 1.2 connection: OpenSSL for the handshake, our AEAD record layer after it.

Theory of operation
-------------------
A :class:`DtlsConnection` is fed what happened (``start``, ``handle_datagram``,
``handle_timeout``, ``send``, ``close``, each with the caller's ``now``) and drained of what
to do (``poll_transmit``, ``poll_application_data``, ``poll_event``, ``poll_timeout``). It never
touches a socket, a task or a clock.

*Handshake.* A pyOpenSSL ``Connection`` on memory BIOs runs it. Incoming datagrams are checked
and split into records (``records.split_records``) and handed to OpenSSL one record at a time,
so that we notice the exact record after which the handshake completed. OpenSSL's output BIO is
a byte stream; we cut it back into records and pack them into datagrams of at most ``mtu``
bytes. Retransmission is OpenSSL's own (RFC 6347 §4.2.4): after every input we ask
``DTLSv1_get_timeout()`` and report ``now + remaining`` as our deadline; when it comes we call
``DTLSv1_handle_timeout()``. OpenSSL measures that remaining time on the wall clock, so with a
virtual clock the deadline still moves but OpenSSL retransmits only once real time has passed:
lossy handshakes are tested in real time. The overall ``handshake_timeout`` is ours and lives
entirely in the caller's clock.

*Authentication.* WebRTC peers present self-signed certificates; OpenSSL's verify callback
checks the peer's against the remote fingerprints (RFC 8122 §5) while the handshake runs. On a
mismatch OpenSSL stops the handshake with a fatal ``bad_certificate`` alert, the one record we
still send; after that the connection sends nothing at all.

*Application data.* Once the handshake completed we take the negotiated keys
(``record_protection``) and OpenSSL is never called again: its sequence numbers continue in our
sealer, so no nonce is reused. Records are protected and opened with ``cryptography``'s AEADs,
checked against the replay window (RFC 6347 §4.1.2.6) and delivered as plain bytes. A peer that
lost our last flight retransmits its own; the server answers with the datagrams of its final
flight again (RFC 6347 §4.2.4), stored when the handshake completed.

*Peer input never raises.* Garbage, replays, records that do not authenticate and records of an
unexpected epoch are dropped and counted in :class:`DtlsStats`; fatal alerts, fingerprint
mismatches and timeouts fail the connection with a :class:`~dtls.events.DtlsFailed` event.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final, NoReturn

from cryptography.hazmat.primitives import serialization
from OpenSSL import SSL

from .errors import ConnectionClosedError, InvalidDtlsStateError, MessageTooLargeError
from .events import CloseNotifyReceived, DtlsEvent, DtlsFailed, DtlsStateChanged
from .fingerprint import FingerprintVerifier, RTCDtlsFingerprint
from .record_protection import (
    MAX_OVERHEAD,
    SUITES,
    CipherSuite,
    RecordOpener,
    RecordSealer,
    derive_traffic_keys,
)
from .records import (
    ALERT_FATAL,
    CLOSE_NOTIFY,
    DTLS_1_2,
    HEADER,
    ContentType,
    Record,
    alert_name,
    iter_stream_records,
    pack_datagrams,
    split_records,
)
from .role import DtlsRole
from .settings import DtlsSettings
from .srtp_keys import EXPORTER_LABEL, SrtpKeys, SrtpProfile, split_keying_material
from .state import TERMINAL_STATES, FailureReason, RTCDtlsTransportState, check_transition
from .stats import DtlsStats

if TYPE_CHECKING:
    from cryptography import x509

    from .certificate import RTCCertificate

logger = logging.getLogger(__name__)

_S = RTCDtlsTransportState
_APPLICATION_DATA: Final = int(ContentType.APPLICATION_DATA)
_ALERT: Final = int(ContentType.ALERT)
_HANDSHAKE: Final = int(ContentType.HANDSHAKE)
_DTLS1_2_VERSION: Final = 0xFEFD  # OpenSSL's DTLS1_2_VERSION, for set_min/max_proto_version
_BIO_CHUNK: Final = 65536
_MAX_HELD_BEFORE_START: Final = 8
_MIN_TIMER: Final = 0.001
_CONTEXT_OPTIONS: Final = (
    SSL.OP_NO_QUERY_MTU  # memory BIOs have no MTU to query: ours is set explicitly
    | SSL.OP_NO_RENEGOTIATION  # one epoch after the handshake, never a second one
    | SSL.OP_NO_TICKET
    | SSL.OP_NO_COMPRESSION
    | SSL.OP_CIPHER_SERVER_PREFERENCE  # as server we pick AES-128-GCM when offered
)


def _verify_peer(conn: SSL.Connection, cert: Any, _errno: int, depth: int, _ok: int) -> bool:
    """OpenSSL's verify callback: the leaf certificate must match a remote fingerprint.

    OpenSSL's own chain verdict (``_ok``) is ignored: WebRTC certificates are self-signed and
    trusted only through the fingerprint (RFC 8827 §6.5).
    """
    if depth != 0:
        return True
    owner = conn.get_app_data()
    if not isinstance(owner, DtlsConnection):
        return False
    der = cert.to_cryptography().public_bytes(serialization.Encoding.DER)
    return owner._peer_certificate_matches(der)


class DtlsConnection:
    """One DTLS 1.2 association over an unreliable datagram path, without I/O of its own."""

    def __init__(
        self, *, certificate: RTCCertificate, settings: DtlsSettings | None = None
    ) -> None:
        self._role: DtlsRole | None = None
        self._certificate = certificate
        self._verifier: FingerprintVerifier | None = None
        self._settings = settings or DtlsSettings()
        self.stats = DtlsStats()
        self._state = _S.NEW
        self._transmits: deque[bytes] = deque()
        self._app_data: deque[bytes] = deque()
        self._deliver: Callable[[bytes], None] = self._app_data.append
        self._events: deque[DtlsEvent] = deque()
        self._ssl: SSL.Connection | None = None
        self._handshake_deadline: float | None = None
        self._retransmit_deadline: float | None = None
        self._flight: list[bytes] = []
        self._resend_at: float | None = None
        self._resend_interval = 0.0
        self._held: list[bytes] = []
        self._early: list[tuple[bytes, Record]] = []
        self._write_high = -1
        self._write_epoch = 0
        self._fingerprint_mismatch = False
        self._alert_received: int | None = None
        self._final_flight: list[bytes] = []
        self._suite: CipherSuite | None = None
        self._sealer: RecordSealer | None = None
        self._opener: RecordOpener | None = None
        self._max_payload = self._settings.mtu - MAX_OVERHEAD
        self._srtp_keys: SrtpKeys | None = None
        self._remote_certificate: x509.Certificate | None = None
        self._failure: DtlsFailed | None = None

    # ------------------------------------------------------------------ properties

    @property
    def state(self) -> RTCDtlsTransportState:
        return self._state

    @property
    def role(self) -> DtlsRole | None:
        """Our DTLS role, known from :meth:`start` on."""
        return self._role

    @property
    def settings(self) -> DtlsSettings:
        return self._settings

    @property
    def max_application_data(self) -> int:
        """Largest ``send()`` that still fits one datagram of ``mtu`` bytes.

        Before the handshake completes it assumes the largest overhead of the suites we offer.
        """
        return self._max_payload

    @property
    def cipher_suite(self) -> str | None:
        """OpenSSL's name of the negotiated suite, once connected."""
        return self._suite.name if self._suite else None

    @property
    def srtp_keys(self) -> SrtpKeys | None:
        """The DTLS-SRTP keys, once connected, if the peer agreed to a profile."""
        return self._srtp_keys

    @property
    def remote_certificate(self) -> x509.Certificate | None:
        """The peer's certificate, once it matched the remote fingerprints."""
        return self._remote_certificate

    @property
    def failure(self) -> DtlsFailed | None:
        return self._failure

    # ------------------------------------------------------------------ outputs

    def poll_transmit(self) -> bytes | None:
        """The next datagram to send, or None."""
        return self._transmits.popleft() if self._transmits else None

    def poll_application_data(self) -> bytes | None:
        """The next received application-data payload, or None (see :meth:`set_sink`)."""
        return self._app_data.popleft() if self._app_data else None

    def set_sink(self, sink: Callable[[bytes], None] | None) -> None:
        """Deliver application data by calling ``sink(payload)`` instead of queueing it.

        This is the data-channel hot path: an adapter passes its receiver and a datagram goes
        from ``handle_datagram`` to the receiver in one call, with no queue and no polling.
        The sink is called synchronously; it may call :meth:`protect`, :meth:`send` or
        :meth:`close` on this connection. Payloads queued before a sink was set are handed to
        it at once.
        """
        self._deliver = self._app_data.append if sink is None else sink
        if self._opener is not None:
            self._opener.deliver = self._deliver
        if sink is not None:
            queued = self._app_data
            while queued and self._deliver is sink:
                sink(queued.popleft())

    def poll_event(self) -> DtlsEvent | None:
        return self._events.popleft() if self._events else None

    def poll_timeout(self) -> float | None:
        """The earliest deadline: the handshake timeout, OpenSSL's retransmission timer or
        our own resend of the last flight. None once the handshake is over."""
        if self._state is not _S.CONNECTING:
            return None
        deadlines = [
            t
            for t in (self._handshake_deadline, self._retransmit_deadline, self._resend_at)
            if t is not None
        ]
        return min(deadlines) if deadlines else None

    # ------------------------------------------------------------------ API inputs

    def start(
        self, *, role: DtlsRole, remote_fingerprints: Iterable[RTCDtlsFingerprint], now: float
    ) -> None:
        """Begin the handshake as ``role``; a client sends its ClientHello at once.

        ``remote_fingerprints`` come from the remote description's ``a=fingerprint`` lines;
        the peer's certificate must match one of them. Raises :class:`FingerprintError` when
        none is usable (nothing could ever be verified) and :class:`InvalidDtlsStateError`
        when called twice. Datagrams that arrived before ``start`` (a peer that started
        first) are processed now.
        """
        if self._state is not _S.NEW:
            raise InvalidDtlsStateError("start() was called already", self._state)
        self._verifier = FingerprintVerifier(remote_fingerprints)
        self._role = DtlsRole(role)
        self._ssl = self._new_openssl_connection()
        self._handshake_deadline = now + self._settings.handshake_timeout
        self._set_state(_S.CONNECTING)
        self._drive_handshake(now)
        held, self._held = self._held, []
        for data in held:
            self.handle_datagram(data, now=now)

    def send(self, data: bytes, *, now: float) -> None:
        """Queue ``data`` for sending as one application-data record (one datagram).

        Raises :class:`ConnectionClosedError` after close, :class:`InvalidDtlsStateError`
        before the handshake completed or after failure, and :class:`MessageTooLargeError`
        when the record would not fit in ``mtu`` bytes.
        """
        self._transmits.append(self.protect(data))

    def protect(self, data: bytes) -> bytes:
        """The datagram that carries ``data``, for the caller to send right away.

        What :meth:`send` does without the queue: adapters use it on the hot path. Each call
        uses the next sequence number, so every returned datagram must be sent (or counted as
        lost), and in the order returned when possible. Raises like :meth:`send`.
        """
        sealer = self._sealer
        if sealer is None:
            self._refuse("cannot send application data")
        if len(data) > self._max_payload:
            raise MessageTooLargeError(len(data), self._max_payload)
        self.stats.records_sent += 1
        return sealer.seal(_APPLICATION_DATA, data)

    def close(self, *, now: float) -> None:
        """Close: a close_notify alert if connected (RFC 5246 §7.2.1), then ``closed``.

        During the handshake nothing is sent: the peer's handshake times out.
        """
        self._close()

    def _close(self) -> None:
        state = self._state
        if state in TERMINAL_STATES:
            return
        if self._sealer is not None:
            self._transmits.append(self._sealer.seal(_ALERT, bytes((1, CLOSE_NOTIFY))))
        self._release_openssl()
        self._set_state(_S.CLOSED)

    # ------------------------------------------------------------------ network and time inputs

    def handle_datagram(self, data: bytes, *, now: float) -> bool:
        """One datagram whose first byte said DTLS (RFC 7983). Never raises on its content.

        Returns False when the datagram was a lone application-data record: it produced at most
        a payload (given to the sink or queued) and nothing else, so the caller has no transmit,
        event or deadline to look at. True means: drain the poll methods.
        """
        opener = self._opener
        if opener is not None and opener.receive(data):
            return False
        stats = self.stats
        records = split_records(data)
        if records is None:
            stats.dropped_malformed += 1
            return False
        if self._state is _S.NEW:
            if len(self._held) < _MAX_HELD_BEFORE_START:
                self._held.append(bytes(data))
            else:
                stats.dropped_unexpected += 1
            return False
        for record in records:
            state = self._state
            if state is _S.CONNECTING:
                self._handshake_record(data, record, now)
            elif state is _S.CONNECTED:
                self._protected_record(data, record)
            else:
                stats.dropped_unexpected += 1
                break
        return True

    def handle_timeout(self, *, now: float) -> None:
        """The deadline from :meth:`poll_timeout` came (calling it early does no harm)."""
        if self._state is not _S.CONNECTING:
            return
        limit = self._handshake_deadline
        if limit is not None and now >= limit:
            self._fail(
                FailureReason.HANDSHAKE_TIMEOUT,
                f"no handshake within {self._settings.handshake_timeout:g} s",
            )
            return
        resend_at = self._resend_at
        if resend_at is not None and now >= resend_at:
            self._resend_flight(now)
        rtx = self._retransmit_deadline
        ssl = self._ssl
        if rtx is None or now < rtx or ssl is None:
            return
        try:
            if ssl.DTLSv1_handle_timeout():
                self.stats.handshake_retransmissions += 1
        except SSL.Error as exc:
            self._transmits.extend(self._read_openssl_output())
            self._fail(FailureReason.HANDSHAKE_TIMEOUT, f"OpenSSL gave up: {_describe(exc)}")
            return
        retransmitted = self._read_openssl_output()
        if retransmitted:
            # The same flight with new record numbers: it replaces the copy we resend, but our
            # schedule keeps backing off.
            self._flight = retransmitted
            self._transmits.extend(retransmitted)
        self._update_retransmit_deadline(now)

    def _resend_flight(self, now: float) -> None:
        """Send the datagrams of our last flight again, byte for byte.

        OpenSSL's own timer starts at 1 s and doubles up to 60 s (RFC 6347 §4.2.4.1), which
        turns one lost datagram into seconds of set-up. We also resend the last flight on a
        faster schedule of our own (``DtlsSettings.flight_resend``), in the caller's clock.
        An identical copy is exactly what a duplicating network delivers: the peer's replay
        check drops the records it has, and takes the ones that were lost.
        """
        self._transmits.extend(self._flight)
        self.stats.flight_resends += 1
        self._resend_interval = min(self._resend_interval * 2, self._settings.flight_resend_max)
        self._resend_at = now + self._resend_interval

    # ------------------------------------------------------------------ handshake

    def _new_openssl_connection(self) -> SSL.Connection:
        settings, cert = self._settings, self._certificate
        ctx = SSL.Context(SSL.DTLS_METHOD)
        ctx.set_min_proto_version(_DTLS1_2_VERSION)
        ctx.set_max_proto_version(_DTLS1_2_VERSION)
        ctx.set_options(_CONTEXT_OPTIONS)
        ctx.set_cipher_list(":".join(settings.cipher_suites).encode())
        ctx.use_certificate(cert.x509)
        ctx.use_privatekey(cert.private_key)
        ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, _verify_peer)
        if settings.srtp_profiles:
            ctx.set_tlsext_use_srtp(b":".join(p.openssl_name for p in settings.srtp_profiles))
        ssl = SSL.Connection(ctx)
        ssl.set_app_data(self)
        ssl.set_info_callback(self._on_openssl_info)
        ssl.set_ciphertext_mtu(settings.mtu)
        if self._role is DtlsRole.CLIENT:
            ssl.set_connect_state()
        else:
            ssl.set_accept_state()
        return ssl

    def _peer_certificate_matches(self, der: bytes) -> bool:
        if self._verifier is not None and self._verifier.matches(der):
            return True
        self._fingerprint_mismatch = True
        return False

    def _on_openssl_info(self, _conn: SSL.Connection, where: int, ret: int) -> None:
        if where & SSL.SSL_CB_READ_ALERT == SSL.SSL_CB_READ_ALERT and ret >> 8 == ALERT_FATAL:
            self._alert_received = ret & 0xFF

    def _handshake_record(self, data: bytes, record: Record, now: float) -> None:
        if record.epoch > 0 and record.content_type == _APPLICATION_DATA:
            # The peer finished first and is sending already; keep it for after our Finished.
            if len(self._early) < self._settings.max_early_records:
                self._early.append((bytes(data[record.start : record.end]), record))
            else:
                self.stats.dropped_unexpected += 1
            return
        ssl = self._ssl
        if ssl is None:
            return
        ssl.bio_write(data[record.start : record.end])
        self._drive_handshake(now)

    def _drive_handshake(self, now: float) -> None:
        ssl = self._ssl
        if ssl is None:
            return
        try:
            ssl.do_handshake()
        except SSL.WantReadError:
            self._new_flight(self._read_openssl_output(), now)
            self._update_retransmit_deadline(now)
            return
        except SSL.Error as exc:
            self._transmits.extend(self._read_openssl_output())  # the fatal alert, if any
            self._fail(*self._classify_failure(exc))
            return
        self._complete_handshake(self._read_openssl_output())

    def _classify_failure(self, exc: SSL.Error) -> tuple[FailureReason, str]:
        if self._fingerprint_mismatch:
            return (
                FailureReason.FINGERPRINT_MISMATCH,
                "the peer's certificate matches none of the remote fingerprints",
            )
        if self._alert_received is not None:
            return FailureReason.ALERT_RECEIVED, alert_name(self._alert_received)
        return FailureReason.PROTOCOL_ERROR, _describe(exc)

    def _read_openssl_output(self) -> list[bytes]:
        """Everything OpenSSL wrote, as datagrams of at most ``mtu`` bytes."""
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
        return pack_datagrams(stream, ends, self._settings.mtu)

    def _new_flight(self, datagrams: list[bytes], now: float) -> None:
        """Send what OpenSSL wrote after new input: our next flight, resent until answered."""
        if not datagrams:
            return
        self._transmits.extend(datagrams)
        first = self._settings.flight_resend
        if first is None:
            return
        self._flight = datagrams
        self._resend_interval = first
        self._resend_at = now + first

    def _update_retransmit_deadline(self, now: float) -> None:
        ssl = self._ssl
        remaining = ssl.DTLSv1_get_timeout() if ssl is not None else None
        self._retransmit_deadline = None if remaining is None else now + max(remaining, _MIN_TIMER)

    def _complete_handshake(self, final_flight: list[bytes]) -> None:
        """Check what OpenSSL negotiated, take over the record layer, become ``connected``."""
        ssl = self._ssl
        assert ssl is not None
        peer = ssl.get_peer_certificate(as_cryptography=True)
        if peer is None or not self._peer_certificate_matches(
            peer.public_bytes(serialization.Encoding.DER)
        ):
            # The verify callback already checks this; a second look costs one hash.
            self._fail(FailureReason.FINGERPRINT_MISMATCH, "the peer's certificate is unverified")
            return
        version = ssl.get_protocol_version_name()
        suite = SUITES.get(ssl.get_cipher_name() or "")
        if version != "DTLSv1.2" or suite is None or self._write_epoch != 1:
            self._fail(
                FailureReason.PROTOCOL_ERROR,
                f"unexpected negotiation: {version}, {ssl.get_cipher_name()}, "
                f"write epoch {self._write_epoch}",
            )
            return
        master, client_random, server_random = (
            ssl.master_key(),
            ssl.client_random(),
            ssl.server_random(),
        )
        if master is None or client_random is None or server_random is None:
            self._fail(FailureReason.PROTOCOL_ERROR, "OpenSSL has no session keys")
            return
        keys = derive_traffic_keys(suite, master, client_random, server_random)
        role = self._role
        assert role is not None
        if role is DtlsRole.CLIENT:
            write_key, write_iv, read_key, read_iv = (
                keys.client_key,
                keys.client_iv,
                keys.server_key,
                keys.server_iv,
            )
        else:
            write_key, write_iv, read_key, read_iv = (
                keys.server_key,
                keys.server_iv,
                keys.client_key,
                keys.client_iv,
            )
        self._sealer = RecordSealer(
            suite, write_key, write_iv, epoch=1, next_sequence=self._write_high + 1
        )
        self._opener = RecordOpener(suite, read_key, read_iv, self.stats, self._deliver)
        self._suite = suite
        self._max_payload = self._settings.mtu - suite.overhead
        profile_name = ssl.get_selected_srtp_profile()
        profile = SrtpProfile.from_openssl_name(profile_name) if profile_name else None
        if profile is not None:
            material = ssl.export_keying_material(EXPORTER_LABEL, profile.keying_material_length)
            self._srtp_keys = split_keying_material(profile, material, role)
        self._remote_certificate = peer
        if role is DtlsRole.SERVER:
            self._final_flight = final_flight
        self._transmits.extend(final_flight)
        early, self._early = self._early, []
        self._release_openssl()
        logger.debug("DTLS %s connected with %s", role.value, suite.name)
        self._set_state(_S.CONNECTED)
        for data, record in early:
            self._protected_record(data, record._replace(start=0, end=len(data)))

    def _release_openssl(self) -> None:
        """Drop OpenSSL: after the handshake it must never write a record again."""
        ssl, self._ssl = self._ssl, None
        if ssl is not None:
            ssl.set_app_data(None)
        self._retransmit_deadline = None
        self._handshake_deadline = None
        self._resend_at = None
        self._flight = []
        self._held.clear()
        self._early.clear()

    # ------------------------------------------------------------------ connected

    def _protected_record(self, data: bytes, record: Record) -> None:
        ctype, epoch, opener = record.content_type, record.epoch, self._opener
        if opener is None or epoch != 1 or record.version != DTLS_1_2:
            # Epoch 0: pieces of a flight the peer retransmits; its Finished (epoch 1) follows.
            self.stats.dropped_unexpected += 1
            return
        header = HEADER.unpack_from(data, record.start)
        if ctype == _HANDSHAKE:
            # The client did not get our final flight and sent its Finished again (RFC 6347
            # §4.2.4). Its resends may repeat the very same record, so the replay window is not
            # consulted: a genuine copy of the Finished is enough to answer.
            if opener.open(data, record.start, record.end, header, replay_check=False) is None:
                return
            if self._final_flight:
                self._transmits.extend(self._final_flight)
                self.stats.final_flight_resends += 1
            else:
                self.stats.dropped_unexpected += 1
            return
        plaintext = opener.open(data, record.start, record.end, header)
        if plaintext is None:
            return
        if ctype == _APPLICATION_DATA:
            self.stats.records_received += 1
            self._deliver(plaintext)
        elif ctype == _ALERT:
            self._alert(plaintext)
        else:
            self.stats.dropped_unexpected += 1

    def _alert(self, body: bytes) -> None:
        if len(body) != 2:
            self.stats.dropped_malformed += 1
            return
        level, description = body[0], body[1]
        if description == CLOSE_NOTIFY:
            # RFC 5246 §7.2.1: answer with our own close_notify, then the connection is over.
            self._events.append(CloseNotifyReceived())
            self._close()
        elif level == ALERT_FATAL:
            self._fail(FailureReason.ALERT_RECEIVED, alert_name(description))
        else:
            self.stats.dropped_unexpected += 1

    # ------------------------------------------------------------------ state

    def _refuse(self, what: str) -> NoReturn:
        state = self._state
        if state is _S.CLOSED:
            raise ConnectionClosedError(f"{what}: the transport is closed", state)
        raise InvalidDtlsStateError(f"{what}: the transport is not connected", state)

    def _fail(self, reason: FailureReason, detail: str) -> None:
        if self._state in TERMINAL_STATES:
            return
        logger.debug("DTLS %s failed: %s: %s", self._role, reason.value, detail)
        self._release_openssl()
        self._failure = DtlsFailed(reason, detail)
        self._events.append(self._failure)
        self._set_state(_S.FAILED)

    def _set_state(self, new: RTCDtlsTransportState) -> None:
        """The only writer of ``_state`` (transitions in ``state.ALLOWED_TRANSITIONS``)."""
        old = self._state
        check_transition(old, new)
        self._state = new
        if new in TERMINAL_STATES:
            # Nothing is read or written any more: the fast paths test these for None.
            self._final_flight = []
            self._sealer = None
            self._opener = None
        self._events.append(DtlsStateChanged(old, new))


def _describe(exc: SSL.Error) -> str:
    """OpenSSL's error queue as one line: the reasons of its ``(library, function, reason)``."""
    queue = exc.args[0] if exc.args and isinstance(exc.args[0], list) else []
    reasons = [str(item[-1]) for item in queue if isinstance(item, tuple) and item]
    return "; ".join(reasons) or str(exc) or type(exc).__name__
