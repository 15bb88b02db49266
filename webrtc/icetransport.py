"""RTCIceGatherer and RTCIceTransport (webrtc-pc §5.6, ORTC), over one :class:`ice.IceConnection`.

aiortc exposes these ORTC-style objects and some applications drive them directly, so they work
on their own (``await gatherer.gather()``, ``await transport.start(params)``). The
PeerConnection uses the same objects, without waiting in them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

import sdp
from ice import IceConnection, IceConnectionFailed, IceConnectionState, IceSettings

from .configuration import RTCIceServer
from .emitter import EventEmitter
from .icecandidate import RTCIceCandidate


@dataclass
class RTCIceParameters:
    usernameFragment: str | None = None
    password: str | None = None
    iceLite: bool = False


@dataclass
class RTCIceCandidatePair:
    local: RTCIceCandidate
    remote: RTCIceCandidate


def ice_settings_for(
    servers: list[RTCIceServer] | None, base: IceSettings, *, relay_only: bool = False
) -> IceSettings:
    """``base`` with the STUN servers of an RTCConfiguration added.

    ``relay_only`` is ``iceTransportPolicy: "relay"``: only relayed candidates may be used, so
    no host or server-reflexive candidate is gathered at all. Relayed candidates need the TURN
    client (not built yet): until then such a connection has no candidate and fails, which is
    the honest outcome for "relay only" without relays.
    """
    if relay_only:
        return replace(base, interface_filter=_no_interface, stun_servers=())
    stun = [u for s in servers or [] for u in s.url_list if u.startswith("stun:")]
    if not stun:
        return base
    return replace(base, stun_servers=(*base.stun_servers, *stun))


def _no_interface(name: str) -> bool:
    return False


class RTCIceGatherer(EventEmitter):
    """Gathers the local candidates of one ICE transport (events: ``statechange``)."""

    def __init__(
        self, iceServers: list[RTCIceServer] | None = None, *, settings: IceSettings | None = None
    ) -> None:
        super().__init__()
        self._connection = IceConnection(ice_settings_for(iceServers, settings or IceSettings()))
        self._state = "new"
        self._gathering_started = False
        self._complete = asyncio.Event()
        self._connection.on_candidate(self._on_candidate)

    @property
    def state(self) -> str:
        """new, gathering or complete (RTCIceGathererState)."""
        return self._state

    @property
    def connection(self) -> IceConnection:
        return self._connection

    @staticmethod
    def getDefaultIceServers() -> list[RTCIceServer]:
        """None: this stack never contacts a server the application did not name."""
        return []

    def getLocalParameters(self) -> RTCIceParameters:
        ufrag, pwd = self._connection.local_credentials
        return RTCIceParameters(ufrag, pwd, self._connection.settings.lite)

    def getLocalCandidates(self) -> list[RTCIceCandidate]:
        return [RTCIceCandidate.from_sdp_candidate(c) for c in self._connection.local_candidates]

    async def start_gathering(self) -> None:
        """Bind sockets and start gathering; returns once the host candidates are known."""
        if self._gathering_started:
            return
        self._gathering_started = True
        self._set_state("gathering")
        await self._connection.gather()

    async def gather(self) -> None:
        """Gather and wait until gathering is complete (aiortc's behaviour)."""
        await self.start_gathering()
        await self._complete.wait()

    def _on_candidate(self, candidate: sdp.Candidate | None) -> None:
        if candidate is None:
            self._set_state("complete")
            self._complete.set()
        self.emit("icecandidate", candidate)

    def _restart(self) -> None:
        """ICE restart: new credentials, candidates gathered again."""
        self._complete.clear()
        self._set_state("gathering")
        self._connection.restart()

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.emit("statechange")


class RTCIceTransport(EventEmitter):
    """Connectivity checks and the selected pair (events: ``statechange``,
    ``selectedcandidatepairchange``)."""

    def __init__(self, gatherer: RTCIceGatherer) -> None:
        super().__init__()
        self.__gatherer = gatherer
        self._connection = gatherer.connection
        self._state = "new"
        self._role = "controlled"
        self._remote: RTCIceParameters | None = None
        self._connection.on_state_change(self._on_state)
        self._connection.on_selected_pair_change(self._on_pair)

    @property
    def iceGatherer(self) -> RTCIceGatherer:
        return self.__gatherer

    @property
    def role(self) -> str:
        """controlling or controlled."""
        return self._role

    @property
    def state(self) -> str:
        return self._state

    @property
    def gatheringState(self) -> str:
        return self.__gatherer.state

    @property
    def connection(self) -> IceConnection:
        return self._connection

    def getRemoteParameters(self) -> RTCIceParameters | None:
        return self._remote

    def getLocalCandidates(self) -> list[RTCIceCandidate]:
        return self.__gatherer.getLocalCandidates()

    def getRemoteCandidates(self) -> list[RTCIceCandidate]:
        return [RTCIceCandidate.from_sdp_candidate(c) for c in self._connection.remote_candidates]

    def getSelectedCandidatePair(self) -> RTCIceCandidatePair | None:
        pair = self._connection.selected_pair
        if pair is None:
            return None
        return RTCIceCandidatePair(
            RTCIceCandidate.from_sdp_candidate(pair.local),
            RTCIceCandidate.from_sdp_candidate(pair.remote),
        )

    async def addRemoteCandidate(self, candidate: RTCIceCandidate | None) -> None:
        """A remote candidate, or None for end-of-candidates. mDNS names are not resolved."""
        self._add_remote(None if candidate is None else candidate.to_sdp_candidate())

    def _add_remote(self, candidate: sdp.Candidate | None) -> None:
        if self._state != "closed":
            self._connection.add_remote_candidate(candidate)

    def _start_checks(self, remote: RTCIceParameters, *, controlling: bool) -> None:
        """Begin (or, after a restart, begin again) connectivity checks without waiting."""
        assert remote.usernameFragment is not None and remote.password is not None
        self._remote = remote
        self._role = "controlling" if controlling else "controlled"
        self._connection.start(
            remote.usernameFragment,
            remote.password,
            controlling=controlling,
            remote_lite=remote.iceLite,
        )

    async def start(self, remoteParameters: RTCIceParameters) -> None:
        """Start checks and return once connected (aiortc's ORTC behaviour).

        Without an offer/answer to assign roles, a full agent starts controlling; if both ends
        do, ICE's role-conflict rule (RFC 8445 §7.3.1.1) settles it.
        """
        controlling = not self.__gatherer.connection.settings.lite
        self._start_checks(remoteParameters, controlling=controlling)
        try:
            await self._connection.wait_connected()
        except IceConnectionFailed as exc:
            raise ConnectionError("ICE negotiation failed") from exc

    async def stop(self) -> None:
        await self._connection.close()
        self._on_state(IceConnectionState.CLOSED)

    def _on_pair(self, pair: object) -> None:
        self.emit("selectedcandidatepairchange")

    def _on_state(self, state: IceConnectionState) -> None:
        if str(state) != self._state:
            self._state = str(state)
            self.emit("statechange")
