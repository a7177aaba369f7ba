"""Which files of a local folder become objects, and which are left out and why.

The decisions (documented in docs/folders.md):

- regular files, empty ones included, are taken;
- a symlink to a file is followed (its content is taken under the link's name, as
  ``aws s3 sync`` does): links into a shared data cache are common and object storage has
  no links to keep. A symlink to a folder is skipped with a warning: following it could
  loop, or reach far outside the folder being synced; a dangling symlink is skipped too;
- FIFOs, sockets and devices are skipped with a warning (reading them blocks or never ends);
- a name that is not UTF-8, or that no object path may hold (a control character), refuses
  the whole folder before anything is staged, listing the names: skipping them would
  silently leave data behind, and a renamed file is easy to re-sync;
- empty folders are not kept: object storage has no folders, only paths;
- a file removed while the folder is scanned is skipped (and listed); a folder that cannot
  be read raises, since skipping it would leave its files behind.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from typing import Final

from sapwood.engine.paths import validate_path
from sapwood.errors import InvalidPathError

__all__ = ["LocalFile", "LocalTree", "scan_folder", "shown_name"]

_SHOWN_BAD_NAMES: Final = 20


@dataclass(frozen=True)
class LocalFile:
    """One file to transfer: its path relative to the folder (``/``-separated), where it
    is on disk, and its size."""

    relative: str
    location: str
    size: int


@dataclass
class LocalTree:
    """The files under a folder, and what was skipped (with the reason)."""

    files: list[LocalFile] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    bad_names: list[str] = field(default_factory=list)


def shown_name(name: str) -> str:
    """``name`` printable on one line: undecodable bytes and control characters shown as
    escapes (``caf\\xe9.txt``, ``line\\nbreak``)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return repr(os.fsencode(name))[2:-1]
    return repr(name)[1:-1]


def _usable(relative: str) -> bool:
    try:
        relative.encode("utf-8")
        validate_path(relative)
    except (UnicodeEncodeError, InvalidPathError):
        return False
    return True


def scan_folder(root: str) -> LocalTree:
    """Walk ``root`` (which must be a folder) and sort what is there; InvalidPathError if
    some names cannot be object paths."""
    if not os.path.isdir(root):
        what = "does not exist" if not os.path.exists(root) else "is not a folder"
        raise InvalidPathError(f"local folder {root!r} {what}; give the path of a folder")
    tree = LocalTree()
    pending: list[tuple[str, str]] = [(root, "")]
    while pending:
        folder, relative_folder = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                relative = relative_folder + entry.name
                _sort(entry, relative, tree, pending)
    if tree.bad_names:
        names = sorted(tree.bad_names)
        listed = ", ".join(f"'{shown_name(n)}'" for n in names[:_SHOWN_BAD_NAMES])
        more = f" and {len(names) - _SHOWN_BAD_NAMES} more" if len(names) > _SHOWN_BAD_NAMES else ""
        raise InvalidPathError(
            f"{len(names)} name(s) under {root!r} cannot be object paths (not UTF-8, or "
            f"holding a control character): {listed}{more}; rename them and try again"
        )
    tree.files.sort(key=lambda f: f.relative)
    tree.skipped.sort()
    return tree


def _sort(
    entry: os.DirEntry[str], relative: str, tree: LocalTree, pending: list[tuple[str, str]]
) -> None:
    if not _usable(relative):
        tree.bad_names.append(relative)
        return
    if entry.is_symlink():
        try:
            target = entry.stat(follow_symlinks=True)
        except OSError:
            tree.skipped.append(f"{relative} (dangling symlink)")
            return
        if stat.S_ISDIR(target.st_mode):
            tree.skipped.append(f"{relative} (symlink to a folder)")
        elif stat.S_ISREG(target.st_mode):
            tree.files.append(LocalFile(relative, entry.path, target.st_size))
        else:
            tree.skipped.append(f"{relative} (symlink to a special file)")
        return
    try:
        info = entry.stat(follow_symlinks=False)
    except FileNotFoundError:
        tree.skipped.append(f"{relative} (removed during the scan)")
        return
    if stat.S_ISDIR(info.st_mode):
        pending.append((entry.path, relative + "/"))
    elif stat.S_ISREG(info.st_mode):
        tree.files.append(LocalFile(relative, entry.path, info.st_size))
    else:
        tree.skipped.append(f"{relative} ({_kind(info.st_mode)})")


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"
