"""Runs OpenSSL's own ``s_server`` / ``s_client`` (Debian package openssl) as a real DTLS peer."""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
from pathlib import Path

from dtls import RTCCertificate

SRTP_PROFILES = "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"


def openssl_binary() -> str:
    path = shutil.which("openssl")
    assert path, "the openssl command is missing: install the Debian package 'openssl'"
    return path


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def write_pem(certificate: RTCCertificate, directory: Path) -> tuple[Path, Path]:
    cert_pem, key_pem = certificate.to_pem()
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert_pem)
    key_path.write_bytes(key_pem)
    return cert_path, key_path


class OpenSslPeer:
    """One ``openssl`` process; its output is collected line by line as it comes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._changed = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def start(cls, *args: str) -> OpenSslPeer:
        process = await asyncio.create_subprocess_exec(
            openssl_binary(),
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        return cls(process)

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            self.lines.append(line.decode(errors="replace").rstrip("\n"))
            self._changed.set()
        self._changed.set()

    async def wait_for(self, pattern: str, timeout: float = 10.0) -> re.Match[str]:
        """The first output line matching ``pattern``, waiting for it if need be."""
        regex = re.compile(pattern)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for line in self.lines:
                if found := regex.search(line):
                    return found
            remaining = deadline - loop.time()
            if remaining <= 0 or self._reader.done():
                raise AssertionError(
                    f"openssl never printed {pattern!r}:\n" + "\n".join(self.lines)
                )
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass

    def write(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)

    async def stop(self) -> int | None:
        """Wait briefly for the process to exit on its own, then terminate it."""
        try:
            await asyncio.wait_for(self.process.wait(), 3)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        await self._reader
        return self.process.returncode
