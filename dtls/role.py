"""Who is the DTLS client: the SDP ``a=setup`` negotiation (RFC 4145 §4, RFC 8842 §5).

The offerer writes ``actpass`` (RFC 8842 §5.2: it MUST); the answerer picks ``active`` or
``passive``. The ``active`` end opens the connection, so it is the DTLS client and sends the
ClientHello; the ``passive`` end is the DTLS server. ``holdconn`` means no connection at all.
"""

from __future__ import annotations

from enum import StrEnum

from .errors import SetupRoleError


class DtlsRole(StrEnum):
    """W3C ``RTCDtlsRole`` without ``auto`` (the role is known once both descriptions are)."""

    CLIENT = "client"
    SERVER = "server"


class Setup(StrEnum):
    """The values of ``a=setup`` (RFC 4145 §4)."""

    ACTIVE = "active"
    PASSIVE = "passive"
    ACTPASS = "actpass"
    HOLDCONN = "holdconn"


def _parse(value: str) -> Setup:
    try:
        return Setup(value.strip().lower())
    except ValueError:
        raise SetupRoleError(f"unknown a=setup value {value!r}") from None


def answer_setup(offered: str) -> Setup:
    """The ``a=setup`` an answerer writes for an offer's value.

    RFC 8842 §5.3: to ``actpass`` the answerer SHOULD answer ``active`` (it then starts the
    handshake at once, saving a round trip); to ``active`` it answers ``passive`` and to
    ``passive`` ``active``.
    """
    setup = _parse(offered)
    if setup is Setup.ACTPASS or setup is Setup.PASSIVE:
        return Setup.ACTIVE
    if setup is Setup.ACTIVE:
        return Setup.PASSIVE
    raise SetupRoleError("the offer says holdconn: there is no DTLS connection to set up")


def role_from_setup(local: str, remote: str) -> DtlsRole:
    """Our DTLS role once both descriptions are known.

    Exactly one side must end up ``active``: both ``active``, both ``passive``, both
    ``actpass`` or any ``holdconn`` raise :class:`SetupRoleError`.
    """
    mine, theirs = _parse(local), _parse(remote)
    if Setup.HOLDCONN in (mine, theirs):
        raise SetupRoleError("a=setup:holdconn: there is no DTLS connection to set up")
    if mine is Setup.ACTPASS:
        if theirs is Setup.ACTPASS:
            raise SetupRoleError("both ends say actpass: the answer must choose a role")
        mine = Setup.PASSIVE if theirs is Setup.ACTIVE else Setup.ACTIVE
    elif theirs is not Setup.ACTPASS and theirs is mine:
        raise SetupRoleError(f"both ends say {mine.value}: one must be active, one passive")
    return DtlsRole.CLIENT if mine is Setup.ACTIVE else DtlsRole.SERVER
