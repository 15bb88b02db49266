"""The examples run as README says they do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_sdp_summary_prints_a_real_offer() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "sdp_summary.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "m=application mid=2 UDP/DTLS/SCTP" in out
    assert "SCTP port 5000" in out
    assert out.rstrip().endswith("written back byte-exact: True")


def test_main_demo_runs() -> None:
    """README's demo: two peers on loopback, chat, a transfer, stats, close."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py"), "--megabytes", "2"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert "alice <- bob got 'Grüße 🎉'" in out
    assert "MB/s" in out and "DTLS connected" in out
    assert out.rstrip().endswith("closed: closed closed")
