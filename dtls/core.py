"""The sans-IO DTLS 1.2 connection: OpenSSL for the handshake, our AEAD record layer after it.

Theory of operation
-------------------
A :class:`DtlsConnection` is fed what happened (``start``, ``handle_datagram``,
``handle_timeout``, ``send``/``protect``, ``close``, each with the caller's ``now`` where time
matters) and drained of what to do (``poll_transmit``, ``poll_application_data`` or a sink,
``poll_event``, ``poll_timeout``). It never touches a socket, a task or a clock.

*Handshake* (``handshake.py``). OpenSSL runs it on memory BIOs. Incoming datagrams are checked
and split into records (``records.split_records``) and handed over one record at a time, so we
know the exact record after which the handshake completed. Two retransmission mechanisms run:

* OpenSSL's own (RFC 6347 §4.2.4): after every input we report ``now`` plus what
  ``DTLSv1_get_timeout()`` has left as a deadline, and call ``DTLSv1_handle_timeout()`` when it
  comes. OpenSSL measures that on the wall clock, starting at 1 s and doubling to 60 s; with a
  virtual clock the deadline still moves, but OpenSSL only retransmits once real time passed.
* Ours: the datagrams of the last flight are resent byte for byte on a faster schedule in the
  caller's clock (``DtlsSettings.flight_resend``). A copy is what a duplicating network would
  deliver; the peer keeps the records it lacked and drops the rest as replays. This makes lossy
  handshakes quick, and testable in virtual time.

The overall ``handshake_timeout`` is ours and lives entirely in the caller's clock.

*Authentication.* Peers present self-signed certificates; OpenSSL's verify callback checks the
peer's against the remote fingerprints (RFC 8122 §5) while the handshake runs. On a mismatch
OpenSSL stops with one fatal alert, the last record we send; after it, nothing.

*Application data.* Once the handshake completed we take the negotiated keys and OpenSSL is
never called again: its epoch-1 sequence numbers continue in our sealer, so no nonce is reused.
Records are protected and opened with ``cryptography``'s AEADs (``record_protection.py``),
checked against the replay window (RFC 6347 §4.1.2.6) and delivered as plain bytes. A client
that lost the server's final flight sends its Finished again; the server answers with the
datagrams of that flight, kept from the handshake.

*Peer input never raises.* Garbage, replays, records that do not authenticate and records of an
unexpected epoch are dropped and counted in :class:`DtlsStats`; fatal alerts, fingerprint
mismatches and timeouts fail the connection with a :class:`~dtls.events.DtlsFailed` event.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Final, NoReturn

from .errors import ConnectionClosedError, InvalidDtlsStateError, MessageTooLargeError
from .events import CloseNotifyReceived, DtlsEvent, DtlsFailed, DtlsStateChanged
from .fingerprint import FingerprintVerifier, RTCDtlsFingerprint
from .handshake import HandshakeResult, OpenSslHandshake
from .record_protection import MAX_OVERHEAD, CipherSuite, RecordOpener, RecordSealer
from .records import (
    ALERT_FATAL,
    CLOSE_NOTIFY,
    DTLS_1_2,
    HEADER,
    ContentType,
    Record,
    alert_name,
    split_records,
)
from .role import DtlsRole
from .settings import DtlsSettings
from .srtp_keys import SrtpKeys
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
_MAX_HELD_BEFORE_START: Final = 8


class DtlsConnection:
    """One DTLS 1.2 association over an unreliable datagram path, without I/O of its own."""

    def __init__(
        self, *, certificate: RTCCertificate, settings: DtlsSettings | None = None
    ) -> None:
        self._role: DtlsRole | None = None
        self._certificate = certificate
        self._settings = settings or DtlsSettings()
        self.stats = DtlsStats()
        self._state = _S.NEW
        self._transmits: deque[bytes] = deque()
        self._app_data: deque[bytes] = deque()
        self._deliver: Callable[[bytes], None] = self._app_data.append
        self._events: deque[DtlsEvent] = deque()
        self._handshake: OpenSslHandshake | None = None
        self._handshake_deadline: float | None = None
        self._retransmit_deadline: float | None = None
        self._flight: list[bytes] = []
        self._resend_at: float | None = None
        self._resend_interval = 0.0
        self._held: list[bytes] = []
        self._early: list[tuple[bytes, Record]] = []
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
        verifier = FingerprintVerifier(remote_fingerprints)
        self._role = DtlsRole(role)
        self._handshake = OpenSslHandshake(
            role=self._role,
            certificate=self._certificate,
            verifier=verifier,
            settings=self._settings,
        )
        self._handshake_deadline = now + self._settings.handshake_timeout
        self._set_state(_S.CONNECTING)
        self._advance(now)
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

    def receive_application_data(self, data: bytes) -> bool:
        """The data-channel hot path alone, which needs no clock.

        True when ``data`` was one whole application-data record of the current epoch: its
        payload went to the sink (or queue), or it was dropped and counted, and nothing else
        can have changed. False for anything else: pass it to :meth:`handle_datagram`.
        """
        opener = self._opener
        return opener is not None and opener.receive(data)

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
        rtx, handshake = self._retransmit_deadline, self._handshake
        if rtx is None or now < rtx or handshake is None:
            return
        retransmitted = handshake.handle_timer()
        if isinstance(retransmitted, DtlsFailed):
            self._transmits.extend(handshake.read_output())
            self._fail(retransmitted.reason, retransmitted.detail)
            return
        if retransmitted:
            # The same flight with new record numbers: it replaces the copy we resend, but our
            # schedule keeps backing off.
            self.stats.handshake_retransmissions += 1
            self._flight = retransmitted
            self._transmits.extend(retransmitted)
        self._retransmit_deadline = handshake.timeout(now)

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

    def _handshake_record(self, data: bytes, record: Record, now: float) -> None:
        if record.epoch > 0 and record.content_type == _APPLICATION_DATA:
            # The peer finished first and is sending already; keep it for after our Finished.
            if len(self._early) < self._settings.max_early_records:
                self._early.append((bytes(data[record.start : record.end]), record))
            else:
                self.stats.dropped_unexpected += 1
            return
        if self._handshake is not None:
            self._handshake.feed(data[record.start : record.end])
            self._advance(now)

    def _advance(self, now: float) -> None:
        handshake = self._handshake
        if handshake is None:
            return
        outcome, datagrams = handshake.advance()
        if outcome is None:
            self._new_flight(datagrams, now)
            self._retransmit_deadline = handshake.timeout(now)
        elif isinstance(outcome, DtlsFailed):
            self._transmits.extend(datagrams)  # the fatal alert, if any: the last we send
            self._fail(outcome.reason, outcome.detail)
        elif isinstance(outcome, CloseNotifyReceived):
            self._events.append(outcome)
            self._close()
        else:
            self._complete_handshake(outcome)

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

    def _complete_handshake(self, result: HandshakeResult) -> None:
        """Take over the record layer from OpenSSL and become ``connected``."""
        role, suite, keys = self._role, result.suite, result.keys
        assert role is not None
        client = role is DtlsRole.CLIENT
        self._sealer = RecordSealer(
            suite,
            keys.client_key if client else keys.server_key,
            keys.client_iv if client else keys.server_iv,
            epoch=1,
            next_sequence=result.next_write_sequence,
        )
        self._opener = RecordOpener(
            suite,
            keys.server_key if client else keys.client_key,
            keys.server_iv if client else keys.client_iv,
            self.stats,
            self._deliver,
        )
        self._suite = suite
        self._max_payload = self._settings.mtu - suite.overhead
        self._srtp_keys = result.srtp_keys
        self._remote_certificate = result.remote_certificate
        if not client:
            self._final_flight = result.final_flight
        self._transmits.extend(result.final_flight)
        early, self._early = self._early, []
        self._release_openssl()
        logger.debug("DTLS %s connected with %s", role.value, suite.name)
        self._set_state(_S.CONNECTED)
        for data, record in early:
            self._protected_record(data, record._replace(start=0, end=len(data)))

    def _release_openssl(self) -> None:
        """Drop OpenSSL: after the handshake it must never write a record again."""
        handshake, self._handshake = self._handshake, None
        if handshake is not None:
            handshake.release()
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
