"""Certificates for the DTLS tests, generated once per session (RSA keys take a while)."""

from __future__ import annotations

import pytest

from dtls import RTCCertificate


@pytest.fixture(scope="session")
def ecdsa_pair() -> tuple[RTCCertificate, RTCCertificate]:
    return RTCCertificate.generateCertificate(), RTCCertificate.generateCertificate()


@pytest.fixture(scope="session")
def rsa_certificate() -> RTCCertificate:
    return RTCCertificate.generateCertificate("RSASSA-PKCS1-v1_5")
