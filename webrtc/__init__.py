"""The W3C WebRTC API (RTCPeerConnection and friends), spelled as aiortc spells it."""
