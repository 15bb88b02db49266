"""Our lab peer (``examples/lab_peer.py``) in the WebRTC lab harness (``../shared/lab``).

The harness runs each peer in a network namespace of its own, joined by a veth pair, relays
the signalling and prints one JSON summary line: this is our stack the way a user runs it,
against Chromium and aiortc, in separate processes over a real link. The harness lives beside
the clone (``../shared/lab``); its set-up script (idempotent) is run first, and the test fails
loudly if either is missing. Needs root (``ip netns``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT.parent / "shared" / "lab"
PEER = ROOT / "examples" / "lab_peer.py"
OURS = f"cmd:{sys.executable} -u {PEER}"
LOCK_WAIT = 120.0
"""The harness allows one run at a time on the machine (its namespaces have fixed names)."""


@pytest.fixture(scope="module")
def lab() -> Path:
    if os.geteuid() != 0:
        raise RuntimeError("the lab harness needs root (it creates network namespaces)")
    if not (LAB / "run.py").is_file() or not (LAB / "setup.sh").is_file():
        raise RuntimeError(f"the lab harness is missing: expected it in {LAB}")
    setup = subprocess.run(
        ["bash", str(LAB / "setup.sh")], capture_output=True, text=True, timeout=900, check=False
    )
    if setup.returncode != 0:
        raise RuntimeError(f"{LAB}/setup.sh failed ({setup.returncode}):\n{setup.stderr[-3000:]}")
    return LAB


def run_lab(lab: Path, *args: str) -> dict[str, Any]:
    """One harness run; its JSON summary. Waits while another run holds the harness."""
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        proc = subprocess.run(
            [sys.executable, str(lab / "run.py"), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if proc.returncode == 2 and "run.lock" in proc.stderr and time.monotonic() < deadline:
            time.sleep(1.0)
            continue
        lines = proc.stdout.strip().splitlines()
        assert lines, f"no summary from run.py (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
        summary: dict[str, Any] = json.loads(lines[-1])
        return summary


@pytest.mark.parametrize(
    ("offer", "answer"),
    [(OURS, "chromium"), ("chromium", OURS), (OURS, "aiortc"), ("aiortc", OURS)],
    ids=["ours-to-chromium", "chromium-to-ours", "ours-to-aiortc", "aiortc-to-ours"],
)
def test_dc_echo_in_the_lab(lab: Path, offer: str, answer: str) -> None:
    summary = run_lab(lab, "--offer", offer, "--answer", answer, "--scenario", "dc-echo")
    where = f"(logs in {summary.get('log_dir')})"
    assert summary["ok"] is True, f"{summary.get('error')} {where}"
    offerer, answerer = summary["a"]["result"], summary["b"]["result"]
    assert offerer["ok"] is True and offerer["messages"] == 50, where
    assert answerer["ok"] is True and answerer["echoed"] == 50, where
    ours = offerer if offer == OURS else answerer
    assert ours["impl"] == "webrtc-stack"
    # Each peer exits on its own once the harness closes its stdin.
    assert summary["a"]["exit"] == 0 and summary["b"]["exit"] == 0, where


@pytest.mark.parametrize("scenario", ["dc-empty", "dc-types", "dc-large", "dc-churn"])
@pytest.mark.parametrize(
    ("offer", "answer"),
    [(OURS, "aiortc"), ("chromium", OURS)],
    ids=["ours-to-aiortc", "chromium-to-ours"],
)
def test_data_channel_scenarios_in_the_lab(
    lab: Path, offer: str, answer: str, scenario: str
) -> None:
    """Empty messages, every channel type, large messages, channel churn: the harness checks
    each (a bundling bug once failed dc-types against both peers while dc-echo passed)."""
    summary = run_lab(lab, "--offer", offer, "--answer", answer, "--scenario", scenario)
    where = f"(logs in {summary.get('log_dir')})"
    assert summary["ok"] is True, f"{summary.get('error')} {where}"
    offerer, answerer = summary["a"]["result"], summary["b"]["result"]
    assert offerer["ok"] is True and answerer["ok"] is True, where
    ours = offerer if offer == OURS else answerer
    assert ours["impl"] == "webrtc-stack"
    assert summary["a"]["exit"] == 0 and summary["b"]["exit"] == 0, where
