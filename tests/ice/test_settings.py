"""Settings validation, RFC 7064/7065 server URIs and the NAT 1:1 mapping."""

from __future__ import annotations

import pytest

from ice import IceConfigError, IceSettings, NetworkType
from ice.uri import ServerUri


@pytest.mark.parametrize(
    ("text", "scheme", "host", "port", "transport"),
    [
        ("stun:example.org", "stun", "example.org", 3478, None),
        ("stun:example.org:19302", "stun", "example.org", 19302, None),
        ("STUN:127.0.0.1:3478", "stun", "127.0.0.1", 3478, None),
        ("stun:[2001:DB8::1]:1234", "stun", "2001:db8::1", 1234, None),
        ("stun:[::1]", "stun", "::1", 3478, None),
        ("stuns:example.org", "stuns", "example.org", 5349, None),
        ("turn:example.org?transport=udp", "turn", "example.org", 3478, "udp"),
        ("turns:10.0.0.1:443?transport=tcp", "turns", "10.0.0.1", 443, "tcp"),
    ],
)
def test_uri_parses(text: str, scheme: str, host: str, port: int, transport: str | None) -> None:
    uri = ServerUri.parse(text)
    assert (uri.scheme, uri.host, uri.port, uri.transport) == (scheme, host, port, transport)
    assert ServerUri.parse(str(uri)) == uri


@pytest.mark.parametrize(
    "text",
    [
        "http://example.org",
        "stun://example.org",
        "stun:",
        "stun:example.org:",
        "stun:example.org:0",
        "stun:example.org:70000",
        "stun:example.org:12a",
        "stun:[::1",
        "stun:[zz::1]:3478",
        "stun:example.org?transport=udp",
        "turn:example.org?transport=sctp",
        "stun:exa mple.org",
    ],
)
def test_uri_rejects(text: str) -> None:
    with pytest.raises(IceConfigError):
        ServerUri.parse(text)


def test_defaults_are_documented_values() -> None:
    s = IceSettings()
    assert s.network_types == frozenset({NetworkType.UDP4, NetworkType.UDP6})
    assert not s.include_loopback and not s.lite and s.stun_servers == ()
    assert (s.disconnected_timeout, s.failed_timeout, s.keepalive_interval) == (5.0, 25.0, 2.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"check_interval": 0},
        {"failed_timeout": -1},
        {"stun_max_transmits": 0},
        {"port_min": 5000},
        {"port_min": 6000, "port_max": 5000},
        {"port_max": 70000},
        {"local_ufrag": "abc"},
        {"local_ufrag": "bad ufrag"},
        {"local_pwd": "short"},
        {"stun_servers": ("stun.example.org",)},
        {"stun_servers": ("turn:example.org",)},
        {"nat_1to1_ips": ("1.2.3",)},
        {"network_types": frozenset()},
        {"max_remote_candidates": 0},
    ],
)
def test_bad_settings_raise(kwargs: dict[str, object]) -> None:
    with pytest.raises(IceConfigError):
        IceSettings(**kwargs)  # type: ignore[arg-type]


def test_stun_servers_are_parsed_once() -> None:
    s = IceSettings(stun_servers=("stun:127.0.0.1:3478", "stun:localhost"))
    assert [u.host for u in s.parsed_stun_servers] == ["127.0.0.1", "localhost"]


def test_nat_1to1_mapping() -> None:
    s = IceSettings(nat_1to1_ips=("203.0.113.9", "198.51.100.1/10.0.0.7", "2001:db8::5"))
    assert s.nat_1to1_address("10.0.0.7") == "198.51.100.1"
    assert s.nat_1to1_address("10.0.0.8") == "203.0.113.9"
    assert s.nat_1to1_address("fd00::1") == "2001:db8::5"
    assert IceSettings().nat_1to1_address("10.0.0.1") is None
