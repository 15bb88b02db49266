"""The State Cookie of the four-way handshake (RFC 9260 §5.1.3).

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
