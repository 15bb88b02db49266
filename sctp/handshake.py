"""The four-way handshake (RFC 9260 §5.1-5.2) and its State Cookie (§5.1.3).

The INIT ACK carries, in the cookie, everything needed to create the association when the
COOKIE ECHO comes back, signed with HMAC-SHA256 under a secret that never leaves the endpoint.
The endpoint that answers an INIT therefore keeps no state for it, which is the point of the
cookie (a flood of INITs costs nothing). The cookie also carries its creation time, so an old
one is refused as stale (§5.1.5 step 3), and the tie-tags of §5.2.2 (zero unless the cookie
was minted while an association already existed).
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass
from typing import Final

from . import chunks as C
from .chunks import InitChunk
from .events import AssociationEstablished
from .packet import header_crc, header_prefix
from .reassembly import Reassembly
from .stream_reset import StreamResetter
from .tcb import CONNECTED, S, Tcb

_BODY: Final = struct.Struct("!BdIIIIIHHBII")
_MAC_SIZE: Final = 16
_VERSION: Final = 1

COOKIE_OK: Final = 0
COOKIE_FORGED: Final = 1
COOKIE_STALE: Final = 2


@dataclass(frozen=True, slots=True)
class CookieState:
    """What the association needs from the handshake, as sealed into the cookie."""

    created: float
    local_tag: int
    peer_tag: int
    local_tsn: int
    peer_tsn: int
    peer_rwnd: int
    inbound_streams: int
    """Negotiated: min(our MIS, the peer's OS)."""
    outbound_streams: int
    """Negotiated: min(our OS, the peer's MIS)."""
    flags: int
    """Bit 0: the peer supports FORWARD TSN; bit 1: RE-CONFIG; bit 2: zero checksums."""
    local_tie_tag: int = 0
    peer_tie_tag: int = 0

    @property
    def peer_forward_tsn(self) -> bool:
        return bool(self.flags & 1)

    @property
    def peer_reconfig(self) -> bool:
        return bool(self.flags & 2)

    @property
    def peer_zero_checksum(self) -> bool:
        return bool(self.flags & 4)


class CookieJar:
    """Mints and checks cookies under one secret key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the cookie key needs at least 16 bytes")
        self._key = key

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()[:_MAC_SIZE]

    def mint(self, state: CookieState) -> bytes:
        body = _BODY.pack(
            _VERSION,
            state.created,
            state.local_tag,
            state.peer_tag,
            state.local_tsn,
            state.peer_tsn,
            state.peer_rwnd,
            state.inbound_streams,
            state.outbound_streams,
            state.flags,
            state.local_tie_tag,
            state.peer_tie_tag,
        )
        return body + self._mac(body)

    def open(self, cookie: bytes, *, now: float, lifetime: float) -> tuple[int, CookieState | None]:
        """``(COOKIE_OK, state)``, ``(COOKIE_STALE, state)`` for an authentic but expired cookie
        (a retransmitted COOKIE ECHO of an association already up is still recognisable), or
        ``(COOKIE_FORGED, None)``."""
        if len(cookie) != _BODY.size + _MAC_SIZE:
            return COOKIE_FORGED, None
        body, mac = cookie[: _BODY.size], cookie[_BODY.size :]
        if not hmac.compare_digest(mac, self._mac(body)):
            return COOKIE_FORGED, None
        fields = _BODY.unpack(body)
        if fields[0] != _VERSION:
            return COOKIE_FORGED, None
        state = CookieState(*fields[1:])
        if not state.created - 1.0 <= now <= state.created + lifetime:
            return COOKIE_STALE, state
        return COOKIE_OK, state


class HandshakeMixin(Tcb):
    """INIT, INIT ACK, COOKIE ECHO and COOKIE ACK, with the collision cases of §5.2.

    Both WebRTC ends send INIT. An INIT that arrives in COOKIE-WAIT or COOKIE-ECHOED is
    answered with our own tag and initial TSN (§5.2.1), so whichever COOKIE ECHO arrives first
    sets the association up with the same tags on both sides (cases B and D of §5.2.4). An
    INIT on an established association gets tie-tags (§5.2.2); a COOKIE ECHO carrying them
    means the peer restarted, which ends this association with an error.
    """

    def _our_init(self, cookie: bytes | None = None) -> InitChunk:
        s = self.settings
        return InitChunk(
            initiate_tag=self.local_tag,
            a_rwnd=s.receive_window,
            outbound_streams=s.outbound_streams,
            inbound_streams=s.inbound_streams,
            initial_tsn=self.local_tsn,
            cookie=cookie,
            forward_tsn=s.partial_reliability,
            reconfig=True,
            zero_checksum=s.zero_checksum,
        )

    def _send_init(self, now: float) -> None:
        self._send_alone(self._t1_chunk, 0)
        self._t1_at = now + self._t1_rto
        self._arm(self._t1_at)

    def _on_init(self, body: bytes, now: float) -> None:
        """RFC 9260 §5.1 B, §5.2.1 (collision in COOKIE-WAIT/ECHOED), §5.2.2 (established)."""
        init = C.decode_init(body)
        if init.initiate_tag == 0 or init.outbound_streams == 0 or init.inbound_streams == 0:
            self.stats.dropped_malformed += 1
            return
        s = self.settings
        local_tie = peer_tie = 0
        if self.state in CONNECTED:
            # A peer that restarted (or a stray INIT): answer with tie-tags, §5.2.2.
            local_tie, peer_tie = self.local_tag, self.peer_tag
        flags = (
            (1 if init.forward_tsn else 0)
            | (2 if init.reconfig else 0)
            | (4 if init.zero_checksum else 0)
        )
        cookie = self._cookies.mint(
            CookieState(
                created=now,
                local_tag=self.local_tag,
                peer_tag=init.initiate_tag,
                local_tsn=self.local_tsn,
                peer_tsn=init.initial_tsn,
                peer_rwnd=init.a_rwnd,
                inbound_streams=min(s.inbound_streams, init.outbound_streams),
                outbound_streams=min(s.outbound_streams, init.inbound_streams),
                flags=flags,
                local_tie_tag=local_tie,
                peer_tie_tag=peer_tie,
            )
        )
        extra = [C.param(C.PARAM_UNRECOGNIZED, p) for p in init.unrecognized]
        self._send_alone(
            C.encode_init(C.INIT_ACK, self._our_init(cookie), extra=extra), init.initiate_tag
        )

    def _on_init_ack(self, body: bytes, now: float) -> None:
        if self.state is not S.COOKIE_WAIT:
            self.stats.dropped_unexpected += 1  # §5.2.3: discard in any other state
            return
        init = C.decode_init(body)
        if (
            init.initiate_tag == 0
            or init.cookie is None
            or init.outbound_streams == 0
            or init.inbound_streams == 0
        ):
            self.stats.dropped_malformed += 1
            return
        s = self.settings
        self._adopt_peer(
            init.initiate_tag,
            init.initial_tsn,
            init.a_rwnd,
            min(s.inbound_streams, init.outbound_streams),
            min(s.outbound_streams, init.inbound_streams),
            init.forward_tsn,
            init.reconfig,
            init.zero_checksum,
        )
        self._t1_chunk = C.chunk(C.COOKIE_ECHO, 0, init.cookie)
        self._set_state(S.COOKIE_ECHOED)
        self._t1_count = 0
        self._t1_rto = s.rto_initial
        self._control.append(self._t1_chunk)
        self._t1_at = now + self._t1_rto
        self._arm(self._t1_at)

    def _on_cookie_echo(self, body: bytes, now: float) -> None:
        """RFC 9260 §5.1 D and the four cases of §5.2.4."""
        status, cookie = self._cookies.open(body, now=now, lifetime=self.settings.cookie_lifetime)
        if cookie is None:
            self.stats.dropped_bad_cookie += 1
            return
        state = self.state
        if state in CONNECTED:
            if cookie.local_tag == self.local_tag and cookie.peer_tag == self.peer_tag:
                # Case D: our COOKIE ACK was lost and this is the COOKIE ECHO that set the
                # association up, resent; its age does not matter any more.
                self._control.append(C.chunk(C.COOKIE_ACK))
            elif status == COOKIE_STALE:
                self.stats.dropped_bad_cookie += 1
            elif cookie.local_tie_tag == self.local_tag and cookie.peer_tie_tag == self.peer_tag:
                self._send_abort(C.cause(C.CAUSE_PROTOCOL_VIOLATION, b"restart"), now)
                self._end("the peer restarted the association", error=True)  # case A
            else:
                self.stats.dropped_bad_cookie += 1  # case C, or a cookie of another time
            return
        if status == COOKIE_STALE:
            self.stats.dropped_bad_cookie += 1
            if self.peer_tag or cookie.peer_tag:
                stale = C.chunk(C.ERROR, 0, C.cause(C.CAUSE_STALE_COOKIE, struct.pack("!I", 0)))
                self._send_alone(stale, cookie.peer_tag)
            return
        if cookie.local_tag != self.local_tag or cookie.local_tsn != self.local_tsn:
            self.stats.dropped_bad_cookie += 1
            return
        # CLOSED, COOKIE-WAIT or COOKIE-ECHOED: cases B and D, or the normal passive open.
        self._adopt_peer(
            cookie.peer_tag,
            cookie.peer_tsn,
            cookie.peer_rwnd,
            cookie.inbound_streams,
            cookie.outbound_streams,
            cookie.peer_forward_tsn,
            cookie.peer_reconfig,
            cookie.peer_zero_checksum,
        )
        self._control.append(C.chunk(C.COOKIE_ACK))
        self._establish(now)

    def _adopt_peer(
        self,
        tag: int,
        tsn: int,
        rwnd: int,
        inbound: int,
        outbound: int,
        forward_tsn: bool,
        reconfig: bool,
        zero_checksum: bool,
    ) -> None:
        s = self.settings
        self.zero_checksum = s.zero_checksum and zero_checksum
        self.peer_tag = tag
        self.peer_tsn = tsn
        self.inbound_streams = inbound
        self.outbound_streams = outbound
        self.partial_reliability = s.partial_reliability and forward_tsn
        self.peer_reconfig = reconfig
        self.outbound.partial_reliability = self.partial_reliability
        self.outbound.rwnd = self.outbound.peer_a_rwnd = rwnd
        self.cc.ssthresh = max(rwnd, 4 * s.mtu)
        self._prefix = header_prefix(s.local_port, s.remote_port, tag)
        self._prefix_crc = header_crc(self._prefix)
        self._zero_head = self._prefix + b"\x00\x00\x00\x00"

    def _establish(self, now: float) -> None:
        s = self.settings
        self._set_state(S.ESTABLISHED)
        self._t1_at = None
        self.inbound = Reassembly(
            initial_tsn=self.peer_tsn,
            window=s.receive_window,
            max_message_size=s.max_message_size,
            deliver=self.events.append,
            stats=self.stats,
        )
        self.resetter = StreamResetter(
            local_initial_tsn=self.local_tsn, peer_initial_tsn=self.peer_tsn
        )
        if s.heartbeat_interval > 0:
            self._hb_at = now + s.heartbeat_interval + self.rto.rto
            self._arm(self._hb_at)
        self.events.append(
            AssociationEstablished(
                self.inbound_streams,
                self.outbound_streams,
                self.partial_reliability,
                self.peer_reconfig,
            )
        )
