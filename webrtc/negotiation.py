"""Offer/answer state over transceivers and the data section (JSEP §5, webrtc-pc §4.4.1).

The PeerConnection owns one :class:`Negotiation`. It keeps the m-line layout (which transceiver
or data section owns each m-line), assigns mids, builds offers and answers with :mod:`.jsep`,
and applies local and remote descriptions. It never touches a transport: what applying a
description means for ICE, DTLS and SCTP comes back as an :class:`Applied` record for the
PeerConnection to act on. That keeps every JSEP rule testable without a network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sdp

from .codecs import intersect_codecs, intersect_header_extensions
from .exceptions import InvalidAccessError, InvalidStateError
from .jsep import (
    SCTP_PROTO,
    RemoteDescription,
    RemoteSection,
    SectionSpec,
    TransportSpec,
    build_description,
    intersect_directions,
    receives,
    reverse_direction,
    sends,
)
from .rtptransceiver import RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver

if TYPE_CHECKING:
    from random import Random

SCTP_PROTOS = (SCTP_PROTO, "TCP/DTLS/SCTP")


class _Data:
    """The data-channel m-line (one per connection)."""

    def __repr__(self) -> str:
        return "DATA"


DATA = _Data()


@dataclass
class _Rejected:
    """An m-line no transceiver owns any more, kept to preserve the layout (JSEP §5.2.2)."""

    kind: str
    mid: str
    proto: str
    formats: tuple[str, ...]


Slot = RTCRtpTransceiver | _Data | _Rejected


@dataclass
class Applied:
    """What applying a description asks of the transports and the application."""

    remote_sections: list[RemoteSection] = field(default_factory=list)
    """The remote m-lines that are live (on the bundle transport)."""
    tracks: list[RTCRtpTransceiver] = field(default_factory=list)
    """Transceivers whose remote side started sending: fire ``track`` for them."""
    ended: list[RTCRtpTransceiver] = field(default_factory=list)
    """Transceivers whose remote side stopped sending: their remote track ends."""
    sctp: RemoteSection | None = None
    """The remote data section, when the negotiated session has one."""


@dataclass
class _Snapshot:
    transceivers: list[RTCRtpTransceiver]
    state: list[tuple[str | None, int | None, str | None]]
    layout: list[Slot]
    sctp_mid: str | None


class Negotiation:
    def __init__(self, *, rng: Random, session_id: str, cname: str) -> None:
        self._rng = rng
        self.session_id = session_id
        self.version = 0
        self.cname = cname
        self.transceivers: list[RTCRtpTransceiver] = []
        self.layout: list[Slot] = []
        self.data_wanted = False
        self.sctp_mid: str | None = None
        self._sctp_pending_mid: str | None = None
        self.ice_restart_needed = False
        self.remote: RemoteDescription | None = None
        """The remote description last applied (pending or current)."""
        self.local: sdp.SessionDescription | None = None
        """The local description last applied (pending or current)."""
        self.current_local: sdp.SessionDescription | None = None
        self._snapshot: _Snapshot | None = None
        self._is_offerer: bool | None = None

    # ----------------------------------------------------------------------------------------
    # Transceivers

    def add_transceiver(
        self,
        kind: str,
        direction: str,
        *,
        by_track: bool = False,
        sender: RTCRtpSender | None = None,
    ) -> RTCRtpTransceiver:
        if kind not in ("audio", "video"):
            raise TypeError(f"kind must be audio or video, not {kind!r}")
        sender = sender or RTCRtpSender(kind)
        sender._assign_ssrcs(self._rng, self.cname)
        transceiver = RTCRtpTransceiver(kind, RTCRtpReceiver(kind), sender, direction)
        transceiver._added_by_track = by_track
        self.transceivers.append(transceiver)
        return transceiver

    def _used_mids(self) -> set[str]:
        mids = {t.mid for t in self.transceivers} | {t._pending_mid for t in self.transceivers}
        mids |= {self.sctp_mid, self._sctp_pending_mid}
        mids |= {s.mid for s in self.layout if isinstance(s, _Rejected)}
        if self.remote is not None:
            mids |= {s.mid for s in self.remote.sections}
        return {m for m in mids if m is not None}

    def _allocate_mid(self) -> str:
        used = self._used_mids()
        n = 0
        while str(n) in used:
            n += 1
        return str(n)

    # ----------------------------------------------------------------------------------------
    # Offers

    @staticmethod
    def _recycle_index(layout: list[Slot], default: int) -> int:
        for i, slot in enumerate(layout):
            if isinstance(slot, _Rejected) or (
                isinstance(slot, RTCRtpTransceiver) and slot.stopped and slot.mid is None
            ):
                return i
        return default

    def create_offer(self, transport: TransportSpec) -> sdp.SessionDescription:
        layout: list[Slot] = list(self.layout)
        for transceiver in self.transceivers:
            if transceiver in layout or transceiver.stopped:
                continue
            index = self._recycle_index(layout, -1)
            if index >= 0:
                layout[index] = transceiver
            else:
                layout.append(transceiver)
        if self.data_wanted and DATA not in layout:
            layout.append(DATA)
        specs = []
        for slot in layout:
            if isinstance(slot, RTCRtpTransceiver):
                if slot.mid is None and slot._pending_mid is None:
                    slot._pending_mid = self._allocate_mid()
                specs.append(self._transceiver_offer(slot))
            elif isinstance(slot, _Data):
                if self.sctp_mid is None and self._sctp_pending_mid is None:
                    self._sctp_pending_mid = self._allocate_mid()
                mid = self.sctp_mid or self._sctp_pending_mid
                assert mid is not None
                specs.append(SectionSpec(mid=mid, kind="application"))
            else:
                specs.append(self._rejected_spec(slot))
        self.version += 1
        return build_description(
            session_id=self.session_id, version=self.version, transport=transport, sections=specs
        )

    def _transceiver_offer(self, t: RTCRtpTransceiver) -> SectionSpec:
        mid = t.mid or t._pending_mid
        assert mid is not None
        codecs = t._codecs or t._local_codecs()
        if t.stopped:
            return SectionSpec(mid=mid, kind=t.kind, rejected=True, codecs=tuple(codecs))
        return SectionSpec(
            mid=mid,
            kind=t.kind,
            direction=t.direction,
            codecs=tuple(codecs),
            header_extensions=tuple(t._header_extensions or t._local_header_extensions()),
            stream_ids=tuple(t.sender._stream_ids),
            track_id=t.sender.track.id if t.sender.track is not None else None,
            ssrc=t.sender._ssrc,
            rtx_ssrc=t.sender._rtx_ssrc if any(c.name.lower() == "rtx" for c in codecs) else None,
            cname=t.sender._cname,
        )

    @staticmethod
    def _rejected_spec(slot: _Rejected) -> SectionSpec:
        return SectionSpec(
            mid=slot.mid, kind=slot.kind, rejected=True, proto=slot.proto, formats=slot.formats
        )

    # ----------------------------------------------------------------------------------------
    # Answers

    def create_answer(self, transport: TransportSpec) -> sdp.SessionDescription:
        remote = self.remote
        if remote is None:
            raise InvalidStateError("no remote offer to answer")
        live_mids = self._answer_live_mids(remote)
        specs = []
        for section in remote.sections:
            assert section.mid is not None
            spec: SectionSpec | None = None
            if section.mid in live_mids:
                if section.application:
                    spec = SectionSpec(mid=section.mid, kind="application", proto=section.proto)
                else:
                    spec = self._transceiver_answer(section)
            if spec is None:
                spec = SectionSpec(
                    mid=section.mid,
                    kind=section.kind,
                    rejected=True,
                    proto=section.proto,
                    formats=tuple(section.formats),
                )
            specs.append(spec)
        self.version += 1
        return build_description(
            session_id=self.session_id, version=self.version, transport=transport, sections=specs
        )

    @staticmethod
    def _answer_live_mids(remote: RemoteDescription) -> set[str]:
        """The offered m-lines we can accept on our one (bundled) transport."""
        usable = [
            s
            for s in remote.sections
            if not s.rejected
            and s.mid is not None
            and (s.kind in ("audio", "video") or (s.application and s.proto in SCTP_PROTOS))
        ]
        if remote.bundle:
            group = set(remote.bundle[0])
            return {s.mid for s in usable if s.mid in group}
        # Without BUNDLE each m-line would need a transport of its own: accept the first only.
        return {usable[0].mid} if usable and usable[0].mid is not None else set()

    def _transceiver_answer(self, section: RemoteSection) -> SectionSpec | None:
        t = self._transceiver_by_mid(section.mid)
        if t is None or t.stopped:
            return None
        codecs = intersect_codecs(t._local_codecs(), section.codecs)
        if not [c for c in codecs if c.name.lower() != "rtx"]:
            return None
        direction = intersect_directions(t.direction, reverse_direction(section.direction))
        return SectionSpec(
            mid=section.mid or "",
            kind=t.kind,
            direction=direction,
            codecs=tuple(codecs),
            header_extensions=tuple(
                intersect_header_extensions(t._local_header_extensions(), section.header_extensions)
            ),
            stream_ids=tuple(t.sender._stream_ids),
            track_id=t.sender.track.id if t.sender.track is not None else None,
            ssrc=t.sender._ssrc,
            rtx_ssrc=t.sender._rtx_ssrc if any(c.name.lower() == "rtx" for c in codecs) else None,
            cname=t.sender._cname,
        )

    def _transceiver_by_mid(self, mid: str | None) -> RTCRtpTransceiver | None:
        for t in self.transceivers:
            if t.mid is not None and t.mid == mid:
                return t
        return None

    # ----------------------------------------------------------------------------------------
    # Applying descriptions

    def _save(self) -> None:
        self._snapshot = _Snapshot(
            transceivers=list(self.transceivers),
            state=[(t._mid, t._mline_index, t._pending_mid) for t in self.transceivers],
            layout=list(self.layout),
            sctp_mid=self.sctp_mid,
        )

    def rollback(self) -> None:
        """Undo the pending offer (JSEP §5.7; webrtc-pc §4.4.1.5 rollback steps)."""
        snapshot = self._snapshot
        if snapshot is not None:
            self.transceivers = snapshot.transceivers
            for t, (mid, index, pending) in zip(self.transceivers, snapshot.state, strict=True):
                t._mid, t._mline_index, t._pending_mid = mid, index, pending
            self.layout = snapshot.layout
            self.sctp_mid = snapshot.sctp_mid
        for t in self.transceivers:
            if t.mid is None:
                t._pending_mid = None
        self._sctp_pending_mid = None
        self._snapshot = None

    def apply_local(self, description: sdp.SessionDescription, kind: str) -> None:
        """setLocalDescription: mids of our offer take effect; an answer fixes directions."""
        if kind == "offer":
            self._save()
            layout: list[Slot] = []
            for index, media in enumerate(description.media):
                slot = self._slot_for_local(media)
                if isinstance(slot, RTCRtpTransceiver):
                    slot._mid = media.mid
                    slot._pending_mid = None
                    slot._mline_index = index
                    slot._offered_direction = media.direction
                elif isinstance(slot, _Data):
                    self.sctp_mid = media.mid
                    self._sctp_pending_mid = None
                layout.append(slot)
            self.layout = layout
            self._is_offerer = True
        else:
            for media in description.media:
                t = self._transceiver_by_mid(media.mid)
                if t is not None:
                    t._current_direction = media.direction if media.port != 0 else "inactive"
            if kind == "answer":
                self.current_local = description
                self._snapshot = None
            self._is_offerer = False
        self.local = description

    def _slot_for_local(self, media: sdp.MediaDescription) -> Slot:
        mid = media.mid or ""
        for t in self.transceivers:
            if mid in (t.mid, t._pending_mid):
                return t
        if media.kind == "application" and mid in (self.sctp_mid, self._sctp_pending_mid):
            return DATA
        return _Rejected(media.kind, mid, media.proto, tuple(media.formats))

    def apply_remote(self, remote: RemoteDescription, kind: str) -> Applied:
        """setRemoteDescription: associate or create transceivers, learn codecs and directions."""
        if kind == "offer":
            return self._apply_remote_offer(remote)
        return self._apply_remote_answer(remote, final=kind == "answer")

    def _apply_remote_offer(self, remote: RemoteDescription) -> Applied:
        self._save()
        self.remote = remote
        applied = Applied()
        live = self._answer_live_mids(remote)
        layout: list[Slot] = []
        for section in remote.sections:
            assert section.mid is not None
            if section.application:
                if section.mid in live:
                    self.sctp_mid = section.mid
                    applied.sctp = section
                    layout.append(DATA)
                else:
                    layout.append(_Rejected(section.kind, section.mid, section.proto, ()))
                continue
            if section.kind not in ("audio", "video"):
                layout.append(
                    _Rejected(section.kind, section.mid, section.proto, tuple(section.formats))
                )
                continue
            t = self._transceiver_by_mid(section.mid)
            if t is None and not section.rejected:
                t = self._find_unassociated(section.kind)
                if t is None:
                    t = self.add_transceiver(section.kind, "recvonly")
                t._mid = section.mid
            if t is None:
                layout.append(
                    _Rejected(section.kind, section.mid, section.proto, tuple(section.formats))
                )
                continue
            t._mline_index = section.index
            t._pending_mid = None
            self._learn_remote_media(t, section, applied)
            layout.append(t)
            if section.mid in live:
                applied.remote_sections.append(section)
        if applied.sctp is not None:
            applied.remote_sections.append(applied.sctp)
        self.layout = layout
        self._is_offerer = False
        return applied

    def _find_unassociated(self, kind: str) -> RTCRtpTransceiver | None:
        """webrtc-pc §4.4.1.6: reuse a transceiver that addTrack made and no m-line owns yet."""
        for t in self.transceivers:
            if t.kind == kind and t._added_by_track and t.mid is None and not t.stopped:
                return t
        return None

    def _learn_remote_media(
        self, t: RTCRtpTransceiver, section: RemoteSection, applied: Applied
    ) -> None:
        t._remote_stream_ids = section.stream_ids
        t._remote_ssrcs = section.ssrcs
        remote_sends = sends(section.direction) and not section.rejected
        fired = receives(t._fired_direction)
        if remote_sends and not fired:
            applied.tracks.append(t)
        elif not remote_sends and fired:
            applied.ended.append(t)
        t._fired_direction = reverse_direction(section.direction) if remote_sends else "inactive"

    def _apply_remote_answer(self, remote: RemoteDescription, *, final: bool) -> Applied:
        local = self.local
        if local is None:
            raise InvalidStateError("no local offer for this answer")
        if [m.mid for m in local.media] != [s.mid for s in remote.sections]:
            raise InvalidAccessError("the answer's m-lines do not match the offer's mids")
        for media, section in zip(local.media, remote.sections, strict=True):
            if media.kind != section.kind:
                raise InvalidAccessError(f"answer m-line {section.index} changes the media kind")
        self.remote = remote
        applied = Applied()
        bundle = set(remote.bundle[0]) if remote.bundle else None
        for section in remote.sections:
            live = not section.rejected and (bundle is None or section.mid in bundle)
            if section.application:
                if live:
                    applied.sctp = section
                continue
            t = self._transceiver_by_mid(section.mid)
            if t is None:
                continue
            if live:
                t._codecs = intersect_codecs(t._local_codecs(), section.codecs)
                t._header_extensions = intersect_header_extensions(
                    t._local_header_extensions(), section.header_extensions
                )
                applied.remote_sections.append(section)
            if final:
                t._current_direction = reverse_direction(section.direction) if live else "inactive"
                if section.rejected and t.stopped:
                    t._mid = None
            self._learn_remote_media(t, section, applied)
        if applied.sctp is not None:
            applied.remote_sections.append(applied.sctp)
        if final:
            self.current_local = local
            self._snapshot = None
        return applied

    # ----------------------------------------------------------------------------------------

    def negotiation_needed(self) -> bool:
        """webrtc-pc §4.7.3 "check if negotiation is needed", for our one transport."""
        if self.ice_restart_needed:
            return True
        local = self.current_local
        if self.data_wanted and (
            local is None or not any(m.kind == "application" and m.port != 0 for m in local.media)
        ):
            return True
        for t in self.transceivers:
            if t.stopped:
                if t.mid is not None and local is not None:
                    media = next((m for m in local.media if m.mid == t.mid), None)
                    if media is not None and media.port != 0:
                        return True
                continue
            if t.mid is None:
                return True
            if local is None:
                return True
            media = next((m for m in local.media if m.mid == t.mid), None)
            if media is None:
                return True
            if self._is_offerer is False and self.remote is not None:
                offered = next((s for s in self.remote.sections if s.mid == t.mid), None)
                if offered is None:
                    return True
                expected = intersect_directions(t.direction, reverse_direction(offered.direction))
                if media.direction != expected:
                    return True
            elif media.direction != t.direction:
                return True
        return False
