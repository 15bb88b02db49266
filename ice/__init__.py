"""ICE (RFC 8445): STUN, candidate gathering, connectivity checks and the agent."""
