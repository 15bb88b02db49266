"""Keeps the sans-IO cores free of I/O, clocks and global randomness (../shared/DESIGN.md).

Every module of the five packages is a core unless it is named in ``ADAPTER_MODULES``: a new
module starts out held to the rule, and making it an adapter is a visible, reviewed decision.
Imports under ``if TYPE_CHECKING:`` are allowed (a core may annotate a ``random.Random``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("sdp", "ice", "dtls", "sctp", "webrtc")

FORBIDDEN_MODULES = frozenset(
    {
        "asyncio",
        "concurrent",
        "ifaddr",
        "random",
        "secrets",
        "selectors",
        "socket",
        "socketserver",
        "subprocess",
        "threading",
        "time",
        "uvloop",
    }
)

# The asyncio shells, sockets and W3C objects; everything else must stay sans-IO.
ADAPTER_MODULES: frozenset[str] = frozenset(
    {
        "webrtc/__init__.py",
        "dtls/certificate.py",  # wall clock (validity) and OS randomness (serial), once per cert
        "dtls/transport.py",  # the asyncio shell of dtls/core.py
        "webrtc/emitter.py",
        "webrtc/runner.py",  # runs the application's event loop
        "webrtc/icetransport.py",  # the W3C ICE objects over ice.IceConnection
        "webrtc/peerconnection.py",  # the facade: operations chain, events, OS randomness
        "webrtc/mediastreams.py",
        "webrtc/operations.py",
        "ice/udp.py",
        "ice/gather.py",
        "ice/connection.py",
        "sctp/transport.py",
        "sctp/datachannel.py",
    }
)


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def violations(source: str) -> list[str]:
    """Forbidden imports and ``os.urandom`` uses in one module's source, outside TYPE_CHECKING."""
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for stmt in node.orelse:
                visit(stmt)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in FORBIDDEN_MODULES:
                    found.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] in FORBIDDEN_MODULES:
                found.append(f"line {node.lineno}: from {node.module} import ...")
            if node.module == "os" and any(a.name == "urandom" for a in node.names):
                found.append(f"line {node.lineno}: from os import urandom")
        elif (
            isinstance(node, ast.Attribute)
            and node.attr == "urandom"
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ):
            found.append(f"line {node.lineno}: os.urandom")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    return found


def test_packages_exist_and_are_typed() -> None:
    for pkg in PACKAGES:
        assert (ROOT / pkg / "__init__.py").is_file(), pkg
        assert (ROOT / pkg / "py.typed").is_file(), pkg


def test_adapter_list_names_real_modules() -> None:
    for name in ADAPTER_MODULES:
        assert (ROOT / name).is_file(), f"ADAPTER_MODULES names a missing module: {name}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_modules_do_no_io(path: Path) -> None:
    rel = str(path.relative_to(ROOT))
    if rel in ADAPTER_MODULES:
        return
    found = violations(path.read_text())
    assert not found, f"{rel} is a sans-IO core but has: {found}"


def test_the_checker_catches_what_it_should() -> None:
    bad = (
        "import asyncio\nfrom time import monotonic\nimport os\nx = os.urandom(4)\n"
        "from random import Random\nimport socket as s\n"
    )
    assert len(violations(bad)) == 5
    ok = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import random\nimport os.path\n"
    assert violations(ok) == []
