"""STUN and TURN server URIs (RFC 7064, RFC 7065).

    stunURI = scheme ":" host [ ":" port ]            scheme = "stun" / "stuns"
    turnURI = scheme ":" host [ ":" port ] [ "?transport=" transport ]
                                                      scheme = "turn" / "turns"

``host`` is an IPv4 address, a bracketed IPv6 address or a DNS name; names are resolved by the
asyncio layer (:mod:`ice.gather`), never here. Parsing is strict because these come from local
configuration: a typo should fail at construction, not silently gather nothing.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from .errors import IceConfigError

_DEFAULT_PORTS = {"stun": 3478, "turn": 3478, "stuns": 5349, "turns": 5349}
_REG_NAME = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=%]+\Z")


@dataclass(frozen=True, slots=True)
class ServerUri:
    """One parsed ``stun:``/``stuns:``/``turn:``/``turns:`` URI."""

    scheme: str
    host: str
    """An IP literal (without brackets) or a DNS name."""
    port: int
    transport: str | None = None
    """``udp`` or ``tcp`` for TURN when the URI says so."""

    @property
    def is_turn(self) -> bool:
        return self.scheme in ("turn", "turns")

    @property
    def secure(self) -> bool:
        return self.scheme.endswith("s")

    @property
    def host_is_ip(self) -> bool:
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            return False
        return True

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        query = f"?transport={self.transport}" if self.transport else ""
        return f"{self.scheme}:{host}:{self.port}{query}"

    @classmethod
    def parse(cls, text: str) -> ServerUri:
        scheme, colon, rest = text.partition(":")
        scheme = scheme.lower()
        if not colon or scheme not in _DEFAULT_PORTS:
            raise IceConfigError(f"not a stun:, stuns:, turn: or turns: URI: {text!r}")
        if rest.startswith("//"):
            raise IceConfigError(f"RFC 7064 URIs have no '//' authority part: {text!r}")
        rest, _, query = rest.partition("?")
        transport = None
        if query:
            if scheme not in ("turn", "turns"):
                raise IceConfigError(f"a {scheme}: URI takes no query: {text!r}")
            key, _, value = query.partition("=")
            if key != "transport" or value.lower() not in ("udp", "tcp"):
                raise IceConfigError(f"unsupported TURN URI query {query!r}")
            transport = value.lower()
        if rest.startswith("["):
            end = rest.find("]")
            if end < 0:
                raise IceConfigError(f"unclosed IPv6 literal in {text!r}")
            host, tail = rest[1:end], rest[end + 1 :]
            try:
                host = ipaddress.IPv6Address(host).compressed
            except ValueError as exc:
                raise IceConfigError(f"bad IPv6 literal in {text!r}") from exc
        else:
            host, _, port_text = rest.partition(":")
            tail = f":{port_text}" if _ else ""
            if not host or not _REG_NAME.match(host):
                raise IceConfigError(f"bad host in {text!r}")
        port = _DEFAULT_PORTS[scheme]
        if tail:
            if not tail.startswith(":") or not tail[1:].isdigit() or not tail[1:].isascii():
                raise IceConfigError(f"bad port in {text!r}")
            port = int(tail[1:])
            if not 0 < port < 65536:
                raise IceConfigError(f"port out of range in {text!r}")
        return cls(scheme=scheme, host=host, port=port, transport=transport)
