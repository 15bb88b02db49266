"""The SDP fixtures: real Chromium captures and hand-written Firefox/Safari/ICE-lite ones."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHROMIUM = sorted((FIXTURES / "chromium").glob("*.sdp"))
HANDWRITTEN = sorted((FIXTURES / "handwritten").glob("*.sdp"))
ALL = CHROMIUM + HANDWRITTEN


def read(path: Path) -> str:
    return path.read_bytes().decode()


def normalised(text: str) -> str:
    return text.replace("\r\n", "\n")
