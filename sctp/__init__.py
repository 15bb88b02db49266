"""SCTP over DTLS (RFC 8261) and WebRTC data channels (RFC 8831, DCEP RFC 8832)."""
