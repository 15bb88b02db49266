"""``DtlsTransport``: the asyncio shell around :class:`~dtls.core.DtlsConnection`.

It owns nothing but a lower datagram transport (ICE's connection, or an in-memory pair in
tests), one ``loop.call_at`` timer, and the callbacks of the layers above:

* Every datagram is handled synchronously in the lower transport's receive callback, sorted
  by its first byte (RFC 7983 §7): 20-63 is DTLS and goes to the core, 128-191 is RTP/RTCP and
  goes to the ``rtp_receiver`` untouched; anything else (STUN never gets here, ICE consumes it)
  is dropped and counted. A decrypted payload goes straight to the application-data receiver,
  with no queue and no task.
* The transport itself has the datagram-transport shape (``send(data)``,
  ``set_receiver(callback)``) for its application data, so SCTP runs on it directly.
* ``state``, ``wait_connected()``, an event listener and ``srtp_keys`` are what the W3C
  ``RTCDtlsTransport`` of the ``webrtc`` package builds on.

No task is ever created: ``close()`` leaves nothing running.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

from .core import DtlsConnection
from .errors import CertificateError, ConnectionClosedError, HandshakeError, InvalidDtlsStateError
from .events import DtlsEvent, DtlsFailed, DtlsStateChanged
from .settings import DtlsSettings
from .state import TERMINAL_STATES, RTCDtlsTransportState

if TYPE_CHECKING:
    from cryptography import x509

    from .certificate import RTCCertificate
    from .fingerprint import RTCDtlsFingerprint
    from .role import DtlsRole
    from .srtp_keys import SrtpKeys
    from .stats import DtlsStats

logger = logging.getLogger(__name__)

_S = RTCDtlsTransportState
MAX_BACKLOG: Final = 256
"""Application-data payloads kept while no receiver is set (then dropped and counted)."""

Receiver = Callable[[bytes], None]


class DatagramTransport(Protocol):
    """What DTLS runs over: ICE's connection, or ``tests/simnet.async_datagram_pair()``."""

    def send(self, data: bytes) -> None:
        """Send one datagram; never blocks, may drop."""

    def set_receiver(self, receiver: Receiver | None) -> None:
        """Call ``receiver(datagram)`` synchronously for every datagram that arrives."""


@dataclass(slots=True)
class DemuxStats:
    """What the first-byte demultiplexer (RFC 7983) did with datagrams that were not DTLS."""

    rtp_received: int = 0
    """RTP/RTCP datagrams (first byte 128-191) handed to the RTP receiver."""
    rtp_dropped: int = 0
    """RTP/RTCP datagrams that arrived while no RTP receiver was set."""
    dropped_unknown: int = 0
    """Empty datagrams and first bytes outside the DTLS and RTP ranges."""
    application_data_dropped: int = 0
    """Payloads dropped because no receiver was set and the backlog was full."""
    callback_errors: int = 0
    """Exceptions raised by receivers or the event listener (logged, not propagated)."""


class DtlsTransport:
    """DTLS over a datagram transport, driven by the running asyncio loop.

    Create it (inside the loop) as soon as the lower transport exists: it takes over the lower
    transport's receiver at once, so a peer's ClientHello that arrives before :meth:`start`
    is kept and answered when it is called.
    """

    def __init__(
        self,
        transport: DatagramTransport,
        certificate: RTCCertificate,
        *,
        settings: DtlsSettings | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if certificate.is_expired():
            raise CertificateError(f"the certificate expired on {certificate.expires.isoformat()}")
        self._loop = loop or asyncio.get_running_loop()
        self._lower = transport
        self._certificate = certificate
        self._core = DtlsConnection(certificate=certificate, settings=settings)
        self.demux_stats = DemuxStats()
        self._receiver: Receiver | None = None
        self._backlog: deque[bytes] = deque()
        self._rtp_receiver: Receiver | None = None
        self._listener: Callable[[DtlsEvent], None] | None = None
        self._waiters: list[asyncio.Future[None]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._armed_at: float | None = None
        self._attached = True
        self._core.set_sink(self._hold)
        transport.set_receiver(self._on_datagram)

    # ------------------------------------------------------------------ state

    @property
    def state(self) -> RTCDtlsTransportState:
        return self._core.state

    @property
    def role(self) -> DtlsRole | None:
        return self._core.role

    @property
    def certificate(self) -> RTCCertificate:
        return self._certificate

    @property
    def srtp_keys(self) -> SrtpKeys | None:
        """DTLS-SRTP keys once connected (None if the peer negotiated no SRTP profile)."""
        return self._core.srtp_keys

    @property
    def remote_certificate(self) -> x509.Certificate | None:
        return self._core.remote_certificate

    @property
    def cipher_suite(self) -> str | None:
        return self._core.cipher_suite

    @property
    def failure(self) -> DtlsFailed | None:
        """Why the transport failed, once it did."""
        return self._core.failure

    @property
    def stats(self) -> DtlsStats:
        return self._core.stats

    @property
    def max_application_data(self) -> int:
        """The largest payload :meth:`send` accepts (the MTU minus the record overhead)."""
        return self._core.max_application_data

    @property
    def batched_reads(self) -> bool | None:
        """Whether records arrive in batches within one loop iteration: the transport below
        tells (``None`` when it does not say). Records are delivered as they are read."""
        batched = getattr(self._lower, "batched_reads", None)
        return batched if isinstance(batched, bool) else None

    def set_event_listener(self, listener: Callable[[DtlsEvent], None] | None) -> None:
        """Call ``listener(event)`` for every core event (state changes, failure, close)."""
        self._listener = listener

    # ------------------------------------------------------------------ control

    def start(self, role: DtlsRole, remote_fingerprints: Iterable[RTCDtlsFingerprint]) -> None:
        """Start the handshake (see :meth:`DtlsConnection.start`); returns at once."""
        self._core.start(role=role, remote_fingerprints=remote_fingerprints, now=self._loop.time())
        self._flush()

    async def wait_connected(self) -> None:
        """Return once connected; raise :class:`HandshakeError` if the transport failed and
        :class:`ConnectionClosedError` if it was closed first."""
        self._raise_unless_connecting()
        if self._core.state is _S.CONNECTED:
            return
        waiter: asyncio.Future[None] = self._loop.create_future()
        self._waiters.append(waiter)
        await waiter

    def close(self) -> None:
        """Send close_notify if connected, stop the timer and let go of the lower transport."""
        core = self._core
        if core.state not in TERMINAL_STATES:
            core.close(now=self._loop.time())
            self._flush()
        self._detach()

    # ------------------------------------------------------------------ application data

    def send(self, data: bytes) -> None:
        """Send one application-data record (the datagram-transport shape SCTP runs over).

        Raises :class:`InvalidDtlsStateError` unless connected (:class:`ConnectionClosedError`
        once closed) and :class:`~dtls.errors.MessageTooLargeError` above
        :attr:`max_application_data`.
        """
        self._lower.send(self._core.protect(data))

    def set_receiver(self, receiver: Receiver | None) -> None:
        """Call ``receiver(payload)`` for each application-data record, synchronously.

        Payloads that arrived while no receiver was set (up to ``MAX_BACKLOG``) are handed
        over first.
        """
        self._receiver = receiver
        if receiver is None:
            self._core.set_sink(self._hold)
            return
        backlog = self._backlog
        while backlog and self._receiver is receiver:
            receiver(backlog.popleft())
        if self._receiver is receiver:
            self._core.set_sink(receiver)

    def _hold(self, payload: bytes) -> None:
        if len(self._backlog) < MAX_BACKLOG:
            self._backlog.append(payload)
        else:
            self.demux_stats.application_data_dropped += 1

    # ------------------------------------------------------------------ RTP / RTCP

    def send_rtp(self, data: bytes) -> None:
        """Send an (already protected) SRTP or SRTCP packet on the lower transport."""
        if self._core.state in TERMINAL_STATES:
            raise ConnectionClosedError("cannot send RTP", self._core.state)
        self._lower.send(data)

    def set_rtp_receiver(self, receiver: Receiver | None) -> None:
        """Call ``receiver(packet)`` for each datagram whose first byte is 128-191 (RFC 7983)."""
        self._rtp_receiver = receiver

    # ------------------------------------------------------------------ the data path

    def _on_datagram(self, data: bytes) -> None:
        try:
            first = data[0] if data else 0
            if 19 < first < 64:
                core = self._core
                if not core.receive_application_data(data) and core.handle_datagram(
                    data, now=self._loop.time()
                ):
                    self._flush()
            elif 127 < first < 192:
                rtp = self._rtp_receiver
                if rtp is None:
                    self.demux_stats.rtp_dropped += 1
                else:
                    self.demux_stats.rtp_received += 1
                    rtp(data)
            else:
                self.demux_stats.dropped_unknown += 1
        except Exception:
            # A receiver's bug must not unwind into the lower transport's receive path.
            self.demux_stats.callback_errors += 1
            logger.exception("error while handling a datagram")

    def _flush(self) -> None:
        core = self._core
        send = self._lower.send
        while (datagram := core.poll_transmit()) is not None:
            send(datagram)
        while (event := core.poll_event()) is not None:
            self._dispatch(event)
        if core.state in TERMINAL_STATES:
            self._detach()
            return
        deadline = core.poll_timeout()
        if deadline != self._armed_at:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = None if deadline is None else self._loop.call_at(deadline, self._fire)
            self._armed_at = deadline

    def _fire(self) -> None:
        armed, self._timer, self._armed_at = self._armed_at, None, None
        now = self._loop.time()
        # A timer that fires a little early (loop clock resolution) still counts as on time.
        self._core.handle_timeout(now=max(now, armed) if armed is not None else now)
        self._flush()

    def _dispatch(self, event: DtlsEvent) -> None:
        if isinstance(event, DtlsStateChanged) and event.new is not _S.CONNECTING:
            self._wake_waiters()
        listener = self._listener
        if listener is not None:
            try:
                listener(event)
            except Exception:
                self.demux_stats.callback_errors += 1
                logger.exception("DTLS event listener failed on %r", event)

    def _wake_waiters(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if waiter.done():
                continue
            try:
                self._raise_unless_connecting()
            except Exception as exc:
                waiter.set_exception(exc)
            else:
                waiter.set_result(None)

    def _raise_unless_connecting(self) -> None:
        state = self._core.state
        failure = self._core.failure
        if failure is not None:
            raise HandshakeError(failure.reason, failure.detail)
        if state is _S.CLOSED:
            raise ConnectionClosedError("the DTLS transport is closed", state)
        if state is _S.FAILED:
            raise InvalidDtlsStateError("the DTLS transport failed", state)

    def _detach(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
            self._armed_at = None
        if self._attached:
            self._attached = False
            self._lower.set_receiver(None)
        self._wake_waiters()
