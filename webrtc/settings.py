"""Our settings beyond W3C's RTCConfiguration, in one object (Pion's SettingEngine, grouped).

    pc = RTCPeerConnection(settings=Settings(ice=IceSettings(include_loopback=True)))

``RTCConfiguration`` stays pure W3C; everything non-standard lives here: interface and IP
filters, include-loopback, port range, ICE timeouts, ICE-lite, NAT 1:1 IPs (all in
:class:`ice.IceSettings`), the DTLS MTU and timeouts (:class:`dtls.DtlsSettings`) and the SCTP
knobs (:class:`sctp.SctpSettings`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dtls import DtlsSettings
from ice import IceSettings
from sctp import SctpSettings


@dataclass(frozen=True)
class Settings:
    ice: IceSettings = field(default_factory=IceSettings)
    dtls: DtlsSettings = field(default_factory=DtlsSettings)
    sctp: SctpSettings = field(default_factory=SctpSettings)
    wait_for_gathering: bool = False
    """Make ``setLocalDescription`` return only once ICE gathering is complete, so that
    ``localDescription`` carries every candidate (aiortc's behaviour, for signalling that cannot
    trickle). Off by default: as in browsers, it returns once the host candidates are known and
    later candidates arrive through ``icecandidate`` events."""
