"""The transports of one RTCPeerConnection: ICE → DTLS → SCTP, bundled on one ICE transport.

:class:`TransportStack` turns what negotiation decided into transport actions, and transport
events into PeerConnection state:

* gathering starts with the first local description; each candidate is trickled out;
* checks start once both descriptions are known (after the answer, on either side), with the
  offerer controlling (RFC 8445 §6.1.1) unless one side is ICE-lite;
* the DTLS handshake starts when ICE first connects, in the role the ``a=setup`` exchange gave;
* SCTP starts when DTLS is connected and a data section was negotiated; channels created
  earlier open then.

An ICE restart (ours, or a remote offer with new credentials) keeps DTLS and SCTP running over
the old pair until the new one is selected.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import sdp
from dtls import (
    DtlsRole,
    RTCCertificate,
    RTCDtlsFingerprint,
    SetupRoleError,
    answer_setup,
    role_from_setup,
)

from .configuration import RTCConfiguration, RTCIceServer, RTCIceTransportPolicy
from .datachannel import RTCDataChannel, RTCDataChannelParameters
from .dtlstransport import RTCDtlsTransport
from .icetransport import RTCIceGatherer, RTCIceParameters, RTCIceTransport, ice_settings_for
from .jsep import RemoteDescription
from .negotiation import Applied, Negotiation
from .sctptransport import RTCSctpTransport
from .settings import Settings
from .states import RTCDtlsTransportState, RTCIceConnectionState, RTCIceGatheringState
from .stats import RTCStatsReport
from .statsreport import build_report

if TYPE_CHECKING:
    from .peerconnection import RTCPeerConnection

logger = logging.getLogger(__name__)


class TransportStack:
    def __init__(
        self,
        configuration: RTCConfiguration,
        settings: Settings,
        certificates: list[RTCCertificate],
        pc: RTCPeerConnection,
    ) -> None:
        self._settings = settings
        self._certificates = certificates
        self._pc = pc
        self._relay_only = configuration.iceTransportPolicy is RTCIceTransportPolicy.RELAY
        self.gatherer = RTCIceGatherer(
            None,
            settings=ice_settings_for(
                configuration.iceServers, settings.ice, relay_only=self._relay_only
            ),
        )
        self.ice = RTCIceTransport(self.gatherer)
        self.gatherer.on("icecandidate", pc._local_candidate)
        self.gatherer.on("statechange", pc._transport_states_changed)
        self.ice.on("statechange", self._ice_state_changed)
        self.ice.on("selectedcandidatepairchange", self._pair_changed)
        self.selected_pair_changes = 0
        self._dtls: RTCDtlsTransport | None = None
        self._sctp: RTCSctpTransport | None = None
        self._gathering = False
        self._local_setup: str | None = None
        self._remote_setup: str | None = None
        self._remote_ice: RTCIceParameters | None = None
        self._remote_fingerprints: list[RTCDtlsFingerprint] = []
        self._remote_sctp: tuple[int, int] | None = None
        self._checks_for: str | None = None
        """The remote ufrag our checks run against (None before the first start)."""
        self._controlling: bool | None = None
        self._dtls_role: DtlsRole | None = None
        self._closed = False

    # --- lazily created transports ------------------------------------------------------------

    async def ensure(self) -> None:
        """Create the DTLS transport (it needs the running loop)."""
        if self._dtls is None:
            self._dtls = RTCDtlsTransport(
                self.ice, self._certificates, settings=self._settings.dtls
            )
            self._dtls.on("statechange", self._dtls_state_changed)
            if self._sctp is not None:
                self._sctp._attach(self._dtls)

    @property
    def dtls_transport(self) -> RTCDtlsTransport | None:
        return self._dtls

    @property
    def sctp(self) -> RTCSctpTransport | None:
        return self._sctp

    def _ensure_sctp(self) -> RTCSctpTransport:
        if self._sctp is None:
            self._sctp = RTCSctpTransport(self._dtls, settings=self._settings)
            self._sctp._on_channel_open = self._pc._channel_opened
            self._sctp.on("datachannel", self._pc._remote_channel)
            self._sctp._on_channel_close = self._pc._channel_closed
            if self._dtls_role is not None:
                self._sctp._set_dtls_role(self._dtls_role)
        return self._sctp

    def create_data_channel(self, parameters: RTCDataChannelParameters) -> RTCDataChannel:
        return self._ensure_sctp()._create_channel(parameters)

    # --- ICE credentials and candidates ---------------------------------------------------------

    @property
    def local_credentials(self) -> tuple[str, str]:
        return self.ice.connection.local_credentials

    @property
    def local_candidates(self) -> list[sdp.Candidate]:
        return self.ice.connection.local_candidates

    @property
    def gathering_complete(self) -> bool:
        return self.gatherer.state == "complete"

    @property
    def remote_ufrag(self) -> str | None:
        return self._remote_ice.usernameFragment if self._remote_ice else None

    async def start_gathering(self, *, wait: bool) -> None:
        if wait:
            await self.gatherer.gather()
        else:
            await self.gatherer.start_gathering()

    def restart_ice(self) -> None:
        if self.gatherer._gathering_started:
            self.gatherer._restart()

    def set_ice_servers(self, servers: list[RTCIceServer] | None) -> None:
        """New ICE servers apply from the next gathering (an ICE restart)."""
        self.ice.connection.settings = ice_settings_for(
            servers, self._settings.ice, relay_only=self._relay_only
        )

    def add_remote_candidate(self, candidate: sdp.Candidate | None) -> None:
        self.ice._add_remote(candidate)

    # --- descriptions ---------------------------------------------------------------------------

    def answer_setup(self) -> str:
        """Our a=setup for an answer: active to actpass (RFC 8842 §5.3)."""
        try:
            return str(answer_setup(self._remote_setup or "actpass"))
        except SetupRoleError:
            return "active"

    def set_local_setup(self, model: sdp.SessionDescription) -> None:
        self._local_setup = next((m.setup for m in model.media if m.setup), None)

    def on_local_description(self, model: sdp.SessionDescription) -> None:
        if self._local_setup is None:
            self._local_setup = next((m.setup for m in model.media if m.setup), None)
        if self._controlling is None:
            # The first offerer controls (RFC 8445 §6.1.1); ICE-lite never does (§6.1.3.1).
            offerer = self._remote_ice is None
            self._controlling = offerer and not self._settings.ice.lite
            # From now on: the answerer's checks may arrive before its answer does.
            self.ice.connection.set_role(controlling=self._controlling)

    def on_remote_description(
        self, remote: RemoteDescription, applied: Applied, description_type: str
    ) -> None:
        live = applied.remote_sections
        if not live:
            return
        tag = live[0]
        assert tag.ice_ufrag is not None and tag.ice_pwd is not None
        previous = self._remote_ice
        if (
            description_type == "offer"
            and previous is not None
            and previous.usernameFragment != tag.ice_ufrag
        ):
            # A remote ICE restart: we answer with new credentials too (RFC 8445 §9).
            self.restart_ice()
        self._remote_ice = RTCIceParameters(tag.ice_ufrag, tag.ice_pwd, remote.ice_lite)
        if self._controlling is None:
            self._controlling = False
        if remote.ice_lite and not self._settings.ice.lite:
            self._controlling = True
        self._remote_setup = tag.setup
        self._remote_fingerprints = [
            RTCDtlsFingerprint(fp.algorithm, fp.value) for fp in tag.fingerprints
        ]
        for section in live:
            if section.ice_ufrag == tag.ice_ufrag:
                for candidate in section.candidates:
                    self.ice._add_remote(candidate)
        if any(s.end_of_candidates for s in live):
            self.ice._add_remote(None)
        if applied.sctp is not None:
            self._remote_sctp = (
                applied.sctp.sctp_port or 5000,
                applied.sctp.max_message_size or 0,
            )
            sctp = self._ensure_sctp()
            sctp._set_remote(*self._remote_sctp)

    def connect(self, negotiation: Negotiation) -> None:
        """Both descriptions are known: start (or restart) checks, learn the DTLS role."""
        remote = self._remote_ice
        if remote is None or self._closed:
            return
        if self._dtls_role is None and self._local_setup and self._remote_setup:
            try:
                self._dtls_role = role_from_setup(self._local_setup, self._remote_setup)
            except SetupRoleError as exc:
                logger.warning("no DTLS role: %s", exc)
            else:
                if self._sctp is not None:
                    self._sctp._set_dtls_role(self._dtls_role)
        if self._checks_for != remote.usernameFragment:
            self._checks_for = remote.usernameFragment
            self.ice._start_checks(remote, controlling=bool(self._controlling))
        self._maybe_start_dtls()

    def _maybe_start_dtls(self) -> None:
        dtls = self._dtls
        if (
            dtls is None
            or dtls.state != "new"
            or self._dtls_role is None
            or self.ice.state not in ("connected", "completed")
        ):
            return
        dtls._start(self._dtls_role, self._remote_fingerprints)

    def _maybe_start_sctp(self) -> None:
        sctp = self._sctp
        dtls = self._dtls
        if sctp is None or dtls is None or dtls.state != "connected":
            return
        if self._remote_sctp is None:
            return
        sctp._start()

    # --- transport states -------------------------------------------------------------------------

    def _ice_state_changed(self) -> None:
        if self.ice.state in ("connected", "completed"):
            self._maybe_start_dtls()
        self._pc._transport_states_changed()

    def _pair_changed(self) -> None:
        self.selected_pair_changes += 1

    def _dtls_state_changed(self) -> None:
        dtls = self._dtls
        if dtls is not None and dtls.state == "connected":
            self._maybe_start_sctp()
        elif dtls is not None and dtls.state in ("closed", "failed") and self._sctp is not None:
            self._sctp.core.transport_closed(f"DTLS {dtls.state}")
        self._pc._transport_states_changed()

    def gathering_states(self) -> list[RTCIceGatheringState]:
        if not self._gathering and self.gatherer.state == "new":
            return []
        return [RTCIceGatheringState(self.gatherer.state)]

    def ice_states(self) -> list[RTCIceConnectionState]:
        if self._remote_ice is None and self.ice.state == "new":
            return []
        return [RTCIceConnectionState(self.ice.state)]

    def dtls_states(self) -> list[RTCDtlsTransportState]:
        if self._dtls is None or self._remote_ice is None:
            return []
        return [RTCDtlsTransportState(self._dtls.state)]

    # --- stats and close ------------------------------------------------------------------------

    def stats(self, opened: int, closed: int) -> RTCStatsReport:
        return build_report(self, opened, closed)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._sctp is not None:
            await self._sctp._close()
        if self._dtls is not None:
            await self._dtls.stop()
        await self.ice.stop()
        for emitter in (self.gatherer, self.ice, self._dtls, self._sctp):
            if emitter is not None:
                await emitter.cancel_handlers()
