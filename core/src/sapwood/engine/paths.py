"""Validation of object paths, listing prefixes and ref names."""

from __future__ import annotations

import re
from typing import Final

from sapwood.errors import InvalidPathError, InvalidRefError

__all__ = [
    "MAX_PATH_BYTES",
    "check_encodable",
    "prefix_successor",
    "validate_path",
    "validate_prefix",
    "validate_ref_name",
]

MAX_PATH_BYTES: Final = 1024
_REF_NAME: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]*")
"""Matched whole (``fullmatch``): ``$`` would let a trailing newline through."""


_CONTROL: Final = re.compile(r"[\x00-\x1f]")


def check_encodable(text: str, what: str) -> str:
    """``text`` if it encodes as UTF-8; InvalidPathError naming the first character that
    cannot (a lone surrogate, as :func:`os.fsdecode` makes of a file name that is not
    UTF-8), which would otherwise be staged and then fail every commit."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = text[exc.start]
        raise InvalidPathError(
            f"{what} {text!r} contains {bad!r} (U+{ord(bad):04X}, a lone surrogate) at "
            f"position {exc.start}, which is not valid Unicode text: it comes from a file "
            "name that is not UTF-8 (os.fsdecode keeps such bytes as surrogates); rename "
            "the file, or decode its name with the encoding it was written in"
        ) from None
    return text


def _check_segments(text: str, what: str, *, allow_trailing_slash: bool) -> None:
    check_encodable(text, what)
    if _CONTROL.search(text):
        raise InvalidPathError(f"{what} {text!r} contains a control character; remove it")
    if text.startswith("/"):
        raise InvalidPathError(
            f"{what} {text!r} starts with '/'; paths are relative to the repository root, "
            f"write {text.lstrip('/')!r}"
        )
    body = text[:-1] if allow_trailing_slash and text.endswith("/") else text
    if not body:
        return
    if "//" in body or body.endswith("/"):
        raise InvalidPathError(
            f"{what} {text!r} has an empty segment ('//' or a trailing '/'); remove it"
        )
    if "." in body:
        for segment in body.split("/"):
            if segment in (".", ".."):
                raise InvalidPathError(
                    f"{what} {text!r} contains a {segment!r} segment; paths may not step "
                    "outside or around folders"
                )
    if len(text) > MAX_PATH_BYTES // 4 and len(text.encode()) > MAX_PATH_BYTES:
        raise InvalidPathError(f"{what} is {len(text.encode())} bytes; the limit is 1024")


def validate_path(path: str) -> str:
    """``path`` if it names an object: non-empty, no leading ``/``, no ``.``, ``..`` or
    empty segments, no control characters; otherwise InvalidPathError saying why."""
    if not isinstance(path, str):
        raise InvalidPathError(f"an object path must be a str, got {type(path).__name__}")
    if not path:
        raise InvalidPathError("an object path must not be empty")
    _check_segments(path, "path", allow_trailing_slash=False)
    return path


def validate_prefix(prefix: str) -> str:
    """``prefix`` if it may filter a listing (like a path, but empty or ending in ``/`` is
    fine)."""
    if not isinstance(prefix, str):
        raise InvalidPathError(f"a prefix must be a str, got {type(prefix).__name__}")
    if prefix:
        _check_segments(prefix, "prefix", allow_trailing_slash=True)
    return prefix


def prefix_successor(prefix: str) -> str | None:
    """The smallest string greater than every string that starts with ``prefix`` (None
    when there is none)."""
    text = prefix
    while text:
        last = ord(text[-1])
        if last < 0x10FFFF:
            return text[:-1] + chr(last + 1)
        text = text[:-1]
    return None


def validate_ref_name(name: str, what: str = "branch") -> str:
    """``name`` if it may name a branch or tag: letters, digits, ``_ . - /``, starting with a
    letter, digit or ``_``, no ``..``, ``//``, trailing ``/`` or ``.lock``, at most 200
    characters; otherwise InvalidRefError saying why."""
    if not isinstance(name, str) or not name:
        raise InvalidRefError(f"a {what} name must be a non-empty string")
    if len(name) > 200:
        raise InvalidRefError(f"{what} name {name[:40]!r}... is longer than 200 characters")
    if not _REF_NAME.fullmatch(name):
        bad = sorted({c for c in name if not (c.isascii() and (c.isalnum() or c in "._/-"))})
        detail = f"it contains {''.join(bad)!r}" if bad else "it must start with a letter or digit"
        raise InvalidRefError(
            f"{name!r} is not a valid {what} name: {detail}; use letters, digits and . _ - /"
        )
    if ".." in name or "//" in name or name.endswith("/") or name.endswith(".lock"):
        raise InvalidRefError(
            f"{name!r} is not a valid {what} name: it may not contain '..' or '//' "
            "nor end with '/' or '.lock'"
        )
    return name
