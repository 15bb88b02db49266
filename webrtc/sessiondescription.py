"""RTCSessionDescription (webrtc-pc §4.8.1)."""

from __future__ import annotations

from dataclasses import dataclass

DESCRIPTION_TYPES = ("offer", "pranswer", "answer", "rollback")


@dataclass
class RTCSessionDescription:
    """An offer, answer, provisional answer or rollback, with its SDP text."""

    sdp: str
    type: str

    def __post_init__(self) -> None:
        if self.type not in DESCRIPTION_TYPES:
            raise ValueError(f"type must be one of {', '.join(DESCRIPTION_TYPES)}: {self.type!r}")

    def toJSON(self) -> dict[str, str]:
        return {"type": self.type, "sdp": self.sdp}
