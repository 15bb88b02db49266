"""The knobs of an SCTP association, in one frozen dataclass with documented defaults.

Defaults follow RFC 9260 §16 where WebRTC agrees with it, and the choices of the browser stacks
(Chromium's dcsctp) where WebRTC over DTLS needs something else: a packet size that fits a DTLS
record in a 1280-byte IPv6 path, a lower RTO floor, and a ten-packet initial window.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PORT = 5000
"""The SCTP port of WebRTC data channels when SDP names none (RFC 8841 §5)."""

REMOTE_DEFAULT_MAX_MESSAGE_SIZE = 65536
"""The peer's limit when its SDP has no ``a=max-message-size`` (RFC 8841 §6.1)."""


@dataclass(frozen=True, slots=True)
class SctpSettings:
    local_port: int = DEFAULT_PORT
    """Our SCTP port (``a=sctp-port``); packets to any other port are dropped."""
    remote_port: int = DEFAULT_PORT
    """The peer's SCTP port."""
    mtu: int = 1200
    """Largest SCTP packet we build, common header included (DTLS, UDP and IP come on top)."""
    max_message_size: int = 262144
    """The largest message we accept, advertised as our ``a=max-message-size``. Larger messages
    from the peer are dropped and counted."""
    remote_max_message_size: int = REMOTE_DEFAULT_MAX_MESSAGE_SIZE
    """The peer's ``a=max-message-size``; 0 means no limit (RFC 8841 §6). ``send`` refuses larger
    messages with ``MessageTooLarge``."""
    receive_window: int = 4 * 1024 * 1024
    """Bytes of received, not yet delivered data we can hold: our advertised a_rwnd."""
    send_buffer_limit: int = 64 * 1024 * 1024
    """Bytes queued, not yet sent, over all streams, before ``send`` raises ``SendBufferFull``."""
    inbound_streams: int = 65535
    """MIS in our INIT: how many streams the peer may send on."""
    outbound_streams: int = 65535
    """OS in our INIT: how many streams we ask to send on."""
    rto_initial: float = 1.0
    """RTO.Initial (RFC 9260 §16)."""
    rto_min: float = 0.4
    """RTO.Min; 1 s in RFC 9260, 400 ms in the browser stacks (above a 200 ms delayed ack)."""
    rto_max: float = 60.0
    """RTO.Max (RFC 9260 §16)."""
    max_init_retransmits: int | None = None
    """Max.Init.Retransmits: INIT and COOKIE ECHO attempts before the handshake fails. None (the
    browsers' choice) keeps trying: in WebRTC, ICE and DTLS decide when the path is dead."""
    max_association_retransmits: int | None = None
    """Association.Max.Retrans: consecutive timeouts before the association fails. None, as in
    the browsers, never gives up for this reason (RFC 9260 §16 suggests 10)."""
    max_timer_backoff: float | None = 3.0
    """Upper bound of an exponentially backed-off timer (T1, T2, T3, heartbeat, re-config):
    WebRTC stacks cap it at 3 s so a link that comes back is used again within seconds, not
    after RTO.Max (60 s). None lets the RTO double up to ``rto_max`` as RFC 9260 does."""
    heartbeat_interval: float = 30.0
    """HB.interval on an idle association; 0 disables heartbeats."""
    delayed_ack_timeout: float = 0.2
    """Longest we delay a SACK (RFC 9260 §6.2: at most 200 ms here, 500 ms in the RFC)."""
    sack_every: int = 2
    """Send a SACK at least for every this many packets with DATA (RFC 9260 §6.2 says 2)."""
    initial_cwnd_mtus: int = 10
    """Initial congestion window in packets (RFC 9260 §7.2.1 allows 4380 bytes; browsers use 10,
    as RFC 6928 does for TCP)."""
    max_burst: int = 4
    """Max.Burst: new packets sent at once in reply to one SACK (RFC 9260 §7.2.4, §16)."""
    cookie_lifetime: float = 60.0
    """Valid.Cookie.Life."""
    partial_reliability: bool = True
    """Offer PR-SCTP (RFC 3758) FORWARD TSN; partial-reliable channels need it from both ends."""
    zero_checksum: bool = True
    """Announce Zero Checksum Acceptable with the DTLS method (RFC 9653 §6): SCTP runs over DTLS,
    whose integrity check makes the CRC32c redundant. Packets carry a zero checksum only when
    the peer announced it too; any non-zero checksum is still verified."""

    def __post_init__(self) -> None:
        if not 0 < self.local_port < 65536 or not 0 < self.remote_port < 65536:
            raise ValueError("SCTP ports must be in 1..65535")
        if not 256 <= self.mtu <= 65535:
            raise ValueError("mtu must be in 256..65535")
        if not 1 <= self.inbound_streams <= 65535 or not 1 <= self.outbound_streams <= 65535:
            raise ValueError("stream counts must be in 1..65535")
        if self.receive_window < 1500 or self.max_message_size < 0:
            raise ValueError("receive_window must be at least 1500 bytes")
        if self.max_message_size > self.receive_window:
            raise ValueError("receive_window must hold a message of max_message_size bytes")
        if not 0 < self.rto_min <= self.rto_initial <= self.rto_max:
            raise ValueError("need 0 < rto_min <= rto_initial <= rto_max")
        if self.max_timer_backoff is not None and self.max_timer_backoff <= 0:
            raise ValueError("max_timer_backoff must be positive")
        if self.sack_every < 1 or self.max_burst < 1 or self.initial_cwnd_mtus < 1:
            raise ValueError("sack_every, max_burst and initial_cwnd_mtus must be positive")
