"""RTCDtlsTransport (webrtc-pc §5.5) over :class:`dtls.DtlsTransport`."""

from __future__ import annotations

from dataclasses import dataclass, field

from dtls import (
    DtlsEvent,
    DtlsRole,
    DtlsSettings,
    DtlsStateChanged,
    DtlsTransport,
    HandshakeError,
    RTCCertificate,
    RTCDtlsFingerprint,
)

from .emitter import EventEmitter
from .icetransport import RTCIceTransport


@dataclass
class RTCDtlsParameters:
    fingerprints: list[RTCDtlsFingerprint] = field(default_factory=list)
    role: str = "auto"
    """auto, client or server."""


class RTCDtlsTransport(EventEmitter):
    """DTLS over an RTCIceTransport (events: ``statechange``, ``error``)."""

    def __init__(
        self,
        transport: RTCIceTransport,
        certificates: list[RTCCertificate],
        *,
        settings: DtlsSettings | None = None,
    ) -> None:
        super().__init__()
        if not certificates:
            raise ValueError("an RTCDtlsTransport needs a certificate")
        self.__transport = transport
        self._certificates = certificates
        self._dtls = DtlsTransport(transport.connection, certificates[0], settings=settings)
        self._dtls.set_event_listener(self._on_event)
        self._state = "new"
        self._role: DtlsRole | None = None

    @property
    def transport(self) -> RTCIceTransport:
        return self.__transport

    @property
    def state(self) -> str:
        return self._state

    @property
    def dtls(self) -> DtlsTransport:
        return self._dtls

    @property
    def role(self) -> str:
        return "auto" if self._role is None else str(self._role)

    def getLocalParameters(self) -> RTCDtlsParameters:
        return RTCDtlsParameters(fingerprints=self._certificates[0].getFingerprints())

    def getRemoteCertificates(self) -> list[bytes]:
        from cryptography.hazmat.primitives.serialization import Encoding

        cert = self._dtls.remote_certificate
        return [] if cert is None else [cert.public_bytes(Encoding.DER)]

    def _start(self, role: DtlsRole, fingerprints: list[RTCDtlsFingerprint]) -> None:
        """Start the handshake without waiting (the PeerConnection's way)."""
        self._role = role
        self._dtls.start(role, fingerprints)

    async def start(self, remoteParameters: RTCDtlsParameters) -> None:
        """Handshake and return once connected (aiortc's ORTC behaviour).

        With role ``auto`` the controlling ICE side is the DTLS server, aiortc's convention.
        """
        if remoteParameters.role == "client":
            role = DtlsRole.SERVER
        elif remoteParameters.role == "server":
            role = DtlsRole.CLIENT
        else:
            role = DtlsRole.SERVER if self.__transport.role == "controlling" else DtlsRole.CLIENT
        self._start(role, remoteParameters.fingerprints)
        try:
            await self._dtls.wait_connected()
        except HandshakeError as exc:
            raise ConnectionError(f"DTLS handshake failed: {exc}") from exc

    async def stop(self) -> None:
        self._dtls.close()
        self._set_state("closed")

    def _on_event(self, event: DtlsEvent) -> None:
        if isinstance(event, DtlsStateChanged):
            self._set_state(str(event.new))

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.emit("statechange")
