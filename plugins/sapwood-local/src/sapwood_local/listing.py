"""Listing a folder tree in key order, lazily, with prefixes, a delimiter and start_after.

Keys order by code point; a folder ``name`` sorts as ``name/`` among its siblings, so a
depth-first walk over sorted entries yields keys in exactly the order object stores use.
Symbolic links to files inside the root are listed; links to folders, and links that
lead outside the root, are not.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from sapwood.storage import CommonPrefix, ListEntry
from sapwood_local.folder import LocalFolder
from sapwood_local.oserrors import translate
from sapwood_local.paths import RESERVED, check_inside, prefix_segments

__all__ = ["iter_entries"]


@dataclass
class _Walk:
    real_root: str
    start_after: str
    skip: str | None = None


def iter_entries(
    folder: LocalFolder, prefix: str, delimiter: str | None, start_after: str | None
) -> Iterator[ListEntry]:
    """Objects and common prefixes under ``prefix`` after ``start_after``, in key order."""
    folders, partial = prefix_segments(prefix)
    real_root = folder.real_root()
    if real_root is None:
        return
    base = os.path.join(folder.root, *folders)
    if folders:
        check_inside(base, real_root, prefix)
    walk = _Walk(real_root=real_root, start_after=start_after or "")
    base_key = "".join(f"{name}/" for name in folders)
    for key, path in _walk(base, base_key, partial, walk):
        if delimiter:
            cut = key.find(delimiter, len(prefix))
            if cut >= 0:
                common = key[: cut + len(delimiter)]
                walk.skip = common
                yield CommonPrefix(common)
                continue
        meta = folder.listed_meta(key, path)
        if meta is not None:
            yield meta


def _walk(path: str, folder_key: str, name_start: str, walk: _Walk) -> Iterator[tuple[str, str]]:
    try:
        with os.scandir(path) as scan:
            found = list(scan)
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise translate(exc, "list", path) from None
    entries: list[tuple[str, bool, str]] = []
    for entry in found:
        name = entry.name
        if (not folder_key and name == RESERVED) or not name.startswith(name_start):
            continue
        try:
            name.encode()
        except UnicodeEncodeError:
            continue  # not valid UTF-8, so not a key any store could hold
        kind = _kind(entry, walk.real_root)
        if kind is not None:
            entries.append(
                (f"{folder_key}{name}/" if kind else f"{folder_key}{name}", kind, entry.path)
            )
    entries.sort()
    after = walk.start_after
    for key, is_folder, entry_path in entries:
        if walk.skip is not None and key.startswith(walk.skip):
            continue
        if after and key <= after and not (is_folder and after.startswith(key)):
            continue
        if is_folder:
            yield from _walk(entry_path, key, "", walk)
        else:
            yield key, entry_path


def _kind(entry: os.DirEntry[str], real_root: str) -> bool | None:
    """True for a folder to descend into, False for a file to list, None to leave out."""
    try:
        if entry.is_symlink():
            real = os.path.realpath(entry.path)
            inside = real.startswith(real_root + os.sep)
            return False if inside and os.path.isfile(real) else None
        if entry.is_dir(follow_symlinks=False):
            return True
        return False if entry.is_file(follow_symlinks=False) else None
    except OSError:
        return None
