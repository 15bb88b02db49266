"""The association's state: the RFC 9260 states and the Transmission Control Block.

The association is one class made of parts, each in the module named for its concept:
:mod:`sctp.association` (API, inputs, chunk dispatch, timers), :mod:`sctp.handshake` (the
four-way handshake), :mod:`sctp.control` (shutdown, heartbeat, ERROR, FORWARD TSN, RE-CONFIG)
and :mod:`sctp.bundling` (building packets). :class:`Tcb` is what they share: the variables of
RFC 9260 §14's TCB, declared once here with their meaning, and the few methods one part calls
in another (declared here, defined in their part).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from .chunks import InitChunk
    from .congestion import CongestionControl
    from .events import SctpEvent
    from .handshake import CookieJar
    from .outbound import Outbound
    from .reassembly import Reassembly
    from .rto import RtoEstimator
    from .settings import SctpSettings
    from .stats import AssociationStats
    from .stream_reset import StreamResetter


class AssociationState(StrEnum):
    """RFC 9260 §4 states; the W3C RTCSctpTransportState is derived from these."""

    CLOSED = "closed"
    COOKIE_WAIT = "cookie-wait"
    COOKIE_ECHOED = "cookie-echoed"
    ESTABLISHED = "established"
    SHUTDOWN_PENDING = "shutdown-pending"
    SHUTDOWN_SENT = "shutdown-sent"
    SHUTDOWN_RECEIVED = "shutdown-received"
    SHUTDOWN_ACK_SENT = "shutdown-ack-sent"


S = AssociationState
ALLOWED: Final[dict[AssociationState, frozenset[AssociationState]]] = {
    S.CLOSED: frozenset({S.COOKIE_WAIT, S.ESTABLISHED, S.CLOSED}),
    S.COOKIE_WAIT: frozenset({S.COOKIE_ECHOED, S.ESTABLISHED, S.CLOSED}),
    S.COOKIE_ECHOED: frozenset({S.ESTABLISHED, S.COOKIE_WAIT, S.CLOSED}),
    S.ESTABLISHED: frozenset({S.SHUTDOWN_PENDING, S.SHUTDOWN_RECEIVED, S.CLOSED}),
    S.SHUTDOWN_PENDING: frozenset({S.SHUTDOWN_SENT, S.SHUTDOWN_RECEIVED, S.CLOSED}),
    S.SHUTDOWN_SENT: frozenset({S.SHUTDOWN_ACK_SENT, S.CLOSED}),
    S.SHUTDOWN_RECEIVED: frozenset({S.SHUTDOWN_ACK_SENT, S.CLOSED}),
    S.SHUTDOWN_ACK_SENT: frozenset({S.CLOSED}),
}
"""Every transition the state machine may take (RFC 9260 §4, Figure 3)."""
CAN_SEND_DATA: Final = frozenset({S.ESTABLISHED, S.SHUTDOWN_PENDING, S.SHUTDOWN_RECEIVED})
CAN_RECEIVE_DATA: Final = frozenset({S.ESTABLISHED, S.SHUTDOWN_PENDING, S.SHUTDOWN_SENT})
CONNECTED: Final = frozenset(
    {S.ESTABLISHED, S.SHUTDOWN_PENDING, S.SHUTDOWN_SENT, S.SHUTDOWN_RECEIVED, S.SHUTDOWN_ACK_SENT}
)
M32: Final = 0xFFFFFFFF


class Tcb:
    """The Transmission Control Block shared by the association's parts (no behaviour)."""

    settings: SctpSettings
    log: logging.LoggerAdapter[logging.Logger]
    state: AssociationState
    ended: bool
    """True once the association has closed for good (after having started)."""
    stats: AssociationStats
    events: deque[SctpEvent]
    """Pending events (``poll_event`` pops them; drivers may also test it for emptiness)."""
    transmits: deque[bytes]
    """Packets ready to go (``poll_transmit`` pops them)."""

    # Tags, TSNs and what the handshake negotiated (RFC 9260 §5).
    local_tag: int
    local_tsn: int
    peer_tag: int
    peer_tsn: int
    inbound_streams: int
    outbound_streams: int
    partial_reliability: bool
    """Both ends support FORWARD TSN (RFC 3758)."""
    peer_reconfig: bool
    """The peer supports RE-CONFIG (RFC 6525)."""
    zero_checksum: bool
    """Both ends accept zero checksums (RFC 9653): ours go out without CRC32c."""
    remote_max_message_size: int

    # The data path and its estimators.
    rto: RtoEstimator
    cc: CongestionControl
    outbound: Outbound
    inbound: Reassembly | None
    resetter: StreamResetter | None

    # State cached for the hot path.
    _receiving: bool
    """DATA is accepted in this state."""
    _established: bool
    """ESTABLISHED exactly: single-chunk DATA and SACK packets take the fast path."""
    _sending: bool
    """DATA may be sent in this state."""

    # Packet building.
    _tx: deque[bytes]
    _control: deque[bytes]
    """Control chunks waiting for the next packet (they go before DATA, §6.10)."""
    _room: int
    """Bytes of chunks a packet can hold (mtu minus the common header)."""
    _prefix: bytes
    _prefix_crc: int
    _zero_head: bytes
    """The 12-byte common header with a zero checksum (RFC 9653), first part of a packet."""
    _flush_pending: bool
    """Something to send was queued; ``poll_transmit`` builds the packets."""

    # Handshake and secrets.
    _token_bytes: Callable[[int], bytes]
    _cookies: CookieJar

    # Timers (absolute deadlines, None when stopped) and their counters.
    _errors: int
    """Consecutive timeouts (Association.Max.Retrans counter, RFC 9260 §8.1)."""
    _t1_at: float | None
    _t1_chunk: bytes
    _t1_count: int
    _t1_rto: float
    _t2_at: float | None
    _t2_chunk: bytes
    _t2_count: int
    _sack_at: float | None
    _sack_now: bool
    _unacked_packets: int
    _sack_every: int
    _sack_coalesce: int
    _hb_at: float | None
    _hb_nonce: bytes | None
    _hb_sent_at: float
    _hb_timeout_at: float | None
    _now: float
    _soonest: float | None
    """A deadline no later than every timer's but T3 and TLP (which Outbound keeps)."""

    # --- methods one part calls in another ---------------------------------------------------

    @property
    def connected(self) -> bool:
        raise NotImplementedError

    def _set_state(self, new: AssociationState) -> None:
        raise NotImplementedError

    def _end(self, reason: str, *, error: bool) -> None:
        raise NotImplementedError

    def _arm(self, deadline: float) -> None:
        raise NotImplementedError

    def _count_error(self, what: str, now: float) -> None:
        raise NotImplementedError

    def _flush(self, now: float) -> None:
        raise NotImplementedError

    def _make_sack(self) -> bytes | None:
        raise NotImplementedError

    def _send_alone(self, chunk: bytes, vtag: int) -> None:
        raise NotImplementedError

    def _send_abort(self, causes: bytes, now: float) -> None:
        raise NotImplementedError

    def _our_init(self, cookie: bytes | None = None) -> InitChunk:
        raise NotImplementedError

    def _send_init(self, now: float) -> None:
        raise NotImplementedError

    def _establish(self, now: float) -> None:
        raise NotImplementedError

    def _shutdown_progress(self, now: float) -> None:
        raise NotImplementedError

    def _reset_incoming(self, streams: tuple[int, ...]) -> None:
        raise NotImplementedError
