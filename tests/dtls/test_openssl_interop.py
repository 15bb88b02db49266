"""A real peer: OpenSSL's command line on loopback UDP, in both roles, with DTLS-SRTP."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from dtls import DtlsRole, DtlsTransport, RTCCertificate, SrtpKeys, SrtpProfile
from tests.dtls.openssl_cli import SRTP_PROFILES, OpenSslPeer, free_udp_port, write_pem
from tests.dtls.udp import UdpEndpoint

EXPORT = ("-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", "56")


def keying_material(keys: SrtpKeys, role: DtlsRole) -> str:
    """Our keys put back in RFC 5764 order, as OpenSSL prints the exported material."""
    if role is DtlsRole.CLIENT:
        parts = (keys.local_key, keys.remote_key, keys.local_salt, keys.remote_salt)
    else:
        parts = (keys.remote_key, keys.local_key, keys.remote_salt, keys.local_salt)
    return b"".join(parts).hex().upper()


async def check_session(peer: OpenSslPeer, ours: DtlsTransport, theirs: RTCCertificate) -> None:
    role = ours.role
    assert role is not None
    profile = await peer.wait_for(r"SRTP Extension negotiated, profile=(\S+)")
    assert ours.srtp_keys is not None
    assert ours.srtp_keys.profile is SrtpProfile.AEAD_AES_128_GCM
    assert profile.group(1) == "SRTP_AEAD_AES_128_GCM"
    material = await peer.wait_for(r"Keying material: ([0-9A-F]+)")
    assert material.group(1) == keying_material(ours.srtp_keys, role)
    cipher = await peer.wait_for(r"(?:CIPHER is|Cipher is) (\S+)")
    assert cipher.group(1) == ours.cipher_suite
    remote = ours.remote_certificate
    assert remote is not None and remote.public_bytes(serialization.Encoding.DER) == theirs.der


async def test_our_client_against_openssl_s_server(tmp_path: Path) -> None:
    theirs, mine = RTCCertificate.generateCertificate(), RTCCertificate.generateCertificate()
    cert, key = write_pem(theirs, tmp_path)
    port = free_udp_port()
    peer = await OpenSslPeer.start(
        "s_server", "-dtls1_2", "-accept", f"127.0.0.1:{port}", "-cert", str(cert),
        "-key", str(key), "-use_srtp", SRTP_PROFILES, "-verify", "1", "-naccept", "1", *EXPORT,
    )  # fmt: skip
    udp = await UdpEndpoint.open(remote=("127.0.0.1", port))
    try:
        await peer.wait_for("ACCEPT")
        ours = DtlsTransport(udp, mine)
        received: asyncio.Queue[bytes] = asyncio.Queue()
        ours.set_receiver(received.put_nowait)
        ours.start(DtlsRole.CLIENT, theirs.getFingerprints())
        await asyncio.wait_for(ours.wait_connected(), 10)
        await check_session(peer, ours, theirs)
        ours.send(b"hello from python\n")
        await peer.wait_for("^hello from python$")
        peer.write(b"hello from openssl\n")
        assert await asyncio.wait_for(received.get(), 10) == b"hello from openssl\n"
        ours.close()
        await peer.wait_for("DONE|CONNECTION CLOSED|shutting down")
    finally:
        udp.close()
        await peer.stop()


async def test_our_server_against_openssl_s_client(tmp_path: Path) -> None:
    theirs, mine = RTCCertificate.generateCertificate(), RTCCertificate.generateCertificate()
    cert, key = write_pem(theirs, tmp_path)
    udp = await UdpEndpoint.open()
    ours = DtlsTransport(udp, mine)
    received: asyncio.Queue[bytes] = asyncio.Queue()
    ours.set_receiver(received.put_nowait)
    ours.start(DtlsRole.SERVER, theirs.getFingerprints())
    host, port = udp.local_address
    peer = await OpenSslPeer.start(
        "s_client", "-dtls1_2", "-connect", f"{host}:{port}", "-cert", str(cert),
        "-key", str(key), "-use_srtp", SRTP_PROFILES, "-nocommands", *EXPORT,
    )  # fmt: skip
    try:
        await asyncio.wait_for(ours.wait_connected(), 10)
        await check_session(peer, ours, theirs)
        peer.write(b"hello from openssl\n")
        assert await asyncio.wait_for(received.get(), 10) == b"hello from openssl\n"
        ours.send(b"hello from python\n")
        await peer.wait_for("^hello from python$")
        ours.close()
        await peer.wait_for("DONE|closed|shutting down")
    finally:
        udp.close()
        await peer.stop()
