"""JSEP (RFC 9429) as pure functions between our negotiation state and the SDP model.

Two halves:

* writing: :func:`build_description` turns the transport parameters and one
  :class:`SectionSpec` per m-line into an ``sdp.SessionDescription``, lines in the order
  Chromium writes them;
* reading: :func:`read_description` turns a remote ``sdp.SessionDescription`` into
  :class:`RemoteSection` records, checking what webrtc-pc requires of a remote description
  (ICE credentials, a fingerprint, a usable setup role) and raising ``InvalidAccessError``
  when it is missing.

One ICE/DTLS transport carries every m-section (BUNDLE, RFC 9143): candidates are written in
the first live m-section only, the others name the same credentials with port 9.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import sdp

from .exceptions import InvalidAccessError
from .rtp_parameters import (
    RTCRtcpFeedback,
    RTCRtpCodecParameters,
    RTCRtpHeaderExtensionParameters,
)

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
RTP_PROTO = "UDP/TLS/RTP/SAVPF"
SCTP_PROTO = "UDP/DTLS/SCTP"
DEFAULT_MAX_MESSAGE_SIZE = 65536
"""RFC 8841 §6.1: a peer that writes no ``a=max-message-size`` accepts 64 KiB."""


def _has(direction: str, what: str) -> bool:
    return direction == "sendrecv" or direction == what


def make_direction(send: bool, recv: bool) -> str:
    if send and recv:
        return "sendrecv"
    if send:
        return "sendonly"
    if recv:
        return "recvonly"
    return "inactive"


def reverse_direction(direction: str) -> str:
    """The direction as the other side sees it."""
    return make_direction(_has(direction, "recvonly"), _has(direction, "sendonly"))


def intersect_directions(a: str, b: str) -> str:
    return make_direction(
        _has(a, "sendonly") and _has(b, "sendonly"), _has(a, "recvonly") and _has(b, "recvonly")
    )


def sends(direction: str | None) -> bool:
    return direction is not None and _has(direction, "sendonly")


def receives(direction: str | None) -> bool:
    return direction is not None and _has(direction, "recvonly")


@dataclass(frozen=True)
class TransportSpec:
    """The one transport every m-section rides on."""

    ice_ufrag: str
    ice_pwd: str
    fingerprints: tuple[sdp.Fingerprint, ...]
    setup: str
    """actpass in offers; active or passive in answers (RFC 8842 §5)."""
    candidates: tuple[sdp.Candidate, ...] = ()
    end_of_candidates: bool = False
    ice_lite: bool = False
    ice_options: tuple[str, ...] = ("trickle",)


@dataclass(frozen=True)
class SectionSpec:
    """One m-line we write."""

    mid: str
    kind: str
    """audio, video or application."""
    rejected: bool = False
    direction: str = "sendrecv"
    codecs: tuple[RTCRtpCodecParameters, ...] = ()
    header_extensions: tuple[RTCRtpHeaderExtensionParameters, ...] = ()
    stream_ids: tuple[str, ...] = ()
    track_id: str | None = None
    ssrc: int | None = None
    rtx_ssrc: int | None = None
    cname: str | None = None
    sctp_port: int = 5000
    max_message_size: int = 262144
    proto: str | None = None
    """The protocol to write (a rejected section repeats the offer's); None for the default."""
    formats: tuple[str, ...] = ()
    """Formats of a rejected section (copied from the offer)."""


def _default_address(candidates: Sequence[sdp.Candidate]) -> tuple[str, int, str]:
    """The c= address, m= port and address type: the best UDP RTP candidate (RFC 8839 §4.2.1.4)."""
    best = max(
        (c for c in candidates if c.component == 1 and c.protocol == "udp"),
        key=lambda c: c.priority,
        default=None,
    )
    if best is None or best.address.endswith(".local"):
        return "0.0.0.0", 9, "IP4"
    return best.address, best.port, "IP6" if ":" in best.address else "IP4"


def _codec_attributes(codec: RTCRtpCodecParameters) -> list[sdp.AnyAttribute]:
    assert codec.payloadType is not None
    pt = codec.payloadType
    attrs: list[sdp.AnyAttribute] = [
        sdp.Rtpmap(
            pt,
            codec.name,
            codec.clockRate,
            codec.channels if codec.channels and codec.channels > 1 else None,
        )
    ]
    attrs.extend(sdp.RtcpFb(str(pt), f.type, f.parameter) for f in codec.rtcpFeedback)
    if codec.parameters:
        params = ";".join(k if v is None else f"{k}={v}" for k, v in codec.parameters.items())
        attrs.append(sdp.Fmtp(pt, params))
    return attrs


def _section(
    spec: SectionSpec, transport: TransportSpec, *, with_candidates: bool
) -> sdp.MediaDescription:
    application = spec.kind == "application"
    proto = spec.proto or (SCTP_PROTO if application else RTP_PROTO)
    if spec.rejected:
        formats = list(spec.formats) or (
            ["webrtc-datachannel"] if application else [str(c.payloadType) for c in spec.codecs]
        )
        return sdp.MediaDescription(
            kind=spec.kind,
            port=0,
            proto=proto,
            formats=formats or ["0"],
            connections=[sdp.Connection()],
            attributes=[sdp.Mid(spec.mid), sdp.Attribute("inactive")]
            if not application
            else [sdp.Mid(spec.mid)],
        )
    if with_candidates:
        address, port, addrtype = _default_address(transport.candidates)
    else:
        address, port, addrtype = "0.0.0.0", 9, "IP4"
    media = sdp.MediaDescription(
        kind=spec.kind,
        port=port,
        proto=proto,
        formats=["webrtc-datachannel"]
        if application
        else [str(c.payloadType) for c in spec.codecs],
        connections=[sdp.Connection("IN", addrtype, address)],
    )
    attrs = media.attributes
    if with_candidates:
        attrs.extend(transport.candidates)
        if transport.end_of_candidates:
            attrs.append(sdp.Attribute("end-of-candidates"))
    attrs.append(sdp.IceUfrag(transport.ice_ufrag))
    attrs.append(sdp.IcePwd(transport.ice_pwd))
    if transport.ice_options:
        attrs.append(sdp.IceOptions(transport.ice_options))
    attrs.extend(transport.fingerprints)
    attrs.append(sdp.Setup(transport.setup))
    attrs.append(sdp.Mid(spec.mid))
    if application:
        attrs.append(sdp.SctpPort(spec.sctp_port))
        attrs.append(sdp.MaxMessageSize(spec.max_message_size))
        return media
    attrs.extend(sdp.Extmap(e.id, e.uri) for e in spec.header_extensions)
    attrs.append(sdp.Attribute(spec.direction))
    if spec.track_id is not None and sends(spec.direction):
        for stream_id in spec.stream_ids or ("-",):
            attrs.append(sdp.Msid(stream_id, spec.track_id))
    attrs.append(sdp.Attribute("rtcp-mux"))
    attrs.append(sdp.Attribute("rtcp-rsize"))
    for codec in spec.codecs:
        attrs.extend(_codec_attributes(codec))
    if spec.ssrc is not None and sends(spec.direction):
        if spec.rtx_ssrc is not None:
            attrs.append(sdp.SsrcGroup("FID", (spec.ssrc, spec.rtx_ssrc)))
        for ssrc in (spec.ssrc, spec.rtx_ssrc):
            if ssrc is not None and spec.cname is not None:
                attrs.append(sdp.Ssrc(ssrc, "cname", spec.cname))
    return media


def build_description(
    *,
    session_id: str,
    version: int,
    transport: TransportSpec,
    sections: Sequence[SectionSpec],
) -> sdp.SessionDescription:
    """The SDP for ``sections``, all bundled on ``transport``."""
    live = [s for s in sections if not s.rejected]
    session_attrs: list[sdp.AnyAttribute] = []
    if transport.ice_lite:
        session_attrs.append(sdp.Attribute("ice-lite"))
    if live:
        session_attrs.append(sdp.Group("BUNDLE", tuple(s.mid for s in live)))
    session_attrs.append(sdp.Attribute("extmap-allow-mixed"))
    session_attrs.append(sdp.MsidSemantic("WMS", ("*",)))
    tag = live[0].mid if live else None
    return sdp.SessionDescription(
        origin=sdp.Origin("-", session_id, version, "IN", "IP4", "127.0.0.1"),
        attributes=session_attrs,
        media=[_section(s, transport, with_candidates=s.mid == tag) for s in sections],
    )


# --------------------------------------------------------------------------------------------
# Reading a remote description


@dataclass
class RemoteSection:
    """What one remote m-line says, read and checked."""

    index: int
    kind: str
    mid: str | None
    proto: str
    formats: list[str]
    rejected: bool
    direction: str = "sendrecv"
    codecs: list[RTCRtpCodecParameters] = field(default_factory=list)
    header_extensions: list[RTCRtpHeaderExtensionParameters] = field(default_factory=list)
    stream_ids: list[str] = field(default_factory=list)
    track_id: str | None = None
    ssrcs: list[int] = field(default_factory=list)
    rtx_ssrcs: dict[int, int] = field(default_factory=dict)
    """Primary SSRC to its RTX SSRC (``a=ssrc-group:FID``)."""
    cname: str | None = None
    rids: list[sdp.Rid] = field(default_factory=list)
    ice_ufrag: str | None = None
    ice_pwd: str | None = None
    candidates: list[sdp.Candidate] = field(default_factory=list)
    end_of_candidates: bool = False
    fingerprints: list[sdp.Fingerprint] = field(default_factory=list)
    setup: str | None = None
    sctp_port: int | None = None
    max_message_size: int | None = None

    @property
    def application(self) -> bool:
        return self.kind == "application"


@dataclass
class RemoteDescription:
    sections: list[RemoteSection]
    bundle: list[tuple[str, ...]]
    ice_lite: bool
    session: sdp.SessionDescription


_STATIC_PAYLOAD_TYPES = {
    0: ("audio/PCMU", 8000, 1),
    8: ("audio/PCMA", 8000, 1),
    9: ("audio/G722", 8000, 1),
}


def _param_value(value: str | None) -> int | str | None:
    if value is not None and value.isdigit() and len(value) < 10:
        return int(value)
    return value


def _codecs(media: sdp.MediaDescription) -> list[RTCRtpCodecParameters]:
    rtpmaps = {r.payload_type: r for r in media.rtpmaps}
    fmtps = {f.payload_type: f for f in media.fmtps}
    feedback: dict[str, list[RTCRtcpFeedback]] = {}
    for fb in media.rtcp_feedback:
        feedback.setdefault(fb.payload_type, []).append(RTCRtcpFeedback(fb.type, fb.parameter))
    codecs = []
    for fmt in media.formats:
        if not fmt.isdigit() or int(fmt) > 127:
            continue
        pt = int(fmt)
        rtpmap = rtpmaps.get(pt)
        if rtpmap is not None:
            mime = f"{media.kind}/{rtpmap.encoding}"
            rate, channels = rtpmap.clock_rate, rtpmap.channels
        elif pt in _STATIC_PAYLOAD_TYPES:
            mime, rate, channels = _STATIC_PAYLOAD_TYPES[pt]
        else:
            continue
        if media.kind == "audio" and channels is None:
            channels = 1
        fmtp = fmtps.get(pt)
        params = {k: _param_value(v) for k, v in fmtp.params.items()} if fmtp else {}
        codecs.append(
            RTCRtpCodecParameters(
                mimeType=mime,
                clockRate=rate,
                channels=channels,
                payloadType=pt,
                rtcpFeedback=feedback.get(fmt, []) + feedback.get("*", []),
                parameters=params,
            )
        )
    return codecs


def _read_section(
    index: int, media: sdp.MediaDescription, session: sdp.SessionDescription
) -> RemoteSection:
    rejected = media.port == 0 and not media.bundle_only
    section = RemoteSection(
        index=index,
        kind=media.kind,
        mid=media.mid,
        proto=media.proto,
        formats=list(media.formats),
        rejected=rejected,
        direction=media.direction or session.direction or "sendrecv",
        ice_ufrag=media.ice_ufrag or session.ice_ufrag,
        ice_pwd=media.ice_pwd or session.ice_pwd,
        candidates=media.candidates,
        end_of_candidates=media.end_of_candidates,
        fingerprints=media.fingerprints or session.fingerprints,
        setup=media.setup or session.setup,
    )
    if media.kind == "application":
        section.sctp_port = media.sctp_port
        size = media.max_message_size
        section.max_message_size = DEFAULT_MAX_MESSAGE_SIZE if size is None else size
        return section
    section.codecs = _codecs(media)
    section.header_extensions = [
        RTCRtpHeaderExtensionParameters(e.id, e.uri) for e in media.extmaps
    ]
    msids = media.msids
    if msids:
        section.stream_ids = [m.stream_id for m in msids if m.stream_id != "-"]
        section.track_id = msids[0].track_id
    fid = {g.ssrcs[1]: g.ssrcs[0] for g in media.ssrc_groups if g.semantics == "FID"}
    for ssrc in media.ssrcs:
        if ssrc.attribute == "cname" and section.cname is None:
            section.cname = ssrc.value
        if ssrc.ssrc in fid:
            section.rtx_ssrcs[fid[ssrc.ssrc]] = ssrc.ssrc
        elif ssrc.ssrc not in section.ssrcs:
            section.ssrcs.append(ssrc.ssrc)
        if not msids and ssrc.attribute == "msid" and ssrc.value:
            parts = ssrc.value.split(" ")
            section.stream_ids = [parts[0]]
            section.track_id = parts[1] if len(parts) > 1 else None
    section.rids = media.rids
    return section


def read_description(session: sdp.SessionDescription, description_type: str) -> RemoteDescription:
    """Read a remote description; InvalidAccessError if it lacks what WebRTC needs."""
    sections = [_read_section(i, m, session) for i, m in enumerate(session.media)]
    mids: set[str] = set()
    for section in sections:
        where = f"m-line {section.index} ({section.kind})"
        if section.mid is None:
            raise InvalidAccessError(f"{where} has no a=mid")
        if section.mid in mids:
            raise InvalidAccessError(f"{where} repeats mid {section.mid!r}")
        mids.add(section.mid)
        if section.rejected:
            continue
        if section.kind not in ("audio", "video", "application"):
            continue
        if not section.ice_ufrag or not section.ice_pwd:
            raise InvalidAccessError(f"{where} has no ICE ufrag/pwd")
        if not section.fingerprints:
            raise InvalidAccessError(f"{where} has no DTLS fingerprint")
        if description_type in ("answer", "pranswer") and section.setup not in (
            "active",
            "passive",
        ):
            raise InvalidAccessError(f"{where}: an answer must say setup active or passive")
        if description_type == "offer" and section.setup not in (
            None,
            "actpass",
            "active",
            "passive",
        ):
            raise InvalidAccessError(f"{where}: setup {section.setup} is not usable")
    return RemoteDescription(
        sections=sections, bundle=session.bundle, ice_lite=session.ice_lite, session=session
    )
