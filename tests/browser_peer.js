// The browser side of tests/browser.py: one RTCPeerConnection, echoing data channels.
"use strict";
const send = (event) => window.pyEvent(JSON.stringify(event));

function toBytes(data) {
  if (typeof data === "string") return {kind: "text", text: data};
  return {kind: "binary", b64: btoa(String.fromCharCode(...new Uint8Array(data)))};
}

function wire(channel) {
  channel.binaryType = "arraybuffer";
  const info = () => ({label: channel.label, id: channel.id, ordered: channel.ordered,
    protocol: channel.protocol, negotiated: channel.negotiated,
    maxRetransmits: channel.maxRetransmits, maxPacketLifeTime: channel.maxPacketLifeTime});
  channel.onopen = () => send({type: "open", ...info()});
  channel.onclose = () => send({type: "close", label: channel.label});
  channel.onmessage = (e) => {
    const size = typeof e.data === "string" ? e.data.length : e.data.byteLength;
    if (window.peer.echo) channel.send(e.data);
    send({type: "message", label: channel.label, size, ...(size <= 4096 ? toBytes(e.data) : {})});
  };
  window.peer.channels[channel.label] = channel;
}

window.startPeer = async (config) => {
  // Chromium gathers loopback only once the page holds a media permission.
  const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
  stream.getTracks().forEach((t) => t.stop());
  const pc = new RTCPeerConnection(config);
  window.peer = {
    pc, channels: {}, echo: true,
    createOffer: async () => { await pc.setLocalDescription(); return pc.localDescription.toJSON(); },
    createAnswer: async () => { await pc.setLocalDescription(); return pc.localDescription.toJSON(); },
    setRemote: async (desc) => { await pc.setRemoteDescription(desc); },
    addCandidate: async (init) => { await pc.addIceCandidate(init); },
    localDescription: () => pc.localDescription && pc.localDescription.toJSON(),
    waitGathered: () => new Promise((resolve) => {
      if (pc.iceGatheringState === "complete") return resolve(pc.localDescription.toJSON());
      pc.addEventListener("icegatheringstatechange", () => {
        if (pc.iceGatheringState === "complete") resolve(pc.localDescription.toJSON());
      });
    }),
    createChannel: (label, options) => { wire(pc.createDataChannel(label, options || {})); },
    sendText: (label, text) => window.peer.channels[label].send(text),
    sendBinary: (label, b64) => {
      const raw = atob(b64); const bytes = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
      window.peer.channels[label].send(bytes);
    },
    closeChannel: (label) => window.peer.channels[label].close(),
    setEcho: (on) => { window.peer.echo = on; },
    state: () => ({connection: pc.connectionState, ice: pc.iceConnectionState,
                   signaling: pc.signalingState}),
    restartIce: () => pc.restartIce(),
    close: () => pc.close(),
  };
  pc.onicecandidate = (e) => send({type: "candidate", candidate: e.candidate && e.candidate.toJSON()});
  pc.ondatachannel = (e) => { wire(e.channel); send({type: "datachannel", label: e.channel.label}); };
  pc.onconnectionstatechange = () => send({type: "connectionstate", state: pc.connectionState});
  pc.onnegotiationneeded = () => send({type: "negotiationneeded"});
};
