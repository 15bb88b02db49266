"""STUN (RFC 8489): the message codec, its attributes, integrity and client transaction timing."""

from .attributes import Address, Attr, comprehension_required
from .integrity import long_term_key, short_term_key
from .message import (
    MAX_MESSAGE_SIZE,
    Method,
    StunClass,
    StunMessage,
    encode_message,
    is_stun,
    message_type,
    parse_message,
    split_type,
)
from .transaction import Step, Transaction

__all__ = [
    "MAX_MESSAGE_SIZE",
    "Address",
    "Attr",
    "Method",
    "Step",
    "StunClass",
    "StunMessage",
    "Transaction",
    "comprehension_required",
    "encode_message",
    "is_stun",
    "long_term_key",
    "message_type",
    "parse_message",
    "short_term_key",
    "split_type",
]
