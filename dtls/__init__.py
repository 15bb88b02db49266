"""DTLS 1.2 and DTLS-SRTP key export on pyOpenSSL.

* :class:`DtlsConnection` (``core``): the sans-IO connection; OpenSSL runs the handshake on
  memory BIOs, application data is protected by our AEAD record layer afterwards.
* :class:`DtlsTransport` (``transport``): its asyncio shell over any datagram transport, with
  RFC 7983 demultiplexing; it is itself a datagram transport for SCTP.
* :class:`RTCCertificate`, :class:`RTCDtlsFingerprint`: certificates and their fingerprints.
* :func:`role_from_setup`, :func:`answer_setup`: the DTLS role from SDP ``a=setup``.
* :class:`SrtpKeys`, :class:`SrtpProfile`: the DTLS-SRTP result for the SRTP layer.
"""

from .certificate import RTCCertificate
from .core import DtlsConnection
from .errors import (
    CertificateError,
    ConnectionClosedError,
    DtlsError,
    FingerprintError,
    HandshakeError,
    InvalidDtlsStateError,
    MessageTooLargeError,
    SetupRoleError,
)
from .events import CloseNotifyReceived, DtlsEvent, DtlsFailed, DtlsStateChanged
from .fingerprint import RTCDtlsFingerprint, certificate_fingerprint
from .role import DtlsRole, Setup, answer_setup, role_from_setup
from .settings import DtlsSettings
from .srtp_keys import SrtpKeys, SrtpProfile
from .state import FailureReason, RTCDtlsTransportState
from .stats import DtlsStats
from .transport import DatagramTransport, DtlsTransport

__all__ = [
    "CertificateError",
    "CloseNotifyReceived",
    "ConnectionClosedError",
    "DatagramTransport",
    "DtlsConnection",
    "DtlsError",
    "DtlsEvent",
    "DtlsFailed",
    "DtlsRole",
    "DtlsSettings",
    "DtlsStateChanged",
    "DtlsStats",
    "DtlsTransport",
    "FailureReason",
    "FingerprintError",
    "HandshakeError",
    "InvalidDtlsStateError",
    "MessageTooLargeError",
    "RTCCertificate",
    "RTCDtlsFingerprint",
    "RTCDtlsTransportState",
    "Setup",
    "SetupRoleError",
    "SrtpKeys",
    "SrtpProfile",
    "answer_setup",
    "certificate_fingerprint",
    "role_from_setup",
]
