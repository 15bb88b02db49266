"""DTLS 1.2 and DTLS-SRTP key export on pyOpenSSL."""
