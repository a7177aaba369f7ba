"""Content identities: the SHA-256 of stored bytes, raw inside the format, hex outside."""

from __future__ import annotations

import hashlib
import re
from typing import Final

from sapwood.errors import InvalidRefError

__all__ = ["ID_HEX_LENGTH", "content_id", "is_hex_prefix", "parse_id", "short"]

ID_HEX_LENGTH: Final = 64
_HEX: Final = re.compile(r"[0-9a-f]+")
"""Matched whole (``fullmatch``): ``$`` would let a trailing newline through."""


def content_id(data: bytes | bytearray | memoryview) -> bytes:
    """The raw SHA-256 digest that names ``data`` in the repository."""
    return hashlib.sha256(data).digest()


def is_hex_prefix(text: str) -> bool:
    """True for a lowercase hex string no longer than a full id."""
    return 0 < len(text) <= ID_HEX_LENGTH and bool(_HEX.fullmatch(text))


def parse_id(text: str) -> bytes:
    """A full hex commit id as raw bytes; InvalidRefError for anything else."""
    if len(text) != ID_HEX_LENGTH or not _HEX.fullmatch(text):
        raise InvalidRefError(
            f"{text!r} is not a commit id: expected {ID_HEX_LENGTH} lowercase hex characters"
        )
    return bytes.fromhex(text)


def short(raw: bytes) -> str:
    """The first 12 hex characters, for messages."""
    return raw.hex()[:12]
