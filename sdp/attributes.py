"""Typed ``a=`` attributes of WebRTC SDP, each able to parse and re-write its value.

A media or session description keeps its attributes as an ordered list. Each item is one of the
frozen dataclasses below, or a generic :class:`Attribute` (name and raw value) for attributes we
do not model, and for modelled ones whose text is not in the canonical form the class writes
(``a=msid-semantic: WMS`` as Chrome writes it, say): the parser validates those too, keeps their
text, and the accessors of :mod:`sdp.model` read them as typed values. That way ``write(parse(s))``
gives back every line of ``s`` while the model stays typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from .candidate import Candidate
from .errors import SDPParseError

_TOKEN = r"[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+"
_TOKEN_RE = re.compile(_TOKEN + r"\Z")
_INT_RE = re.compile(r"[0-9]{1,10}\Z")


def _uint(text: str, what: str, maximum: int = 0xFFFFFFFF) -> int:
    if not _INT_RE.match(text):
        raise SDPParseError(f"{what} is not a number: {text!r}")
    value = int(text)
    if value > maximum:
        raise SDPParseError(f"{what} out of range: {value}")
    return value


def _token(text: str, what: str) -> str:
    if not _TOKEN_RE.match(text):
        raise SDPParseError(f"bad {what}: {text!r}")
    return text


def _split(value: str, n: int, what: str) -> list[str]:
    parts = value.split(" ", n - 1) if n else value.split(" ")
    if n and len(parts) != n:
        raise SDPParseError(f"{what} needs {n} fields: {value!r}")
    return parts


@dataclass(frozen=True, slots=True)
class Attribute:
    """Any attribute as name and raw value (``None`` for a flag such as ``a=rtcp-mux``)."""

    name: str
    value: str | None = None


@dataclass(frozen=True, slots=True)
class Group:
    """``a=group:BUNDLE 0 1`` (RFC 9143, RFC 5888)."""

    NAME: ClassVar[str] = "group"
    semantics: str
    mids: tuple[str, ...] = ()

    @classmethod
    def parse(cls, value: str) -> Group:
        semantics, *mids = value.split(" ")
        return cls(_token(semantics, "group semantics"), tuple(_token(m, "mid") for m in mids))

    def format(self) -> str:
        return " ".join((self.semantics, *self.mids))


@dataclass(frozen=True, slots=True)
class MsidSemantic:
    """``a=msid-semantic:WMS *`` (the session-level stream identifiers of WebRTC 1.0)."""

    NAME: ClassVar[str] = "msid-semantic"
    semantic: str
    identifiers: tuple[str, ...] = ()

    @classmethod
    def parse(cls, value: str) -> MsidSemantic:
        parts = value.split()
        if not parts:
            raise SDPParseError("empty msid-semantic")
        return cls(_token(parts[0], "msid semantic"), tuple(parts[1:]))

    def format(self) -> str:
        return " ".join((self.semantic, *self.identifiers))


@dataclass(frozen=True, slots=True)
class IceOptions:
    """``a=ice-options:trickle`` (RFC 8839 §5.6)."""

    NAME: ClassVar[str] = "ice-options"
    options: tuple[str, ...]

    @classmethod
    def parse(cls, value: str) -> IceOptions:
        return cls(tuple(_token(o, "ice option") for o in value.split(" ")))

    def format(self) -> str:
        return " ".join(self.options)


@dataclass(frozen=True, slots=True)
class IceUfrag:
    """``a=ice-ufrag`` (RFC 8839 §5.4): 4 to 256 ice-chars."""

    NAME: ClassVar[str] = "ice-ufrag"
    value: str

    @classmethod
    def parse(cls, value: str) -> IceUfrag:
        if not re.match(r"[A-Za-z0-9+/]{1,256}\Z", value):
            raise SDPParseError(f"bad ice-ufrag {value!r}")
        return cls(value)

    def format(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class IcePwd:
    """``a=ice-pwd`` (RFC 8839 §5.4): 22 to 256 ice-chars."""

    NAME: ClassVar[str] = "ice-pwd"
    value: str

    @classmethod
    def parse(cls, value: str) -> IcePwd:
        if not re.match(r"[A-Za-z0-9+/]{1,256}\Z", value):
            raise SDPParseError(f"bad ice-pwd {value!r}")
        return cls(value)

    def format(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """``a=fingerprint:sha-256 AB:CD:…`` (RFC 8122 §5)."""

    NAME: ClassVar[str] = "fingerprint"
    algorithm: str
    value: str

    @classmethod
    def parse(cls, value: str) -> Fingerprint:
        algorithm, fp = _split(value, 2, "fingerprint")
        if not re.match(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})*\Z", fp):
            raise SDPParseError(f"bad fingerprint value {fp!r}")
        return cls(_token(algorithm, "fingerprint algorithm").lower(), fp)

    def format(self) -> str:
        return f"{self.algorithm} {self.value}"


SETUP_ROLES = frozenset({"active", "passive", "actpass", "holdconn"})


@dataclass(frozen=True, slots=True)
class Setup:
    """``a=setup:actpass`` (RFC 4145 §4): who opens the DTLS connection."""

    NAME: ClassVar[str] = "setup"
    role: str

    @classmethod
    def parse(cls, value: str) -> Setup:
        if value not in SETUP_ROLES:
            raise SDPParseError(f"bad setup role {value!r}")
        return cls(value)

    def format(self) -> str:
        return self.role


@dataclass(frozen=True, slots=True)
class Mid:
    """``a=mid:0`` (RFC 5888 §4)."""

    NAME: ClassVar[str] = "mid"
    value: str

    @classmethod
    def parse(cls, value: str) -> Mid:
        return cls(_token(value, "mid"))

    def format(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Msid:
    """``a=msid:<stream id> [<track id>]`` (RFC 8830)."""

    NAME: ClassVar[str] = "msid"
    stream_id: str
    track_id: str | None = None

    @classmethod
    def parse(cls, value: str) -> Msid:
        parts = value.split(" ")
        if len(parts) > 2 or not parts[0]:
            raise SDPParseError(f"bad msid {value!r}")
        return cls(parts[0], parts[1] if len(parts) == 2 else None)

    def format(self) -> str:
        return self.stream_id if self.track_id is None else f"{self.stream_id} {self.track_id}"


@dataclass(frozen=True, slots=True)
class Rtcp:
    """``a=rtcp:9 IN IP4 0.0.0.0`` (RFC 3605)."""

    NAME: ClassVar[str] = "rtcp"
    port: int
    nettype: str | None = None
    addrtype: str | None = None
    address: str | None = None

    @classmethod
    def parse(cls, value: str) -> Rtcp:
        parts = value.split(" ")
        if len(parts) not in (1, 4):
            raise SDPParseError(f"bad rtcp attribute {value!r}")
        port = _uint(parts[0], "rtcp port", 65535)
        if len(parts) == 1:
            return cls(port)
        return cls(port, parts[1], parts[2], parts[3])

    def format(self) -> str:
        if self.nettype is None:
            return str(self.port)
        return f"{self.port} {self.nettype} {self.addrtype} {self.address}"


@dataclass(frozen=True, slots=True)
class Rtpmap:
    """``a=rtpmap:111 opus/48000/2`` (RFC 8866 §6.6)."""

    NAME: ClassVar[str] = "rtpmap"
    payload_type: int
    encoding: str
    clock_rate: int
    channels: int | None = None

    @classmethod
    def parse(cls, value: str) -> Rtpmap:
        pt, codec = _split(value, 2, "rtpmap")
        parts = codec.split("/")
        if len(parts) not in (2, 3) or not parts[0]:
            raise SDPParseError(f"bad rtpmap encoding {codec!r}")
        channels = _uint(parts[2], "rtpmap channels", 255) if len(parts) == 3 else None
        return cls(
            _uint(pt, "payload type", 127), parts[0], _uint(parts[1], "clock rate"), channels
        )

    def format(self) -> str:
        rate = f"{self.payload_type} {self.encoding}/{self.clock_rate}"
        return rate if self.channels is None else f"{rate}/{self.channels}"


@dataclass(frozen=True, slots=True)
class Fmtp:
    """``a=fmtp:111 minptime=10;useinbandfec=1``; the parameter text is kept as written."""

    NAME: ClassVar[str] = "fmtp"
    payload_type: int
    parameters: str

    @classmethod
    def parse(cls, value: str) -> Fmtp:
        pt, params = _split(value, 2, "fmtp")
        return cls(_uint(pt, "payload type", 127), params)

    @property
    def params(self) -> dict[str, str | None]:
        """The ``key=value`` pairs split on ``;`` (a bare value, as in ``111/111``, has key '')."""
        out: dict[str, str | None] = {}
        for item in self.parameters.split(";"):
            item = item.strip()
            if not item:
                continue
            key, sep, val = item.partition("=")
            if sep:
                out[key.strip()] = val.strip()
            else:
                out[""] = key
        return out

    def format(self) -> str:
        return f"{self.payload_type} {self.parameters}"


@dataclass(frozen=True, slots=True)
class RtcpFb:
    """``a=rtcp-fb:96 nack pli`` (RFC 4585 §4.2); payload type ``*`` means all."""

    NAME: ClassVar[str] = "rtcp-fb"
    payload_type: str
    type: str
    parameter: str | None = None

    @classmethod
    def parse(cls, value: str) -> RtcpFb:
        parts = value.split(" ", 2)
        if len(parts) < 2:
            raise SDPParseError(f"bad rtcp-fb {value!r}")
        if parts[0] != "*":
            _uint(parts[0], "payload type", 127)
        return cls(parts[0], _token(parts[1], "rtcp-fb type"), parts[2] if len(parts) > 2 else None)

    def format(self) -> str:
        base = f"{self.payload_type} {self.type}"
        return base if self.parameter is None else f"{base} {self.parameter}"


EXTMAP_DIRECTIONS = frozenset({"sendrecv", "sendonly", "recvonly", "inactive"})


@dataclass(frozen=True, slots=True)
class Extmap:
    """``a=extmap:<id>[/<direction>] <uri> [<attributes>]`` (RFC 8285 §8)."""

    NAME: ClassVar[str] = "extmap"
    id: int
    uri: str
    direction: str | None = None
    attributes: str | None = None

    @classmethod
    def parse(cls, value: str) -> Extmap:
        parts = value.split(" ", 2)
        if len(parts) < 2:
            raise SDPParseError(f"bad extmap {value!r}")
        ident, _, direction = parts[0].partition("/")
        if direction and direction not in EXTMAP_DIRECTIONS:
            raise SDPParseError(f"bad extmap direction {direction!r}")
        return cls(
            _uint(ident, "extmap id", 4095),
            parts[1],
            direction or None,
            parts[2] if len(parts) > 2 else None,
        )

    def format(self) -> str:
        ident = str(self.id) if self.direction is None else f"{self.id}/{self.direction}"
        base = f"{ident} {self.uri}"
        return base if self.attributes is None else f"{base} {self.attributes}"


@dataclass(frozen=True, slots=True)
class Ssrc:
    """``a=ssrc:<ssrc> <attribute>[:<value>]`` (RFC 5576 §4.1)."""

    NAME: ClassVar[str] = "ssrc"
    ssrc: int
    attribute: str
    value: str | None = None

    @classmethod
    def parse(cls, value: str) -> Ssrc:
        ssrc, attr = _split(value, 2, "ssrc")
        name, sep, val = attr.partition(":")
        return cls(_uint(ssrc, "ssrc"), _token(name, "ssrc attribute"), val if sep else None)

    def format(self) -> str:
        base = f"{self.ssrc} {self.attribute}"
        return base if self.value is None else f"{base}:{self.value}"


@dataclass(frozen=True, slots=True)
class SsrcGroup:
    """``a=ssrc-group:FID 1 2`` (RFC 5576 §4.2): FID for RTX, SIM for legacy simulcast."""

    NAME: ClassVar[str] = "ssrc-group"
    semantics: str
    ssrcs: tuple[int, ...]

    @classmethod
    def parse(cls, value: str) -> SsrcGroup:
        semantics, *ssrcs = value.split(" ")
        return cls(
            _token(semantics, "ssrc-group semantics"), tuple(_uint(s, "ssrc") for s in ssrcs)
        )

    def format(self) -> str:
        return " ".join((self.semantics, *map(str, self.ssrcs)))


@dataclass(frozen=True, slots=True)
class Rid:
    """``a=rid:<id> send|recv [restrictions]`` (RFC 8851 §10)."""

    NAME: ClassVar[str] = "rid"
    id: str
    direction: str
    restrictions: str | None = None

    @classmethod
    def parse(cls, value: str) -> Rid:
        parts = value.split(" ", 2)
        if len(parts) < 2 or parts[1] not in ("send", "recv"):
            raise SDPParseError(f"bad rid {value!r}")
        if not re.match(r"[A-Za-z0-9_-]{1,255}\Z", parts[0]):
            raise SDPParseError(f"bad rid id {parts[0]!r}")
        return cls(parts[0], parts[1], parts[2] if len(parts) > 2 else None)

    @property
    def payload_types(self) -> tuple[int, ...]:
        for item in (self.restrictions or "").split(";"):
            if item.startswith("pt="):
                return tuple(int(p) for p in item[3:].split(",") if p.isdigit())
        return ()

    def format(self) -> str:
        base = f"{self.id} {self.direction}"
        return base if self.restrictions is None else f"{base} {self.restrictions}"


@dataclass(frozen=True, slots=True)
class Simulcast:
    """``a=simulcast:send q;h;f recv r`` (RFC 8853 §5.1).

    Each direction is a list of streams, each stream a list of alternative rids; a rid written
    ``~q`` is paused and keeps its ``~`` here.
    """

    NAME: ClassVar[str] = "simulcast"
    send: tuple[tuple[str, ...], ...] = ()
    recv: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def parse(cls, value: str) -> Simulcast:
        parts = value.split()
        if len(parts) not in (2, 4):
            raise SDPParseError(f"bad simulcast {value!r}")
        found: dict[str, tuple[tuple[str, ...], ...]] = {}
        for direction, streams in zip(parts[::2], parts[1::2], strict=True):
            if direction not in ("send", "recv") or direction in found:
                raise SDPParseError(f"bad simulcast direction {direction!r}")
            alternatives = tuple(tuple(s.split(",")) for s in streams.split(";"))
            for alt in alternatives:
                for rid in alt:
                    if not re.match(r"~?[A-Za-z0-9_-]{1,255}\Z", rid):
                        raise SDPParseError(f"bad simulcast rid {rid!r}")
            found[direction] = alternatives
        return cls(found.get("send", ()), found.get("recv", ()))

    def format(self) -> str:
        out = []
        for direction, streams in (("send", self.send), ("recv", self.recv)):
            if streams:
                out.append(f"{direction} " + ";".join(",".join(alt) for alt in streams))
        return " ".join(out)


@dataclass(frozen=True, slots=True)
class SctpPort:
    """``a=sctp-port:5000`` (RFC 8841 §5)."""

    NAME: ClassVar[str] = "sctp-port"
    port: int

    @classmethod
    def parse(cls, value: str) -> SctpPort:
        return cls(_uint(value, "sctp-port", 65535))

    def format(self) -> str:
        return str(self.port)


@dataclass(frozen=True, slots=True)
class MaxMessageSize:
    """``a=max-message-size:262144`` (RFC 8841 §6); 0 means no limit."""

    NAME: ClassVar[str] = "max-message-size"
    size: int

    @classmethod
    def parse(cls, value: str) -> MaxMessageSize:
        return cls(_uint(value, "max-message-size", 2**53))

    def format(self) -> str:
        return str(self.size)


TypedAttribute = (
    Group
    | MsidSemantic
    | IceOptions
    | IceUfrag
    | IcePwd
    | Fingerprint
    | Setup
    | Mid
    | Msid
    | Rtcp
    | Rtpmap
    | Fmtp
    | RtcpFb
    | Extmap
    | Ssrc
    | SsrcGroup
    | Rid
    | Simulcast
    | SctpPort
    | MaxMessageSize
    | Candidate
)
AnyAttribute = TypedAttribute | Attribute

_CLASSES: tuple[type, ...] = (
    Group,
    MsidSemantic,
    IceOptions,
    IceUfrag,
    IcePwd,
    Fingerprint,
    Setup,
    Mid,
    Msid,
    Rtcp,
    Rtpmap,
    Fmtp,
    RtcpFb,
    Extmap,
    Ssrc,
    SsrcGroup,
    Rid,
    Simulcast,
    SctpPort,
    MaxMessageSize,
)

PARSERS: dict[str, Callable[[str], TypedAttribute]] = {c.NAME: c.parse for c in _CLASSES}  # type: ignore[attr-defined]
PARSERS["candidate"] = Candidate.from_sdp

FLAG_ATTRIBUTES = frozenset(
    {
        "sendrecv",
        "sendonly",
        "recvonly",
        "inactive",
        "rtcp-mux",
        "rtcp-mux-only",
        "rtcp-rsize",
        "ice-lite",
        "end-of-candidates",
        "extmap-allow-mixed",
        "bundle-only",
    }
)
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


def attribute_name(attr: AnyAttribute) -> str:
    if isinstance(attr, Attribute):
        return attr.name
    if isinstance(attr, Candidate):
        return "candidate"
    return attr.NAME


def attribute_value(attr: AnyAttribute) -> str | None:
    """The text after ``a=<name>:``, or ``None`` for a flag."""
    if isinstance(attr, Attribute):
        return attr.value
    if isinstance(attr, Candidate):
        return attr.to_sdp()[len("candidate:") :]
    return attr.format()


def parse_attribute(name: str, value: str | None) -> AnyAttribute:
    """A typed attribute when the text is canonical, else a validated generic one.

    Raises :class:`SDPParseError` when a modelled attribute's value does not follow its grammar.
    """
    parser = PARSERS.get(name)
    if parser is None:
        if name in FLAG_ATTRIBUTES and value is not None:
            raise SDPParseError(f"a={name} takes no value")
        return Attribute(name, value)
    if value is None:
        raise SDPParseError(f"a={name} needs a value")
    typed = parser(value)
    if attribute_value(typed) == value:
        return typed
    return Attribute(name, value)


T = TypeVar("T")


def typed(attr: AnyAttribute, cls: type[T]) -> T | None:
    """``attr`` as an instance of ``cls`` (parsing a generic attribute of that name), or None."""
    if isinstance(attr, cls):
        return attr
    if isinstance(attr, Attribute) and attr.value is not None:
        name = "candidate" if cls is Candidate else getattr(cls, "NAME", None)
        if attr.name == name:
            return PARSERS[attr.name](attr.value)  # type: ignore[return-value]
    return None
