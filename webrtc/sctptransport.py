"""RTCSctpTransport (webrtc-pc §6.1) over :class:`sctp.SctpTransport`.

It exists as soon as the application asks for a data channel or a remote offer brings a data
section, before the DTLS transport or the DTLS role may be known: channels made that early get
their stream id when the role is known (RFC 8832 §6: the DTLS client takes even ids) and open
when the association is up.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from dtls import DtlsRole, DtlsSettings
from dtls.record_protection import MAX_OVERHEAD
from sctp import ChannelParameters, SctpSettings, SctpTransport
from sctp import DataChannel as SctpDataChannel

from .datachannel import RTCDataChannel, RTCDataChannelParameters
from .emitter import EventEmitter
from .rtp_parameters import RTCSctpCapabilities

if TYPE_CHECKING:
    from .dtlstransport import RTCDtlsTransport
    from .settings import Settings

_stats_ids = itertools.count()


class RTCSctpTransport(EventEmitter):
    """Data channels over DTLS (events: ``statechange``, ``datachannel``)."""

    def __init__(
        self,
        transport: RTCDtlsTransport | None,
        port: int = 5000,
        *,
        settings: Settings | None = None,
    ) -> None:
        super().__init__()
        self.__transport = transport
        base = settings.sctp if settings is not None else SctpSettings()
        dtls_mtu = settings.dtls.mtu if settings is not None else DtlsSettings().mtu
        # One SCTP packet per DTLS record (RFC 8261 §5): it must fit the record's payload.
        mtu = min(base.mtu, dtls_mtu - MAX_OVERHEAD)
        self._settings = replace(base, local_port=port, mtu=mtu)
        self._core = SctpTransport(
            transport.dtls if transport is not None else None,
            dtls_client=None,
            settings=self._settings,
            channel_class=self._make_channel,
        )
        self._core.on_datachannel = self._remote_channel
        self._core.on_statechange = self._state_changed
        self._started = False
        self._on_channel_open: Callable[[RTCDataChannel], Any] | None = None
        self._on_channel_close: Callable[[], Any] | None = None

    # --- W3C attributes ---------------------------------------------------------------------------

    @property
    def transport(self) -> RTCDtlsTransport | None:
        return self.__transport

    @property
    def state(self) -> str:
        """connecting, connected or closed."""
        return self._core.state

    @property
    def maxMessageSize(self) -> float:
        return self._core.maxMessageSize

    @property
    def maxChannels(self) -> int | None:
        return self._core.maxChannels

    @property
    def port(self) -> int:
        return self._settings.local_port

    @property
    def core(self) -> SctpTransport:
        return self._core

    @classmethod
    def getCapabilities(cls) -> RTCSctpCapabilities:
        return RTCSctpCapabilities(maxMessageSize=SctpSettings().max_message_size)

    # --- ORTC-style use (aiortc) ------------------------------------------------------------------

    async def start(self, remoteCaps: RTCSctpCapabilities, remotePort: int = 5000) -> None:
        """Start the association over an already connected DTLS transport (aiortc's API)."""
        dtls = self.__transport
        if dtls is None:
            raise ValueError("an RTCSctpTransport needs an RTCDtlsTransport to start")
        self._set_remote(remotePort, remoteCaps.maxMessageSize)
        role = dtls.dtls.role
        if role is None:
            await dtls.dtls.wait_connected()
            role = dtls.dtls.role
        assert role is not None
        self._set_dtls_role(role)
        self._start()

    async def stop(self) -> None:
        await self._close()

    # --- driven by the PeerConnection -------------------------------------------------------------

    def _attach(self, transport: RTCDtlsTransport) -> None:
        self.__transport = transport
        self._core.attach(transport.dtls)

    def _set_remote(self, port: int, max_message_size: int) -> None:
        self._core.set_remote_parameters(port=port, max_message_size=max_message_size)

    def _set_dtls_role(self, role: DtlsRole) -> None:
        self._core.set_dtls_role(client=role == DtlsRole.CLIENT)

    def _start(self) -> None:
        if not self._started:
            self._started = True
            self._core.start()

    async def _close(self) -> None:
        """Tear the association down with an ABORT, as webrtc-pc's "close the connection" says
        (and browsers do): waiting for a graceful SHUTDOWN would hold ``close()`` for seconds
        when the peer has already gone."""
        self._core.abort("RTCPeerConnection closed")
        await self.cancel_handlers()
        for channel in self._all_channels():
            await channel.cancel_handlers()

    def _create_channel(self, p: RTCDataChannelParameters) -> RTCDataChannel:
        channel = self._core.create_data_channel(
            p.label,
            ordered=p.ordered,
            max_packet_lifetime=p.maxPacketLifeTime,
            max_retransmits=p.maxRetransmits,
            protocol=p.protocol,
            negotiated=p.negotiated,
            id=p.id,
            priority=p.priority,
        )
        assert isinstance(channel, RTCDataChannel)
        return channel

    def _all_channels(self) -> list[RTCDataChannel]:
        return [c for c in self._core.channels if isinstance(c, RTCDataChannel)]

    def _make_channel(
        self, core: SctpTransport, stream_id: int | None, params: ChannelParameters
    ) -> SctpDataChannel:
        channel = RTCDataChannel(core, stream_id, params)
        channel._stats_id = next(_stats_ids)
        channel._owner = self
        return channel

    def _remote_channel(self, channel: SctpDataChannel) -> None:
        assert isinstance(channel, RTCDataChannel)
        channel._remote = True
        self.emit("datachannel", channel)

    def _state_changed(self, state: str) -> None:
        self.emit("statechange")
