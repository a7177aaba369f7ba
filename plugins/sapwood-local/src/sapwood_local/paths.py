"""Keys to paths inside the store's folder, refusing anything that could leave it."""

from __future__ import annotations

import errno
import os
import stat

from sapwood.errors import InvalidPathError

__all__ = [
    "RESERVED",
    "check_inside",
    "check_no_escape",
    "key_segments",
    "prefix_segments",
    "resolve_root",
]

RESERVED = ".sapwood-local"
"""The hidden folder under the root that holds metadata, locks and temporary files."""


def resolve_root(location: str) -> str:
    """The absolute folder a config's ``prefix`` names (relative paths use the cwd)."""
    return os.path.abspath(os.path.expanduser(location))


def key_segments(key: str) -> list[str]:
    """The ``/``-separated parts of a valid key; InvalidPathError says what is wrong."""
    if not isinstance(key, str) or not key:
        raise InvalidPathError("an object key must be a non-empty string")
    if key.startswith("/"):
        raise InvalidPathError(
            f"{key!r} is absolute; keys are relative to the store's folder (drop the leading '/')"
        )
    segments = key.split("/")
    for segment in segments:
        _check_segment(key, segment)
    if segments[0] == RESERVED:
        raise InvalidPathError(
            f"{key!r} is inside {RESERVED!r}, the folder where the local backend keeps its "
            "metadata, locks and temporary files; choose another key"
        )
    return segments


def prefix_segments(prefix: str) -> tuple[list[str], str]:
    """A listing prefix split into the folder it lies in and the start of a name there."""
    if prefix.startswith("/"):
        raise InvalidPathError(
            f"listing prefix {prefix!r} is absolute; prefixes are relative to the store's folder"
        )
    *folders, partial = prefix.split("/")
    for segment in folders:
        _check_segment(prefix, segment)
    if "\x00" in partial:
        raise InvalidPathError(f"listing prefix {prefix!r} contains a NUL character")
    return folders, partial


def _check_segment(key: str, segment: str) -> None:
    if segment == "":
        raise InvalidPathError(
            f"{key!r} has an empty segment (a '//' or a trailing '/'); a local folder cannot "
            "store it"
        )
    if segment in (".", ".."):
        raise InvalidPathError(
            f"{key!r} has a {segment!r} segment, which could step outside the store's folder; "
            "use plain names"
        )
    if "\x00" in segment:
        raise InvalidPathError(f"{key!r} contains a NUL character")


def check_inside(path: str, real_root: str, key: str) -> None:
    """Refuse ``path`` if, once symbolic links are resolved, it lies outside ``real_root``."""
    real = os.path.realpath(path)
    if real != real_root and not real.startswith(real_root + os.sep):
        raise InvalidPathError(
            f"{key!r} resolves to {real!r}, outside the store's folder {real_root!r} (through a "
            "symbolic link); the local backend never reads or writes outside its folder"
        )


def check_no_escape(
    root: str, real_root: str, segments: list[str], key: str, *, folders_only: bool = False
) -> str:
    """The path of ``segments`` under ``root``, refused if a symbolic link on the way
    leads outside ``real_root``. Only links cost a full resolution; plain folders cost one
    ``lstat`` each. ``folders_only`` leaves the last segment unchecked, for a caller that
    only renames a file onto the path (a rename replaces a link there, never follows it)."""
    path = root
    checked = segments[:-1] if folders_only else segments
    for depth, segment in enumerate(checked):
        path = f"{path}/{segment}"
        try:
            info = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            return root + "".join(f"/{s}" for s in segments)
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                raise InvalidPathError(
                    f"{key!r} is too long for the local file system (most allow 255 bytes "
                    "per path segment); use a shorter key"
                ) from None
            return root + "".join(f"/{s}" for s in segments)  # the operation will say why
        if stat.S_ISLNK(info.st_mode):
            full = path + "".join(f"/{s}" for s in segments[depth + 1 :])
            check_inside(full, real_root, key)
            return full
    return f"{path}/{segments[-1]}" if folders_only and segments else path
