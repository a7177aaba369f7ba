"""Where an object client's objects live: ``USECASE/SCOPE/_/KEY`` in the store.

A scope is an ordered list of ``name=value`` pairs written as path segments ``name.value``
(``org.42/project.1337``); ``.`` is outside the allowed characters, so each such segment is
one pair. The segment ``_`` (which holds no ``.``) ends the scope, so no key can reach into
another scope: key ``project.1337/report`` of scope ``org=42`` is stored at
``attachments/org.42/_/project.1337/report``, apart from key ``report`` of scope ``org=42,
project=1337`` at ``attachments/org.42/project.1337/_/report``. A session without scopes
uses ``USECASE/_/KEY``.

Objects that earlier versions wrote in a scoped session lack the ``_`` segment
(``USECASE/SCOPE/KEY``); see docs/object-client.md for moving them.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

from sapwood.errors import InvalidPathError

__all__ = ["SCOPE_CHARACTERS", "check_key", "check_name", "scope_path"]

SCOPE_CHARACTERS = frozenset(string.ascii_letters + string.digits + "_-()$!+*'")
"""Characters allowed in usecase names and in scope names and values."""

_SHOWN = "A-Z a-z 0-9 _ - ( ) $ ! + * '"
NO_SCOPE = "_"
"""The segment that ends a scope (alone: the empty scope)."""


def check_name(value: str, what: str) -> str:
    """``value`` if it is non-empty and uses only :data:`SCOPE_CHARACTERS`."""
    if not value:
        raise InvalidPathError(f"{what} must not be empty")
    bad = sorted({c for c in value if c not in SCOPE_CHARACTERS})
    if bad:
        raise InvalidPathError(
            f"{what} {value!r} contains {''.join(bad)!r}; only these characters are allowed: "
            f"{_SHOWN}"
        )
    return value


def scope_path(scopes: Mapping[str, str | int | bool]) -> str:
    """The path segments for ``scopes``, in the order given, ending with the segment
    ``_`` that closes every scope."""
    parts = []
    for name, value in scopes.items():
        check_name(name, "scope name")
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int | str):
            text = str(value)
        else:
            raise InvalidPathError(
                f"scope {name!r} has a {type(value).__name__} value; use a str, int or bool"
            )
        check_name(text, f"scope {name!r} value")
        parts.append(f"{name}.{text}")
    return "/".join([*parts, NO_SCOPE])


def check_key(key: str) -> str:
    """``key`` if it is a usable object key: non-empty, no empty, ``.`` or ``..`` segments,
    no leading or trailing ``/``, no control characters."""
    if not key:
        raise InvalidPathError("an object key must not be empty; pass key=None to generate one")
    if any(ord(c) < 32 or ord(c) == 127 for c in key):
        raise InvalidPathError(f"object key {key!r} contains a control character")
    segments = key.split("/")
    if any(s in ("", ".", "..") for s in segments):
        raise InvalidPathError(
            f"object key {key!r} has an empty, '.' or '..' segment (or a leading or trailing "
            "'/'); use plain names separated by single '/'"
        )
    return key
