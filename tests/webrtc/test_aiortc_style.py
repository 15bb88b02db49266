"""A program written as aiortc's documentation teaches runs unchanged on ``webrtc``.

It gathers with the default settings (every interface), so it runs inside a namespace the
test makes, whose only addresses are the test's own veth pair.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.netns import veth_namespace

ROOT = Path(__file__).resolve().parents[2]


def test_aiortc_style_program_runs() -> None:
    with veth_namespace() as ns:
        result = subprocess.run(
            [
                "ip",
                "netns",
                "exec",
                ns.name,
                sys.executable,
                str(ROOT / "examples" / "aiortc_style_chat.py"),
            ],
            capture_output=True,
            text=True,
            timeout=90,
            cwd=ROOT,
        )
    assert result.returncode == 0, result.stderr
    assert "replies: ['pong 1', 'pong 2', 'pong 3']" in result.stdout
    assert "pc1 connection state is connected" in result.stdout
