"""The SDP data model: session and media descriptions as dataclasses.

Lines other than ``a=`` are typed fields; attributes stay an ordered list (see
:mod:`sdp.attributes`) so that nothing a browser writes is lost or reordered, and the properties
below give typed access to the ones WebRTC uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from .attributes import (
    DIRECTIONS,
    AnyAttribute,
    Attribute,
    Extmap,
    Fingerprint,
    Fmtp,
    Group,
    IceOptions,
    IcePwd,
    IceUfrag,
    MaxMessageSize,
    Mid,
    Msid,
    MsidSemantic,
    Rid,
    Rtcp,
    RtcpFb,
    Rtpmap,
    SctpPort,
    Setup,
    Simulcast,
    Ssrc,
    SsrcGroup,
    attribute_name,
    typed,
)
from .candidate import Candidate

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Origin:
    """``o=- 4611731400430051336 2 IN IP4 127.0.0.1``."""

    username: str = "-"
    session_id: str = "0"
    session_version: int = 0
    nettype: str = "IN"
    addrtype: str = "IP4"
    address: str = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class Connection:
    """``c=IN IP4 0.0.0.0``."""

    nettype: str = "IN"
    addrtype: str = "IP4"
    address: str = "0.0.0.0"


@dataclass(frozen=True, slots=True)
class Bandwidth:
    """``b=AS:500`` (kbit/s for AS and CT, bit/s for TIAS)."""

    type: str
    value: int


@dataclass(frozen=True, slots=True)
class Timing:
    """``t=0 0`` with the ``r=`` lines that follow it, kept as text."""

    start: int = 0
    stop: int = 0
    repeats: tuple[str, ...] = ()


class _HasAttributes:
    """Typed reads over an ordered attribute list; shared by session and media descriptions."""

    attributes: list[AnyAttribute]

    def all(self, cls: type[T]) -> list[T]:
        """Every attribute of that type, in order (generic ones of its name parsed)."""
        out = []
        for attr in self.attributes:
            value = typed(attr, cls)
            if value is not None:
                out.append(value)
        return out

    def first(self, cls: type[T]) -> T | None:
        for attr in self.attributes:
            value = typed(attr, cls)
            if value is not None:
                return value
        return None

    def has(self, name: str) -> bool:
        """Whether an attribute of this name (such as the flag ``rtcp-mux``) is present."""
        return any(attribute_name(a) == name for a in self.attributes)

    def values(self, name: str) -> Iterator[str | None]:
        """Raw values of the generic attributes with this name."""
        for attr in self.attributes:
            if isinstance(attr, Attribute) and attr.name == name:
                yield attr.value

    @property
    def ice_ufrag(self) -> str | None:
        ufrag = self.first(IceUfrag)
        return ufrag.value if ufrag else None

    @property
    def ice_pwd(self) -> str | None:
        pwd = self.first(IcePwd)
        return pwd.value if pwd else None

    @property
    def ice_options(self) -> tuple[str, ...]:
        options = self.first(IceOptions)
        return options.options if options else ()

    @property
    def ice_lite(self) -> bool:
        return self.has("ice-lite")

    @property
    def fingerprints(self) -> list[Fingerprint]:
        return self.all(Fingerprint)

    @property
    def setup(self) -> str | None:
        setup = self.first(Setup)
        return setup.role if setup else None

    @property
    def direction(self) -> str | None:
        """sendrecv, sendonly, recvonly or inactive, if one is present."""
        for attr in self.attributes:
            name = attribute_name(attr)
            if name in DIRECTIONS:
                return name
        return None

    @property
    def extmaps(self) -> list[Extmap]:
        return self.all(Extmap)


@dataclass(eq=True)
class MediaDescription(_HasAttributes):
    """One ``m=`` section with its lines."""

    kind: str
    """audio, video or application."""
    port: int
    proto: str
    """``UDP/TLS/RTP/SAVPF`` for media, ``UDP/DTLS/SCTP`` for data channels."""
    formats: list[str] = field(default_factory=list)
    """Payload types (as text), or ``webrtc-datachannel``."""
    port_count: int | None = None
    information: str | None = None
    connections: list[Connection] = field(default_factory=list)
    bandwidths: list[Bandwidth] = field(default_factory=list)
    key: str | None = None
    attributes: list[AnyAttribute] = field(default_factory=list)

    @property
    def connection(self) -> Connection | None:
        return self.connections[0] if self.connections else None

    @property
    def mid(self) -> str | None:
        mid = self.first(Mid)
        return mid.value if mid else None

    @property
    def candidates(self) -> list[Candidate]:
        return self.all(Candidate)

    @property
    def end_of_candidates(self) -> bool:
        return self.has("end-of-candidates")

    @property
    def rtcp(self) -> Rtcp | None:
        return self.first(Rtcp)

    @property
    def rtcp_mux(self) -> bool:
        return self.has("rtcp-mux")

    @property
    def rtcp_mux_only(self) -> bool:
        return self.has("rtcp-mux-only")

    @property
    def rtcp_rsize(self) -> bool:
        return self.has("rtcp-rsize")

    @property
    def bundle_only(self) -> bool:
        return self.has("bundle-only")

    @property
    def rtpmaps(self) -> list[Rtpmap]:
        return self.all(Rtpmap)

    @property
    def fmtps(self) -> list[Fmtp]:
        return self.all(Fmtp)

    @property
    def rtcp_feedback(self) -> list[RtcpFb]:
        return self.all(RtcpFb)

    @property
    def msids(self) -> list[Msid]:
        return self.all(Msid)

    @property
    def ssrcs(self) -> list[Ssrc]:
        return self.all(Ssrc)

    @property
    def ssrc_groups(self) -> list[SsrcGroup]:
        return self.all(SsrcGroup)

    @property
    def rids(self) -> list[Rid]:
        return self.all(Rid)

    @property
    def simulcast(self) -> Simulcast | None:
        return self.first(Simulcast)

    @property
    def sctp_port(self) -> int | None:
        port = self.first(SctpPort)
        return port.port if port else None

    @property
    def max_message_size(self) -> int | None:
        size = self.first(MaxMessageSize)
        return size.size if size else None


@dataclass(eq=True)
class SessionDescription(_HasAttributes):
    """A whole SDP: session-level lines, then the media sections in order."""

    origin: Origin = field(default_factory=Origin)
    name: str = "-"
    version: int = 0
    information: str | None = None
    uri: str | None = None
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    connection: Connection | None = None
    bandwidths: list[Bandwidth] = field(default_factory=list)
    timings: list[Timing] = field(default_factory=lambda: [Timing()])
    zone: str | None = None
    key: str | None = None
    attributes: list[AnyAttribute] = field(default_factory=list)
    media: list[MediaDescription] = field(default_factory=list)

    @property
    def groups(self) -> list[Group]:
        return self.all(Group)

    @property
    def bundle(self) -> list[tuple[str, ...]]:
        """The mids of each ``a=group:BUNDLE`` line."""
        return [g.mids for g in self.groups if g.semantics == "BUNDLE"]

    @property
    def msid_semantic(self) -> MsidSemantic | None:
        return self.first(MsidSemantic)

    @property
    def extmap_allow_mixed(self) -> bool:
        return self.has("extmap-allow-mixed")

    def media_by_mid(self, mid: str) -> MediaDescription | None:
        for media in self.media:
            if media.mid == mid:
                return media
        return None
