"""Capture real SDP from Chromium into tests/sdp/fixtures/chromium/ (run by hand, as root).

    .venv/bin/python tests/sdp/capture_chromium.py

Chromium runs headless inside a network namespace made for the purpose with only ``lo`` up, so
it can gather nothing but 127.0.0.1 and sends nothing anywhere else. As Chromium only gathers
loopback once the page holds a media permission, the page calls getUserMedia (fake devices)
first. Each scenario writes ``<name>-offer.sdp`` and ``<name>-answer.sdp`` (the answer from a
second RTCPeerConnection in the same page), both after ICE gathering completed.
"""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.browser import CHROMIUM, CHROMIUM_ARGS

OUT = Path(__file__).resolve().parent / "fixtures" / "chromium"
NETNS = "sdpcapture"

PAGE = b"<!doctype html><title>capture</title>"

SCRIPT = """
async (scenario) => {
  await navigator.mediaDevices.getUserMedia({audio: true, video: true})
    .then(s => s.getTracks().forEach(t => t.stop()));
  const gathered = pc => new Promise(resolve => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') resolve();
    });
  });
  const offerer = new RTCPeerConnection();
  const answerer = new RTCPeerConnection();
  if (scenario.includes('audio')) offerer.addTransceiver('audio', {direction: 'sendrecv'});
  if (scenario.includes('video')) offerer.addTransceiver('video', {direction: 'sendrecv'});
  if (scenario.includes('simulcast')) {
    offerer.addTransceiver('video', {direction: 'sendonly', sendEncodings: [
      {rid: 'q', scaleResolutionDownBy: 4}, {rid: 'h', scaleResolutionDownBy: 2}, {rid: 'f'}]});
  }
  if (scenario.includes('tracks')) {
    const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
    for (const t of stream.getTracks()) offerer.addTrack(t, stream);
  }
  if (scenario.includes('data')) offerer.createDataChannel('chat');
  await offerer.setLocalDescription(await offerer.createOffer());
  await gathered(offerer);
  const offer = offerer.localDescription.sdp;
  await answerer.setRemoteDescription({type: 'offer', sdp: offer});
  if (scenario.includes('tracks')) {
    const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
    for (const t of stream.getTracks()) answerer.addTrack(t, stream);
  }
  await answerer.setLocalDescription(await answerer.createAnswer());
  await gathered(answerer);
  const answer = answerer.localDescription.sdp;
  offerer.close(); answerer.close();
  return {offer, answer};
}
"""

SCENARIOS = ["data", "audio", "video", "audio-video-data", "simulcast", "tracks-data"]


def _serve() -> tuple[http.server.HTTPServer, int]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def capture() -> None:
    from playwright.sync_api import sync_playwright

    server, port = _serve()
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(permissions=["camera", "microphone"])
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        print("chromium", browser.version)
        for scenario in SCENARIOS:
            result = page.evaluate(SCRIPT, scenario)
            for kind in ("offer", "answer"):
                path = OUT / f"{scenario}-{kind}.sdp"
                path.write_bytes(result[kind].encode())
                print("wrote", path.relative_to(OUT.parent.parent.parent.parent))
        browser.close()
    server.shutdown()


def main() -> None:
    if os.environ.get("SDP_CAPTURE_IN_NETNS") == "1":
        capture()
        return
    subprocess.run(["ip", "netns", "del", NETNS], capture_output=True)
    subprocess.run(["ip", "netns", "add", NETNS], check=True)
    try:
        subprocess.run(["ip", "-n", NETNS, "link", "set", "lo", "up"], check=True)
        env = dict(os.environ, SDP_CAPTURE_IN_NETNS="1")
        cmd = ["ip", "netns", "exec", NETNS, sys.executable, __file__]
        subprocess.run(cmd, check=True, env=env)
    finally:
        subprocess.run(["ip", "netns", "del", NETNS], capture_output=True)


if __name__ == "__main__":
    main()
