"""The ICE candidate line (RFC 8839 §5.1), the one type that `sdp` and `ice` share.

    candidate-attribute = "candidate" ":" foundation SP component-id SP transport SP priority SP
                          connection-address SP port SP "typ" SP cand-type
                          [SP "raddr" SP rel-addr] [SP "rport" SP rel-port]
                          *(SP extension-att-name SP extension-att-value)

Browsers add extensions of their own (``tcptype`` from RFC 6544, ``generation``, ``ufrag``,
``network-id``, ``network-cost``); those get typed fields and unknown ones are kept in order, so
``Candidate.from_sdp(c).to_sdp() == c`` for every line Chrome writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import SDPParseError

_FOUNDATION = re.compile(r"[A-Za-z0-9+/]{1,32}\Z")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+\Z")
_MAX_U32 = 0xFFFFFFFF

# Extensions with a typed field, in the order Chrome writes them.
_KNOWN_EXTENSIONS = ("tcptype", "generation", "ufrag", "network-id", "network-cost")


def _int(text: str, what: str, maximum: int) -> int:
    if not text.isdigit() or not text.isascii() or len(text) > len(str(maximum)):
        raise SDPParseError(f"candidate {what} is not a number in range: {text!r}")
    value = int(text)
    if value > maximum:
        raise SDPParseError(f"candidate {what} out of range: {value}")
    return value


@dataclass(frozen=True, slots=True)
class Candidate:
    """One ICE candidate as it appears in SDP and in trickle signalling."""

    foundation: str
    """Up to 32 ice-chars; shared by candidates of one type, base and server (RFC 8445 §5.1.1.3)."""
    component: int
    """1 for RTP (and everything, with rtcp-mux), 2 for RTCP."""
    transport: str
    """As written by the peer ("udp", "UDP", "tcp"); compare through :attr:`protocol`."""
    priority: int
    address: str
    """An IP address, or an mDNS name such as ``1f4e….local``."""
    port: int
    type: str
    """host, srflx, prflx or relay."""
    related_address: str | None = None
    related_port: int | None = None
    tcptype: str | None = None
    """active, passive or so (RFC 6544), only for TCP candidates."""
    generation: int | None = None
    ufrag: str | None = None
    network_id: int | None = None
    network_cost: int | None = None
    extensions: tuple[tuple[str, str], ...] = ()
    """Extension attributes without a field above, in the order they came."""

    @property
    def protocol(self) -> str:
        """The transport in lower case: ``udp`` or ``tcp``."""
        return self.transport.lower()

    @classmethod
    def from_sdp(cls, text: str) -> Candidate:
        """Parse ``candidate:…``, with or without its ``a=`` or ``candidate:`` prefix.

        Raises :class:`SDPParseError` for anything that does not follow the grammar.
        """
        if len(text) > 2048:
            raise SDPParseError("candidate line too long")
        if text.startswith("a="):
            text = text[2:]
        if text.startswith("candidate:"):
            text = text[10:]
        parts = text.split()
        if len(parts) < 8:
            raise SDPParseError(f"candidate has {len(parts)} fields, needs at least 8: {text!r}")
        foundation, component, transport, priority, address, port, typ, cand_type = parts[:8]
        if not _FOUNDATION.match(foundation):
            raise SDPParseError(f"bad candidate foundation {foundation!r}")
        if typ != "typ":
            raise SDPParseError(f"expected 'typ' in candidate, got {typ!r}")
        for value, what in ((transport, "transport"), (cand_type, "type"), (address, "address")):
            if not _TOKEN.match(value) and not (what == "address" and ":" in value):
                raise SDPParseError(f"bad candidate {what} {value!r}")
        rest = parts[8:]
        if len(rest) % 2:
            raise SDPParseError(f"candidate extension without a value: {rest[-1]!r}")
        fields: dict[str, object] = {}
        extensions: list[tuple[str, str]] = []
        for i in range(0, len(rest), 2):
            name, value = rest[i], rest[i + 1]
            if name in fields:
                raise SDPParseError(f"candidate attribute {name!r} repeated")
            if name == "raddr":
                fields[name] = value
            elif name == "rport":
                fields[name] = _int(value, "rport", 65535)
            elif name == "tcptype":
                fields[name] = value
            elif name in ("generation", "network-id", "network-cost"):
                fields[name] = _int(value, name, _MAX_U32)
            elif name == "ufrag":
                fields[name] = value
            else:
                extensions.append((name, value))
        return cls(
            foundation=foundation,
            component=_int(component, "component", 65535),
            transport=transport,
            priority=_int(priority, "priority", _MAX_U32),
            address=address,
            port=_int(port, "port", 65535),
            type=cand_type,
            related_address=fields.get("raddr"),  # type: ignore[arg-type]
            related_port=fields.get("rport"),  # type: ignore[arg-type]
            tcptype=fields.get("tcptype"),  # type: ignore[arg-type]
            generation=fields.get("generation"),  # type: ignore[arg-type]
            ufrag=fields.get("ufrag"),  # type: ignore[arg-type]
            network_id=fields.get("network-id"),  # type: ignore[arg-type]
            network_cost=fields.get("network-cost"),  # type: ignore[arg-type]
            extensions=tuple(extensions),
        )

    def to_sdp(self) -> str:
        """The attribute value with its name: ``candidate:…`` (no ``a=``), as browsers signal it."""
        out = [
            f"candidate:{self.foundation} {self.component} {self.transport} {self.priority}"
            f" {self.address} {self.port} typ {self.type}"
        ]
        if self.related_address is not None:
            out.append(f"raddr {self.related_address}")
        if self.related_port is not None:
            out.append(f"rport {self.related_port}")
        known = (self.tcptype, self.generation, self.ufrag, self.network_id, self.network_cost)
        for name, value in zip(_KNOWN_EXTENSIONS, known, strict=True):
            if value is not None:
                out.append(f"{name} {value}")
        out.extend(f"{name} {value}" for name, value in self.extensions)
        return " ".join(out)
