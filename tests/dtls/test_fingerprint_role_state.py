"""Pure helpers: fingerprints, the a=setup role table, the state transition table."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dtls import (
    DtlsRole,
    FingerprintError,
    RTCDtlsFingerprint,
    RTCDtlsTransportState,
    Setup,
    SetupRoleError,
    answer_setup,
    certificate_fingerprint,
    role_from_setup,
)
from dtls.fingerprint import FingerprintVerifier, fingerprint_bytes, format_fingerprint
from dtls.state import ALLOWED_TRANSITIONS, IllegalTransitionError, check_transition

# ---------------------------------------------------------------- fingerprints


def test_fingerprint_is_upper_case_hex_pairs() -> None:
    der = b"not really a certificate"
    fp = certificate_fingerprint(der)
    assert fp.algorithm == "sha-256"
    assert fp.value == ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
    assert certificate_fingerprint(der, "SHA-512").value.count(":") == 63


@settings(max_examples=200)
@given(st.binary(min_size=1, max_size=64))
def test_format_and_parse_round_trip(digest: bytes) -> None:
    text = format_fingerprint(digest)
    assert fingerprint_bytes(text) == digest
    assert fingerprint_bytes(text.lower()) == digest


def test_sdp_form_round_trips_and_normalises_case() -> None:
    fp = RTCDtlsFingerprint.from_sdp("SHA-256 ab:cd:0f")
    assert fp == RTCDtlsFingerprint("sha-256", "AB:CD:0F")
    assert fp.to_sdp() == "sha-256 AB:CD:0F"


@pytest.mark.parametrize("bad", ["", "abcd", "AB:C", "AB::CD", "ZZ:00", "AB:CD:"])
def test_malformed_fingerprints_raise_a_value_error(bad: str) -> None:
    with pytest.raises(FingerprintError) as info:
        fingerprint_bytes(bad)
    assert isinstance(info.value, ValueError)


def test_from_sdp_needs_two_fields() -> None:
    with pytest.raises(FingerprintError):
        RTCDtlsFingerprint.from_sdp("sha-256")
    with pytest.raises(FingerprintError):
        certificate_fingerprint(b"x", "md5")


def test_verifier_accepts_any_listed_known_hash() -> None:
    der, other = b"certificate one", b"certificate two"
    verifier = FingerprintVerifier(
        [
            RTCDtlsFingerprint("sha-1", format_fingerprint(hashlib.sha1(other).digest())),
            RTCDtlsFingerprint("SHA-384", certificate_fingerprint(der, "sha-384").value.lower()),
            RTCDtlsFingerprint("foo-1", "AB"),
        ]
    )
    assert verifier.matches(der)
    assert verifier.matches(other)
    assert not verifier.matches(b"certificate three")


def test_verifier_refuses_lists_it_cannot_use() -> None:
    with pytest.raises(FingerprintError):
        FingerprintVerifier([])
    with pytest.raises(FingerprintError):
        FingerprintVerifier([RTCDtlsFingerprint("md5", "AB:CD")])


# ---------------------------------------------------------------- a=setup

ROLE_TABLE = [
    # local, remote, our role
    ("actpass", "active", DtlsRole.SERVER),  # we offered, the answerer chose active
    ("actpass", "passive", DtlsRole.CLIENT),
    ("active", "actpass", DtlsRole.CLIENT),  # we answered active (the usual answer)
    ("passive", "actpass", DtlsRole.SERVER),
    ("active", "passive", DtlsRole.CLIENT),
    ("passive", "active", DtlsRole.SERVER),
    ("ACTIVE", " actpass ", DtlsRole.CLIENT),
]


@pytest.mark.parametrize(("local", "remote", "role"), ROLE_TABLE)
def test_role_from_setup(local: str, remote: str, role: DtlsRole) -> None:
    assert role_from_setup(local, remote) is role


@pytest.mark.parametrize(
    ("local", "remote"),
    [
        ("actpass", "actpass"),
        ("active", "active"),
        ("passive", "passive"),
        ("holdconn", "active"),
        ("active", "holdconn"),
        ("active", "sideways"),
    ],
)
def test_impossible_setups_raise(local: str, remote: str) -> None:
    with pytest.raises(SetupRoleError):
        role_from_setup(local, remote)


def test_answer_setup() -> None:
    assert answer_setup("actpass") is Setup.ACTIVE
    assert answer_setup("passive") is Setup.ACTIVE
    assert answer_setup("active") is Setup.PASSIVE
    with pytest.raises(SetupRoleError):
        answer_setup("holdconn")
    # The answer and the offer always give one client and one server.
    for offer in ("actpass", "active", "passive"):
        answer = answer_setup(offer)
        assert {role_from_setup(offer, answer), role_from_setup(answer, offer)} == set(DtlsRole)


# ---------------------------------------------------------------- the state table

STATES = list(RTCDtlsTransportState)


@given(st.sampled_from(STATES), st.sampled_from(STATES))
def test_every_transition_is_allowed_or_refused_by_the_table(
    old: RTCDtlsTransportState, new: RTCDtlsTransportState
) -> None:
    if new in ALLOWED_TRANSITIONS[old]:
        check_transition(old, new)
    else:
        with pytest.raises(IllegalTransitionError):
            check_transition(old, new)


def test_table_shape() -> None:
    assert set(ALLOWED_TRANSITIONS) == set(STATES)
    assert [s.value for s in STATES] == ["new", "connecting", "connected", "closed", "failed"]
    for final in ("closed", "failed"):
        assert not ALLOWED_TRANSITIONS[RTCDtlsTransportState(final)]
    assert RTCDtlsTransportState.CONNECTED not in ALLOWED_TRANSITIONS[RTCDtlsTransportState.NEW]
