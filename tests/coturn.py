"""A real STUN/TURN server for tests: coturn, started with a configuration written at run time.

    def test_something(coturn: CoturnServer) -> None:      # the fixture, via tests/conftest.py
        coturn.address          # ("127.0.0.1", port): STUN binding requests and TURN
        coturn.stun_uri         # "stun:127.0.0.1:port"
        coturn.turn_uri         # "turn:127.0.0.1:port?transport=udp"
        coturn.username, coturn.password, coturn.realm   # the static long-term credential

The server listens on 127.0.0.1 only, on a free port, without TLS, DTLS or its CLI, puts
FINGERPRINT in its answers, and relays between loopback addresses (``allow-loopback-peers``) so
TURN tests can run on one machine. ``run_coturn`` is the context manager behind the fixture, for
a test that needs its own server. A missing ``turnserver`` binary fails loudly, never skips.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ice.stun import Method, StunClass, encode_message, parse_message

TURNSERVER = "/usr/bin/turnserver"


@dataclass(frozen=True)
class CoturnServer:
    host: str
    port: int
    realm: str
    username: str
    password: str
    relay_ports: tuple[int, int]
    log_path: Path

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    @property
    def stun_uri(self) -> str:
        return f"stun:{self.host}:{self.port}"

    @property
    def turn_uri(self) -> str:
        return f"turn:{self.host}:{self.port}?transport=udp"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def free_port(host: str = "127.0.0.1") -> int:
    """A port free for both UDP and TCP on ``host`` (coturn listens on both)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((host, 0))
            port: int = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((host, port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port for coturn")


def answers_binding(address: tuple[str, int], timeout: float = 0.2) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        tid = os.urandom(12)
        sock.sendto(encode_message(Method.BINDING, StunClass.REQUEST, tid, {}), address)
        try:
            data, _ = sock.recvfrom(2048)
        except OSError:
            return False
    message = parse_message(data)
    return message.transaction_id == tid and message.cls == StunClass.SUCCESS


@contextlib.contextmanager
def run_coturn(
    workdir: Path,
    *,
    realm: str = "webrtc-stack.test",
    username: str = "alice",
    password: str = "correct-horse-battery",
    startup_timeout: float = 15.0,
) -> Iterator[CoturnServer]:
    binary = shutil.which("turnserver") or TURNSERVER
    if not os.access(binary, os.X_OK):
        raise RuntimeError(
            f"coturn is not installed ({binary} missing): install the Debian package 'coturn'"
        )
    low = random.randrange(49152, 65000)
    server = CoturnServer(
        host="127.0.0.1",
        port=free_port(),
        realm=realm,
        username=username,
        password=password,
        relay_ports=(low, low + 200),
        log_path=workdir / "turnserver.log",
    )
    config = workdir / "turnserver.conf"
    config.write_text(
        "\n".join(
            [
                f"listening-ip={server.host}",
                f"listening-port={server.port}",
                f"relay-ip={server.host}",
                f"min-port={server.relay_ports[0]}",
                f"max-port={server.relay_ports[1]}",
                "no-tls",
                "no-dtls",
                "no-cli",
                "no-rfc5780",
                "fingerprint",
                "lt-cred-mech",
                f"user={username}:{password}",
                f"realm={realm}",
                "allow-loopback-peers",
                f"userdb={workdir / 'turndb'}",
                f"pidfile={workdir / 'turnserver.pid'}",
                "log-file=stdout",
                "simple-log",
                "",
            ]
        )
    )
    with open(server.log_path, "wb") as log:
        process = subprocess.Popen(
            [binary, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT, cwd=workdir
        )
    try:
        deadline = time.monotonic() + startup_timeout
        while not answers_binding(server.address):
            if process.poll() is not None:
                raise RuntimeError(f"turnserver exited with {process.returncode}:\n{server.log()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"turnserver did not answer within {startup_timeout} s")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoturnServer]:
    """One coturn for the whole test session (started on first use)."""
    with run_coturn(tmp_path_factory.mktemp("coturn")) as server:
        yield server
