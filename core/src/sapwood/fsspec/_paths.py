"""How ``sapwood://<ref>/<path>`` names an object: the first segment is a ref, the rest a
path in the repository at that ref.

A ref name may itself hold ``/`` (``feature/x``); in a URL it is written with ``%2F``
(``sapwood://feature%2Fx/data.csv``), since ``%`` never occurs in a ref name or expression.
"""

from __future__ import annotations

import os
from typing import Final
from urllib.parse import quote, unquote

__all__ = ["PROTOCOL", "ref_segment", "split", "strip_protocol"]

PROTOCOL: Final = "sapwood"
_PREFIXES: Final = (f"{PROTOCOL}://", f"{PROTOCOL}::")


def strip_protocol(path: str | os.PathLike[str]) -> str:
    """``path`` without the protocol and without leading or trailing ``/``: ``ref/path``,
    ``ref``, or ``""`` for the root (where the refs are)."""
    text = os.fspath(path)
    for prefix in _PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    return text.strip("/")


def split(path: str) -> tuple[str, str]:
    """``(ref, key)`` of a stripped path: ``"main/a/b.csv"`` is ``("main", "a/b.csv")``;
    the ref segment is URL-decoded."""
    segment, _, key = path.partition("/")
    return (unquote(segment) if "%" in segment else segment), key


def ref_segment(ref: str) -> str:
    """The first segment of a path naming ``ref`` (a ``/`` in it written ``%2F``)."""
    return quote(ref, safe="~^@.-_") if "/" in ref or "%" in ref else ref
