"""DTLS-SRTP (RFC 5764): the profile both ends chose and the SRTP master keys they derived.

The client offers its protection profiles in the ``use_srtp`` extension of the ClientHello and
the server picks one (RFC 5764 §4.1.1). After the handshake both ends export
``2 * (key + salt)`` bytes with the TLS exporter under the label ``EXTRACTOR-dtls_srtp``
(RFC 5705) and cut them, in this order (RFC 5764 §4.2)::

    client_write_SRTP_master_key | server_write_SRTP_master_key |
    client_write_SRTP_master_salt | server_write_SRTP_master_salt

Each end protects what it sends with its own role's key and salt and unprotects what it receives
with the peer's. :class:`SrtpKeys` holds them already split into *local* and *remote*, which is
what an SRTP session needs (pylibsrtp's ``Policy(key=local_master_key, srtp_profile=...)`` for
outbound streams, ``remote_master_key`` for inbound ones).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from .role import DtlsRole

EXPORTER_LABEL: Final = b"EXTRACTOR-dtls_srtp"


class SrtpProfile(IntEnum):
    """SRTP protection profiles by their IANA identifier (RFC 5764 §4.1.2, RFC 7714 §14.2).

    The numbers are also libsrtp's ``srtp_profile_t`` values, so ``int(profile)`` is what
    ``pylibsrtp.Policy(srtp_profile=...)`` takes.
    """

    AES128_CM_SHA1_80 = 0x0001
    AEAD_AES_128_GCM = 0x0007
    AEAD_AES_256_GCM = 0x0008

    @property
    def openssl_name(self) -> bytes:
        """The name OpenSSL's ``SSL_CTX_set_tlsext_use_srtp`` understands."""
        return b"SRTP_" + self.name.encode()

    @property
    def key_length(self) -> int:
        return 32 if self is SrtpProfile.AEAD_AES_256_GCM else 16

    @property
    def salt_length(self) -> int:
        """14 bytes for AES-CM (RFC 3711 §8.2), 12 for AES-GCM (RFC 7714 §12)."""
        return 14 if self is SrtpProfile.AES128_CM_SHA1_80 else 12

    @property
    def keying_material_length(self) -> int:
        return 2 * (self.key_length + self.salt_length)

    @classmethod
    def from_openssl_name(cls, name: bytes) -> SrtpProfile | None:
        for profile in cls:
            if profile.openssl_name == name:
                return profile
        return None


DEFAULT_SRTP_PROFILES: Final = (SrtpProfile.AEAD_AES_128_GCM, SrtpProfile.AES128_CM_SHA1_80)
"""What we offer, best first: AES-GCM (RFC 7714) and the profile every browser supports."""


@dataclass(frozen=True, slots=True, repr=False)
class SrtpKeys:
    """The SRTP master keys and salts of one end, already split by role."""

    profile: SrtpProfile
    local_key: bytes
    local_salt: bytes
    remote_key: bytes
    remote_salt: bytes

    @property
    def local_master_key(self) -> bytes:
        """Key then salt, as libsrtp takes them, for what we send."""
        return self.local_key + self.local_salt

    @property
    def remote_master_key(self) -> bytes:
        """Key then salt for what the peer sends."""
        return self.remote_key + self.remote_salt

    def __repr__(self) -> str:
        # Keys stay out of logs and tracebacks.
        return f"SrtpKeys(profile={self.profile.name})"


def split_keying_material(profile: SrtpProfile, material: bytes, role: DtlsRole) -> SrtpKeys:
    """Cut the exported keying material (RFC 5764 §4.2) into our keys and the peer's."""
    key_len, salt_len = profile.key_length, profile.salt_length
    if len(material) != profile.keying_material_length:
        raise ValueError(
            f"{profile.name} needs {profile.keying_material_length} bytes of keying material, "
            f"got {len(material)}"
        )
    client_key = material[:key_len]
    server_key = material[key_len : 2 * key_len]
    client_salt = material[2 * key_len : 2 * key_len + salt_len]
    server_salt = material[2 * key_len + salt_len :]
    if role is DtlsRole.CLIENT:
        return SrtpKeys(profile, client_key, client_salt, server_key, server_salt)
    return SrtpKeys(profile, server_key, server_salt, client_key, client_salt)
