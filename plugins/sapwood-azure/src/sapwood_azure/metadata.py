"""User metadata that survives Azure's rules for metadata headers.

Azure metadata names must be C# identifiers, compare case-insensitively, and values travel
as HTTP headers (ASCII, surrounding whitespace trimmed). Entries that fit are stored as
plain Azure metadata, readable by any Azure tool; the rest (``run-id``, ``Ünïcode``,
``" padded "``, or a name differing from another only in case) go together, as base64 JSON,
into one reserved entry, and come back unchanged.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping

import msgspec

__all__ = ["RESERVED_KEY", "decode_metadata", "encode_metadata"]

RESERVED_KEY = "sapwoodmeta"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PLAIN_VALUE = re.compile(r"^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$")


def encode_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """The Azure metadata that stores ``metadata``."""
    plain: dict[str, str] = {}
    folded: set[str] = set()
    packed: dict[str, str] = {}
    for name, value in (metadata or {}).items():
        lowered = name.lower()
        if (
            _IDENTIFIER.match(name)
            and _PLAIN_VALUE.match(value)
            and lowered != RESERVED_KEY
            and lowered not in folded
        ):
            plain[name] = value
            folded.add(lowered)
        else:
            packed[name] = value
    if packed:
        plain[RESERVED_KEY] = base64.urlsafe_b64encode(msgspec.json.encode(packed)).decode()
    return plain


def decode_metadata(stored: Mapping[str, str] | None) -> dict[str, str]:
    """The user metadata that :func:`encode_metadata` stored as ``stored``."""
    result: dict[str, str] = {}
    packed: dict[str, str] = {}
    for name, value in (stored or {}).items():
        if name.lower() == RESERVED_KEY:
            try:
                packed = msgspec.json.decode(base64.urlsafe_b64decode(value), type=dict[str, str])
            except (ValueError, msgspec.DecodeError):
                result[name] = value  # not ours: show it as it is
        else:
            result[name] = value
    result.update(packed)
    return result
