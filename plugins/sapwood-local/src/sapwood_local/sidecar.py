"""Per-object metadata kept beside the data, in the hidden folder.

The data file holds the object's bytes exactly, so the folder stays usable by other tools.
Its sidecar holds the etag, content type and user metadata (such as the object layer's
compression flag), plus the *identity* of the data file it describes (inode, size,
modification time) and a digest of its bytes. A reader trusts a sidecar at once when the
identity matches the data file it opened; otherwise (the folder was copied, archived and
restored, or synced without nanosecond times) only when the file's bytes still hash to the
sidecar's digest, and then it records the new identity. So a sidecar never pairs one
version's bytes with another version's metadata, and survives copying. Files without a
sidecar (written by other tools) get an etag derived from their identity.
"""

from __future__ import annotations

import hashlib
import os

import msgspec

__all__ = [
    "Identity",
    "Sidecar",
    "content_digest",
    "decode_sidecar",
    "encode_sidecar",
    "identity_of",
    "stat_etag",
]


class Identity(msgspec.Struct, frozen=True, array_like=True):
    """What distinguishes one written data file from another."""

    inode: int
    size: int
    mtime_ns: int

    def same_content(self, other: Identity) -> bool:
        """Size and time match: the same version, possibly copied (a new inode)."""
        return self.size == other.size and self.mtime_ns == other.mtime_ns


class Sidecar(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The metadata of one object version.

    ``pending`` names the temporary file the data was being moved from: if it still
    exists, the writer died between writing this sidecar and moving the data into place,
    and the next writer or checking reader finishes the move.
    """

    key: str
    etag: str
    identity: Identity
    content_type: str | None = None
    metadata: dict[str, str] = msgspec.field(default_factory=dict)
    pending: str | None = None
    digest: str | None = None
    """:func:`content_digest` of the data file (absent in sidecars of older versions)."""


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Sidecar)


def encode_sidecar(sidecar: Sidecar) -> bytes:
    """The stored form of a sidecar."""
    return _encoder.encode(sidecar)


def decode_sidecar(raw: bytes) -> Sidecar | None:
    """The sidecar, or None if the file is damaged (then the data file's identity rules)."""
    try:
        return _decoder.decode(raw)
    except (msgspec.DecodeError, RecursionError):  # nested deeper than the decoder recurses
        return None


def identity_of(stat: os.stat_result) -> Identity:
    """The identity of a data file from its ``stat``."""
    return Identity(stat.st_ino, stat.st_size, stat.st_mtime_ns)


def stat_etag(identity: Identity) -> str:
    """The etag of a data file that has no trustworthy sidecar."""
    return f"s{identity.inode:x}.{identity.size:x}.{identity.mtime_ns:x}"


def content_digest(data: bytes) -> str:
    """The digest a sidecar keeps of its data file's bytes."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()
