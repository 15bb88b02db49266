"""The STUN messages of connectivity checks (RFC 8445 §7.2.2, §7.3; RFC 8489 §6.3, §9.1.3).

Pure functions: what a check carries, how an incoming request is authenticated and read, and the
answers (success with XOR-MAPPED-ADDRESS, or the error the RFCs prescribe). The agent decides
what the checks mean.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .errors import StunError, StunFingerprintError
from .generation import Generation
from .stats import AgentStats
from .stun import (
    MAX_MESSAGE_SIZE,
    Attr,
    Method,
    StunClass,
    StunMessage,
    encode_message,
    parse_message,
)
from .stun import attributes as attrs

Address = tuple[str, int]


def parse_or_count(data: bytes, stats: AgentStats) -> StunMessage | None:
    """Parse a datagram that looks like STUN; None (and a counter) if it is not valid STUN."""
    if len(data) > MAX_MESSAGE_SIZE:
        stats.stun_malformed += 1
        stats.stun_oversized += 1
        return None
    try:
        return parse_message(data)
    except StunFingerprintError:
        stats.stun_malformed += 1
        stats.stun_bad_fingerprint += 1
    except StunError:
        stats.stun_malformed += 1
    return None


def build_check(
    *,
    transaction_id: bytes,
    generation: Generation,
    priority: int,
    controlling: bool,
    tie_breaker: int,
    nominate: bool,
    software: str | None = None,
) -> bytes:
    """A Binding request for a check: USERNAME "their-ufrag:our-ufrag", PRIORITY, the role and
    tie-breaker, USE-CANDIDATE when nominating; signed with the peer's password, fingerprinted."""
    fields: dict[int, bytes] = {
        Attr.USERNAME: f"{generation.remote_ufrag}:{generation.ufrag}".encode(),
        Attr.PRIORITY: attrs.encode_u32(priority),
        (Attr.ICE_CONTROLLING if controlling else Attr.ICE_CONTROLLED): attrs.encode_u64(
            tie_breaker
        ),
    }
    if nominate:
        fields[Attr.USE_CANDIDATE] = b""
    if software:
        fields[Attr.SOFTWARE] = attrs.encode_text(Attr.SOFTWARE, software)
    return encode_message(
        Method.BINDING, StunClass.REQUEST, transaction_id, fields, key=generation.remote_key
    )


def success_answer(request: StunMessage, source: Address, key: bytes) -> bytes:
    answer = StunMessage(Method.BINDING, StunClass.SUCCESS, request.transaction_id)
    answer.set_xor_address(Attr.XOR_MAPPED_ADDRESS, source)
    return answer.encode(key=key)


def error_answer(
    request: StunMessage,
    code: int,
    reason: str,
    *,
    key: bytes | None = None,
    unknown: list[int] | None = None,
) -> bytes:
    """An error response; signed only when the request was authenticated (RFC 8489 §9.1.3)."""
    answer = StunMessage(request.method, StunClass.ERROR, request.transaction_id)
    answer.set_error_code(code, reason)
    if unknown:
        answer.attributes[Attr.UNKNOWN_ATTRIBUTES] = attrs.encode_unknown_attributes(unknown)
    return answer.encode(key=key)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request is answered with an error instead of a success."""

    code: int
    reason: str
    signed: bool
    unknown: list[int] | None = None


BAD_REQUEST = Refusal(400, "Bad Request", signed=False)
UNAUTHORIZED = Refusal(401, "Unauthorized", signed=False)


def authenticate(
    message: StunMessage, generations: Iterable[Generation | None]
) -> Generation | Refusal:
    """The generation whose ufrag and password sign this request, or why it is refused.

    400 without USERNAME or MESSAGE-INTEGRITY, 401 for an unknown ufrag or a wrong signature
    (RFC 8489 §9.1.3); only the part before the colon is ours to check (RFC 8445 §7.3).
    """
    if message.method != Method.BINDING:
        return BAD_REQUEST
    username = message.attributes.get(Attr.USERNAME)
    if username is None or not message.has_integrity:
        return BAD_REQUEST
    ours, colon, _ = username.partition(b":")
    if colon:
        for generation in generations:
            if generation is not None and ours == generation.ufrag.encode():
                return generation if message.check_integrity(generation.key) else UNAUTHORIZED
    return UNAUTHORIZED


@dataclass(frozen=True, slots=True)
class CheckFields:
    priority: int
    use_candidate: bool
    controlling: int | None
    """The peer's tie-breaker if it claims to control, else None."""
    controlled: int | None


def read_check(message: StunMessage) -> CheckFields | Refusal:
    """The ICE attributes of an authenticated check; 420 or 400 when they are unusable."""
    unknown = message.unknown_required()
    if unknown:
        return Refusal(420, "Unknown Attribute", signed=True, unknown=unknown)
    try:
        priority = message.get_u32(Attr.PRIORITY)
        controlling = message.get_u64(Attr.ICE_CONTROLLING)
        controlled = message.get_u64(Attr.ICE_CONTROLLED)
    except StunError:
        priority = None
    if priority is None:
        return Refusal(400, "Bad Request", signed=True)  # PRIORITY is mandatory (§7.1.1)
    return CheckFields(priority, Attr.USE_CANDIDATE in message.attributes, controlling, controlled)
