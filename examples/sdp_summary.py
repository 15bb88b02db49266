"""Parse an SDP offer or answer and print what a WebRTC stack reads from it.

python examples/sdp_summary.py [file.sdp]     (default: a real Chromium offer)
"""

from __future__ import annotations

import sys
from pathlib import Path

import sdp

DEFAULT = (
    Path(__file__).resolve().parent.parent
    / "tests/sdp/fixtures/chromium/audio-video-data-offer.sdp"
)


def summary(session: sdp.SessionDescription) -> str:
    out = [f"session {session.origin.session_id} v{session.origin.session_version}"]
    for mids in session.bundle:
        out.append(f"  BUNDLE {' '.join(mids)}")
    for m in session.media:
        out.append(f"m={m.kind} mid={m.mid} {m.proto} direction={m.direction or '-'}")
        ice = f"ufrag={m.ice_ufrag or session.ice_ufrag}"
        fps = m.fingerprints or session.fingerprints
        out.append(f"  ICE {ice} setup={m.setup} fingerprint={fps[0].algorithm if fps else '-'}")
        for c in m.candidates:
            out.append(f"  candidate {c.type} {c.protocol} {c.address}:{c.port} prio={c.priority}")
        if m.rtpmaps:
            codecs = ", ".join(f"{r.encoding}/{r.clock_rate}" for r in m.rtpmaps[:6])
            out.append(f"  codecs {codecs}{' …' if len(m.rtpmaps) > 6 else ''}")
        if m.sctp_port is not None:
            out.append(f"  SCTP port {m.sctp_port}, max-message-size {m.max_message_size}")
    return "\n".join(out)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    session = sdp.parse(path.read_bytes())
    print(summary(session))
    same = sdp.write(session).replace("\r\n", "\n") == path.read_bytes().decode().replace(
        "\r\n", "\n"
    )
    print(f"written back byte-exact: {same}")


if __name__ == "__main__":
    main()
