"""RTCPeerConnection (webrtc-pc §4): the facade over negotiation and the transports.

The pieces it ties together, each testable on its own:

* :class:`.operations.OperationsChain`: createOffer, createAnswer, setLocalDescription,
  setRemoteDescription and addIceCandidate run one at a time, in call order;
* :class:`.negotiation.Negotiation`: JSEP over transceivers and the data section (pure);
* :class:`.connection.TransportStack`: ICE → DTLS → SCTP, started as descriptions and
  transport states allow, reporting states back;
* :mod:`.states`: the W3C rules that derive the aggregate states.

Events are emitted with aiortc's arguments: ``track`` gets the track, ``datachannel`` the
channel, ``icecandidate`` an :class:`RTCIceCandidate` (None at the end of gathering).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
from typing import Any

import sdp
from dtls import RTCCertificate, SetupRoleError, role_from_setup

from .configuration import RTCConfiguration
from .connection import TransportStack
from .datachannel import RTCDataChannel, RTCDataChannelParameters
from .emitter import EventEmitter
from .exceptions import (
    InvalidAccessError,
    InvalidModificationError,
    InvalidStateError,
    OperationError,
)
from .icecandidate import RTCIceCandidate
from .jsep import TransportSpec, read_description
from .mediastreams import MediaStreamTrack
from .negotiation import Negotiation
from .operations import OperationsChain
from .rtptransceiver import RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from .sctptransport import RTCSctpTransport
from .sessiondescription import RTCSessionDescription
from .settings import Settings
from .states import (
    RTCIceConnectionState,
    RTCIceGatheringState,
    RTCPeerConnectionState,
    RTCSignalingState,
    derive_connection_state,
    derive_ice_connection_state,
    derive_ice_gathering_state,
    next_signaling_state,
)
from .stats import RTCStatsReport

logger = logging.getLogger(__name__)


class RTCTrackEvent:
    """What a ``track`` event is about (aiortc passes the track itself to handlers)."""

    def __init__(
        self, receiver: RTCRtpReceiver, track: MediaStreamTrack, transceiver: RTCRtpTransceiver
    ) -> None:
        self.receiver = receiver
        self.track = track
        self.transceiver = transceiver


class RTCPeerConnection(EventEmitter):
    """A connection to a remote peer (webrtc-pc §4.4), spelled as in aiortc.

    ``settings`` holds what W3C's configuration has no place for (see :class:`Settings`).
    """

    def __init__(
        self, configuration: RTCConfiguration | None = None, *, settings: Settings | None = None
    ) -> None:
        super().__init__()
        self._configuration = configuration or RTCConfiguration()
        self._settings = settings or Settings()
        self._certificates = list(self._configuration.certificates) or [
            RTCCertificate.generateCertificate()
        ]
        for certificate in self._certificates:
            if certificate.is_expired():
                raise InvalidAccessError("an RTCCertificate in the configuration has expired")
        rng = random.Random(os.urandom(16))
        self._negotiation = Negotiation(
            rng=rng, session_id=str(rng.getrandbits(62)), cname=os.urandom(12).hex()
        )
        self._ops = OperationsChain(self._update_negotiation_needed)
        self._transports = TransportStack(
            self._configuration, self._settings, self._certificates, self
        )
        self._closed = False
        self._signaling_state = RTCSignalingState.STABLE
        self._ice_connection_state = RTCIceConnectionState.NEW
        self._ice_gathering_state = RTCIceGatheringState.NEW
        self._connection_state = RTCPeerConnectionState.NEW
        self._current_local: RTCSessionDescription | None = None
        self._pending_local: RTCSessionDescription | None = None
        self._current_remote: RTCSessionDescription | None = None
        self._pending_remote: RTCSessionDescription | None = None
        self._local_model: sdp.SessionDescription | None = None
        self._held_candidates: list[sdp.Candidate | None] = []
        """Gathered for credentials no local description carries yet (see _local_candidate)."""
        self._last_offer: str | None = None
        self._last_answer: str | None = None
        self._negotiation_needed = False
        self._negotiation_event_pending = False
        self._data_channels_opened = 0
        self._data_channels_closed = 0
        if self._configuration.iceCandidatePoolSize > 0:
            self._prefetch_candidates()

    def _prefetch_candidates(self) -> None:
        """iceCandidatePoolSize > 0: gather now, before any description (webrtc-pc §4.4.1.3).

        One bundled transport needs one pool entry, so any size above 0 means the same here.
        Without a running loop (a connection built in synchronous code) it waits for the first
        description, as with a pool size of 0.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self._transports.start_gathering(wait=False))
        self._handler_tasks.add(task)
        task.add_done_callback(self._handler_done)

    # ------------------------------------------------------------------------------------------
    # State

    @property
    def signalingState(self) -> str:
        return self._signaling_state

    @property
    def iceConnectionState(self) -> str:
        return self._ice_connection_state

    @property
    def iceGatheringState(self) -> str:
        return self._ice_gathering_state

    @property
    def connectionState(self) -> str:
        return self._connection_state

    @property
    def localDescription(self) -> RTCSessionDescription | None:
        """The pending or current local description, with the candidates gathered so far."""
        description = self._pending_local or self._current_local
        if description is None or self._local_model is None:
            return description
        return RTCSessionDescription(sdp.write(self._local_model), description.type)

    @property
    def remoteDescription(self) -> RTCSessionDescription | None:
        return self._pending_remote or self._current_remote

    @property
    def currentLocalDescription(self) -> RTCSessionDescription | None:
        return self._current_local

    @property
    def pendingLocalDescription(self) -> RTCSessionDescription | None:
        return self._pending_local

    @property
    def currentRemoteDescription(self) -> RTCSessionDescription | None:
        return self._current_remote

    @property
    def pendingRemoteDescription(self) -> RTCSessionDescription | None:
        return self._pending_remote

    @property
    def sctp(self) -> RTCSctpTransport | None:
        """The SCTP transport once a data section was negotiated (webrtc-pc §6.1)."""
        return self._transports.sctp if self._negotiation.sctp_mid is not None else None

    @property
    def canTrickleIceCandidates(self) -> bool | None:
        remote = self.remoteDescription
        if remote is None:
            return None
        return "trickle" in remote.sdp

    def getConfiguration(self) -> RTCConfiguration:
        return self._configuration

    def setConfiguration(self, configuration: RTCConfiguration) -> None:
        """Change the ICE servers and policies; certificates and bundle/rtcp-mux policies are
        fixed at construction (webrtc-pc §4.4.1.6 "set the configuration")."""
        self._check_open()
        old = self._configuration
        if configuration.certificates and configuration.certificates != old.certificates:
            raise InvalidModificationError("certificates cannot change")
        if configuration.bundlePolicy != old.bundlePolicy:
            raise InvalidModificationError("bundlePolicy cannot change")
        if configuration.rtcpMuxPolicy != old.rtcpMuxPolicy:
            raise InvalidModificationError("rtcpMuxPolicy cannot change")
        if (
            configuration.iceCandidatePoolSize != old.iceCandidatePoolSize
            and self._local_model is not None
        ):
            raise InvalidModificationError("iceCandidatePoolSize cannot change once negotiating")
        certificates = old.certificates
        self._configuration = configuration
        self._configuration.certificates = certificates
        self._transports.set_ice_servers(configuration.iceServers)

    # ------------------------------------------------------------------------------------------
    # Transceivers and tracks

    def getTransceivers(self) -> list[RTCRtpTransceiver]:
        return list(self._negotiation.transceivers)

    def getSenders(self) -> list[RTCRtpSender]:
        return [t.sender for t in self._negotiation.transceivers]

    def getReceivers(self) -> list[RTCRtpReceiver]:
        return [t.receiver for t in self._negotiation.transceivers]

    def addTrack(self, track: MediaStreamTrack, *streams: Any) -> RTCRtpSender:
        """Send ``track``, reusing a transceiver of its kind that has no track (webrtc-pc §5.1)."""
        self._check_open()
        if track.kind not in ("audio", "video"):
            raise InternalKindError(track.kind)
        for t in self._negotiation.transceivers:
            if t.sender.track is track:
                raise InvalidAccessError("this track already has a sender")
        stream_ids = [getattr(s, "id", str(s)) for s in streams]
        for t in self._negotiation.transceivers:
            if (
                t.kind == track.kind
                and t.sender.track is None
                and not t.stopped
                and t._current_direction is not None
                and t.sender._ssrc
            ):
                t.sender._RTCRtpSender__track = track  # type: ignore[attr-defined]
                t.sender.setStreams(*stream_ids)
                if t.direction == "recvonly":
                    t.direction = "sendrecv"
                elif t.direction == "inactive":
                    t.direction = "sendonly"
                self._update_negotiation_needed()
                return t.sender
        sender = RTCRtpSender(track, self._transports.dtls_transport)
        sender.setStreams(*stream_ids)
        transceiver = self._negotiation.add_transceiver(
            track.kind, "sendrecv", by_track=True, sender=sender
        )
        transceiver.receiver.transport = self._transports.dtls_transport
        self._update_negotiation_needed()
        return transceiver.sender

    def addTransceiver(
        self, trackOrKind: MediaStreamTrack | str, direction: str = "sendrecv"
    ) -> RTCRtpTransceiver:
        self._check_open()
        if isinstance(trackOrKind, MediaStreamTrack):
            kind = trackOrKind.kind
            sender = RTCRtpSender(trackOrKind, self._transports.dtls_transport)
        else:
            kind = trackOrKind
            if kind not in ("audio", "video"):
                raise TypeError(f"kind must be audio or video, not {kind!r}")
            sender = RTCRtpSender(kind, self._transports.dtls_transport)
        transceiver = self._negotiation.add_transceiver(kind, direction, sender=sender)
        transceiver.receiver.transport = self._transports.dtls_transport
        self._update_negotiation_needed()
        return transceiver

    def removeTrack(self, sender: RTCRtpSender) -> None:
        self._check_open()
        for t in self._negotiation.transceivers:
            if t.sender is sender:
                if sender.track is None:
                    return
                sender._RTCRtpSender__track = None  # type: ignore[attr-defined]
                if t.direction == "sendrecv":
                    t.direction = "recvonly"
                elif t.direction == "sendonly":
                    t.direction = "inactive"
                self._update_negotiation_needed()
                return
        raise InvalidAccessError("the sender does not belong to this RTCPeerConnection")

    # ------------------------------------------------------------------------------------------
    # Data channels

    def createDataChannel(
        self,
        label: str,
        maxPacketLifeTime: int | None = None,
        maxRetransmits: int | None = None,
        ordered: bool = True,
        protocol: str = "",
        negotiated: bool = False,
        id: int | None = None,
        priority: str = "low",
    ) -> RTCDataChannel:
        """A new data channel (webrtc-pc §6.2 createDataChannel)."""
        self._check_open()
        if len(label.encode()) > 65535 or len(protocol.encode()) > 65535:
            raise TypeError("label and protocol must be at most 65535 bytes")
        if maxPacketLifeTime is not None and maxRetransmits is not None:
            raise TypeError("maxPacketLifeTime and maxRetransmits cannot both be set")
        if negotiated and id is None:
            raise TypeError("a negotiated channel needs an id")
        if id is not None and not 0 <= id <= 65534:
            raise TypeError("id must be within 0..65534")
        parameters = RTCDataChannelParameters(
            label=label,
            maxPacketLifeTime=maxPacketLifeTime,
            maxRetransmits=maxRetransmits,
            ordered=ordered,
            protocol=protocol,
            negotiated=negotiated,
            id=id,
            priority=priority,
        )
        first = not self._negotiation.data_wanted
        self._negotiation.data_wanted = True
        channel = self._transports.create_data_channel(parameters)
        if first:
            self._update_negotiation_needed()
        return channel

    # ------------------------------------------------------------------------------------------
    # Offer / answer

    def createOffer(self, iceRestart: bool = False) -> asyncio.Future[RTCSessionDescription]:
        """An offer for the current transceivers and channels (JSEP §5.2)."""
        self._check_open()
        return self._ops.enqueue(lambda: self._create_offer(iceRestart))

    def createAnswer(self) -> asyncio.Future[RTCSessionDescription]:
        """An answer to the remote offer (JSEP §5.3)."""
        self._check_open()
        return self._ops.enqueue(self._create_answer)

    def setLocalDescription(
        self, description: RTCSessionDescription | None = None
    ) -> asyncio.Future[None]:
        """Apply our offer or answer; without one, create it first (implicit SLD)."""
        self._check_open()
        return self._ops.enqueue(lambda: self._set_local(description))

    def setRemoteDescription(self, description: RTCSessionDescription) -> asyncio.Future[None]:
        self._check_open()
        if not isinstance(description, RTCSessionDescription):
            raise TypeError("setRemoteDescription takes an RTCSessionDescription")
        return self._ops.enqueue(lambda: self._set_remote(description))

    def addIceCandidate(
        self, candidate: RTCIceCandidate | dict[str, Any] | None
    ) -> asyncio.Future[None]:
        """A trickled remote candidate; None (or an empty candidate) ends the remote's list."""
        self._check_open()
        if isinstance(candidate, dict):
            init = candidate
            if (
                not init.get("candidate")
                and init.get("sdpMid") is None
                and (init.get("sdpMLineIndex") is None)
            ):
                candidate = None
            else:
                candidate = RTCIceCandidate.fromJSON(init)
        return self._ops.enqueue(lambda: self._add_ice_candidate(candidate))

    def restartIce(self) -> None:
        """Ask for an ICE restart at the next offer (webrtc-pc §4.4.1.6 restartIce)."""
        self._check_open()
        self._negotiation.ice_restart_needed = True
        self._update_negotiation_needed()

    def _transport_spec(self, setup: str) -> TransportSpec:
        ufrag, pwd = self._transports.local_credentials
        return TransportSpec(
            ice_ufrag=ufrag,
            ice_pwd=pwd,
            fingerprints=tuple(
                sdp.Fingerprint(fp.algorithm, fp.value)
                for fp in self._certificates[0].getFingerprints()
            ),
            setup=setup,
            candidates=tuple(self._transports.local_candidates),
            end_of_candidates=self._transports.gathering_complete,
            ice_lite=self._settings.ice.lite,
        )

    async def _create_offer(self, ice_restart: bool) -> RTCSessionDescription:
        self._check_open()
        await self._transports.ensure()
        if ice_restart or self._negotiation.ice_restart_needed:
            self._transports.restart_ice()
            self._negotiation.ice_restart_needed = False
        model = self._negotiation.create_offer(self._transport_spec("actpass"))
        text = sdp.write(model)
        self._last_offer = text
        return RTCSessionDescription(text, "offer")

    async def _create_answer(self) -> RTCSessionDescription:
        self._check_open()
        if self._signaling_state not in (
            RTCSignalingState.HAVE_REMOTE_OFFER,
            RTCSignalingState.HAVE_LOCAL_PRANSWER,
        ):
            raise InvalidStateError(f"cannot create an answer in {self._signaling_state.value}")
        await self._transports.ensure()
        model = self._negotiation.create_answer(
            self._transport_spec(self._transports.answer_setup())
        )
        text = sdp.write(model)
        self._last_answer = text
        return RTCSessionDescription(text, "answer")

    async def _set_local(self, description: RTCSessionDescription | None) -> None:
        self._check_open()
        if description is None or (not description.sdp and description.type != "rollback"):
            kind = description.type if description is not None else None
            if kind is None:
                kind = (
                    "answer"
                    if self._signaling_state
                    in (RTCSignalingState.HAVE_REMOTE_OFFER, RTCSignalingState.HAVE_LOCAL_PRANSWER)
                    else "offer"
                )
            if kind == "offer":
                description = await self._create_offer(False)
            else:
                answer = await self._create_answer()
                description = RTCSessionDescription(answer.sdp, kind)
        if description.type == "rollback":
            self._rollback("local")
            return
        new_state = next_signaling_state(self._signaling_state, "local", description.type)
        model = self._parse(description)
        if description.type in ("answer", "pranswer"):
            self._transports.set_local_setup(model)
        self._negotiation.apply_local(model, description.type)
        if description.type == "answer":
            self._current_local = description
            self._current_remote = self._pending_remote
            self._pending_local = self._pending_remote = None
        else:
            self._pending_local = description
        self._local_model = model
        self._transports.on_local_description(model)
        held, self._held_candidates = self._held_candidates, []
        for candidate in held:
            self._local_candidate(candidate)
        if description.type in ("answer", "pranswer"):
            self._transports.connect(self._negotiation)
        self._set_signaling_state(new_state)
        await self._transports.start_gathering(wait=self._settings.wait_for_gathering)

    async def _set_remote(self, description: RTCSessionDescription) -> None:
        self._check_open()
        if description.type == "rollback":
            self._rollback("remote")
            return
        if (
            description.type == "offer"
            and self._signaling_state == RTCSignalingState.HAVE_LOCAL_OFFER
        ):
            # webrtc-pc §4.4.1.6: a remote offer in glare implicitly rolls our offer back
            # (the "perfect negotiation" pattern relies on it).
            self._parse(description)
            self._rollback("local")
        new_state = next_signaling_state(self._signaling_state, "remote", description.type)
        model = self._parse(description)
        remote = read_description(model, description.type)
        if description.type in ("answer", "pranswer"):
            local = self._local_model
            assert local is not None
            self._check_setup(local, model)
        await self._transports.ensure()
        applied = self._negotiation.apply_remote(remote, description.type)
        self._transports.on_remote_description(remote, applied, description.type)
        if description.type == "answer":
            self._current_remote = description
            self._current_local = self._pending_local
            self._pending_local = self._pending_remote = None
        else:
            self._pending_remote = description
        self._set_signaling_state(new_state)
        if description.type in ("answer", "pranswer"):
            self._transports.connect(self._negotiation)
        for transceiver in applied.tracks:
            transceiver.receiver.transport = self._transports.dtls_transport
            self.emit("track", transceiver.receiver.track)
        for transceiver in applied.ended:
            transceiver.receiver.track.stop()

    @staticmethod
    def _check_setup(local: sdp.SessionDescription, remote: sdp.SessionDescription) -> None:
        mine = next((m.setup for m in local.media if m.setup), None)
        theirs = next((m.setup for m in remote.media if m.setup and m.port != 0), None)
        if mine is None or theirs is None:
            return
        try:
            role_from_setup(mine, theirs)
        except SetupRoleError as exc:
            raise InvalidAccessError(str(exc)) from None

    def _parse(self, description: RTCSessionDescription) -> sdp.SessionDescription:
        try:
            return sdp.parse(description.sdp)
        except sdp.SDPParseError as exc:
            raise OperationError(f"the SDP does not parse: {exc}") from None

    def _rollback(self, side: str) -> None:
        expected = (
            RTCSignalingState.HAVE_LOCAL_OFFER
            if side == "local"
            else RTCSignalingState.HAVE_REMOTE_OFFER
        )
        if self._signaling_state != expected:
            raise InvalidStateError(
                f"cannot roll back a {side} description in {self._signaling_state.value}"
            )
        removed = [t for t in self._negotiation.transceivers]
        self._negotiation.rollback()
        for t in removed:
            if t not in self._negotiation.transceivers:
                t.receiver.track.stop()
        if side == "local":
            self._pending_local = None
            current = self._current_local
            self._local_model = self._parse(current) if current is not None else None
        else:
            self._pending_remote = None
        self._set_signaling_state(RTCSignalingState.STABLE)

    async def _add_ice_candidate(self, candidate: RTCIceCandidate | None) -> None:
        self._check_open()
        remote = self.remoteDescription
        if remote is None:
            raise InvalidStateError("addIceCandidate needs a remote description")
        remote_model = self._negotiation.remote
        assert remote_model is not None
        if candidate is None:
            self._transports.add_remote_candidate(None)
            return
        mids = [s.mid for s in remote_model.sections]
        if candidate.sdpMid is not None:
            if candidate.sdpMid not in mids:
                raise OperationError(f"no m-line with mid {candidate.sdpMid!r}")
        elif candidate.sdpMLineIndex is not None:
            if not 0 <= candidate.sdpMLineIndex < len(mids):
                raise OperationError(f"no m-line at index {candidate.sdpMLineIndex}")
        else:
            raise TypeError("a candidate needs sdpMid or sdpMLineIndex")
        ufrag = candidate.usernameFragment
        if ufrag is not None and ufrag != self._transports.remote_ufrag:
            raise OperationError("the candidate's usernameFragment matches no ICE generation")
        self._transports.add_remote_candidate(candidate.to_sdp_candidate())

    # ------------------------------------------------------------------------------------------
    # Negotiation-needed (webrtc-pc §4.7.3)

    def _update_negotiation_needed(self) -> None:
        if self._closed:
            return
        if not self._ops.empty:
            return  # checked again when the chain empties
        if self._signaling_state != RTCSignalingState.STABLE:
            return  # checked again on the way back to stable
        if not self._negotiation.negotiation_needed():
            self._negotiation_needed = False
            return
        if self._negotiation_needed:
            return
        self._negotiation_needed = True
        if not self._negotiation_event_pending:
            self._negotiation_event_pending = True
            try:
                asyncio.get_running_loop().call_soon(self._fire_negotiation_needed)
            except RuntimeError:
                # No loop yet (built in synchronous code): fire at the first chance.
                self._negotiation_event_pending = False
                self._negotiation_needed = False

    def _fire_negotiation_needed(self) -> None:
        self._negotiation_event_pending = False
        if self._closed or not self._negotiation_needed:
            return
        if not self._ops.empty or self._signaling_state != RTCSignalingState.STABLE:
            return
        self.emit("negotiationneeded")

    # ------------------------------------------------------------------------------------------
    # States, fed by the transports

    def _set_signaling_state(self, state: RTCSignalingState) -> None:
        if state == self._signaling_state:
            return
        self._signaling_state = state
        self.emit("signalingstatechange")
        if state == RTCSignalingState.STABLE:
            self._negotiation_needed = False
            self._update_negotiation_needed()

    def _transport_states_changed(self) -> None:
        """Recompute the aggregate states from the transports and fire what changed."""
        if self._closed:
            return
        t = self._transports
        gathering = derive_ice_gathering_state(t.gathering_states())
        if gathering != self._ice_gathering_state:
            self._ice_gathering_state = gathering
            self.emit("icegatheringstatechange")
        ice = derive_ice_connection_state(t.ice_states(), closed=False)
        if ice != self._ice_connection_state:
            self._ice_connection_state = ice
            self.emit("iceconnectionstatechange")
        connection = derive_connection_state(t.ice_states(), t.dtls_states(), closed=False)
        if connection != self._connection_state:
            self._connection_state = connection
            self.emit("connectionstatechange")

    def _local_candidate(self, candidate: sdp.Candidate | None) -> None:
        """A local candidate was gathered (None: gathering ended); trickle it out.

        A candidate surfaces with the local description of its ICE generation (webrtc-pc
        §4.4.1.4 "surface the candidate"; JSEP §3.5.1: gathering follows setLocalDescription).
        An ICE restart draws new credentials and gathers at once, at createOffer or at a
        remote restart offer: its candidates wait here until a local description carrying
        those credentials is set, so none reaches the peer ahead of the description (whose
        ufrag it would not match) or lands in the previous generation's description.
        """
        model = self._local_model
        tag = self._bundle_tag(model)
        ufrag = (
            candidate.ufrag
            if candidate is not None and candidate.ufrag
            else self._transports.local_credentials[0]
        )
        if model is None or tag is None or model.media[tag].ice_ufrag != ufrag:
            self._held_candidates.append(candidate)
            return
        media = model.media[tag]
        event = None
        if candidate is None:
            if not media.end_of_candidates:
                media.attributes.append(sdp.Attribute("end-of-candidates"))
        else:
            if candidate not in media.candidates:
                position = next(
                    (i for i, a in enumerate(media.attributes) if isinstance(a, sdp.IceUfrag)),
                    len(media.attributes),
                )
                media.attributes.insert(position, candidate)
            event = RTCIceCandidate.from_sdp_candidate(
                candidate, sdpMid=media.mid, sdpMLineIndex=tag
            )
        # Fired from the loop, not from inside setLocalDescription: the application sends its
        # description before the candidates that follow it (webrtc-pc §5.6.1 "surface").
        asyncio.get_running_loop().call_soon(self._emit_candidate, event)

    def _emit_candidate(self, candidate: RTCIceCandidate | None) -> None:
        if not self._closed:
            self.emit("icecandidate", candidate)

    @staticmethod
    def _bundle_tag(model: sdp.SessionDescription | None) -> int | None:
        if model is None:
            return None
        for index, media in enumerate(model.media):
            if media.port != 0 or media.bundle_only:
                return index
        return None

    def _channel_opened(self, channel: RTCDataChannel) -> None:
        self._data_channels_opened += 1

    def _remote_channel(self, channel: RTCDataChannel) -> None:
        self.emit("datachannel", channel)

    def _channel_closed(self) -> None:
        self._data_channels_closed += 1

    # ------------------------------------------------------------------------------------------
    # Stats and close

    async def getStats(self) -> RTCStatsReport:
        return self._transports.stats(self._data_channels_opened, self._data_channels_closed)

    async def close(self) -> None:
        """Close everything: every task, timer and socket ends; the states become closed."""
        if self._closed:
            return
        self._closed = True
        await self._ops.close()
        for transceiver in self._negotiation.transceivers:
            transceiver.stop()
        await self._transports.close()
        self._signaling_state = RTCSignalingState.CLOSED
        self.emit("signalingstatechange")
        self._ice_connection_state = RTCIceConnectionState.CLOSED
        self.emit("iceconnectionstatechange")
        self._connection_state = RTCPeerConnectionState.CLOSED
        self.emit("connectionstatechange")
        await self.cancel_handlers()

    def _check_open(self) -> None:
        if self._closed:
            raise InvalidStateError("the RTCPeerConnection is closed")


class InternalKindError(TypeError):
    def __init__(self, kind: str) -> None:
        super().__init__(f"track kind must be audio or video, not {kind!r}")
