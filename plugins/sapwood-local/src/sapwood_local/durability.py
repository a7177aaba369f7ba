"""Group durability: files written under :func:`sapwood.storage.deferred_durability` are
fsynced together, concurrently, just before the next write that is not deferred.

How a commit survives a power cut on the local backend (with ``fsync`` on, the default):

1. Blobs, manifests and snapshots (immutable, content-addressed, reachable only through a
   ref) are written to a temporary file and renamed into place, without an fsync each;
   the data file and every folder from its parent up to the store's root are remembered
   here, process-wide.
2. A write that is not deferred (a ref moving, a tag, the config) fills its temporary
   file, then fsyncs it together with every remembered file and every remembered folder
   (so the names the renames and new folders made are on disk too), all at once on a
   small thread pool, and waits for all of them.
3. Only then does it rename its file over the ref, and it fsyncs the ref's folder before
   it returns.

So when a commit returns, its ref and everything the ref leads to are on stable storage;
a power cut before that loses at most unreferenced objects, which garbage collection
removes. Closing the store also flushes what is pending.

A round of many files (a commit of a thousand Zarr chunks) costs a thousand fsyncs; on
Linux 5.8 and later, where ``syncfs`` reports write errors, such a round is one ``syncfs``
per file system instead: it makes every file and folder of that file system durable at
once, in a fraction of the time. Should it fail, the round is done file by file, so an
error is still raised for the file it concerns.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from sapwood.errors import ConfigError

__all__ = [
    "SYNCFS_VARIABLE",
    "flush_pending",
    "pending",
    "remember",
    "sync_file",
    "sync_file_systems",
    "sync_folder",
    "sync_folders",
    "syncfs_allowed",
]

_FLUSH_THREADS = 16
_WHOLE_FILE_SYSTEM_FROM = 64
"""Rounds of at least this many files use one syncfs per file system (where it reports
errors), not an fsync per file and folder."""
_READ_FLAGS = os.O_RDONLY | os.O_CLOEXEC

_lock = threading.Lock()
_files: dict[str, str] = {}
"""Files written without an fsync, each with the root of the store it belongs to."""
_flushing = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def sync_file(path: str) -> None:
    """fsync the file at ``path``; one that is gone meanwhile needs nothing."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_folder(folder: str) -> None:
    """fsync a folder, so the names in it are on disk; some file systems refuse, and
    there the files themselves are synced."""
    try:
        fd = os.open(folder, _READ_FLAGS)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _find_syncfs() -> Callable[[int], int] | None:
    """libc's ``syncfs``, on kernels whose ``syncfs`` reports write errors (Linux 5.8+)."""
    uname = os.uname()
    if uname.sysname != "Linux":
        return None
    try:
        major, minor = (int(part) for part in uname.release.split(".")[:2])
        function: Callable[[int], int] = ctypes.CDLL(None, use_errno=True).syncfs
    except (ValueError, OSError, AttributeError):
        return None
    return function if (major, minor) >= (5, 8) else None


_syncfs = _find_syncfs()


SYNCFS_VARIABLE = "SAPWOOD_LOCAL_SYNCFS"
"""``0`` turns the whole-file-system rounds off (every round is then an fsync per file and
folder): ``syncfs`` also writes out other programs' unwritten data on that file system,
which a commit would wait for on a machine busy writing gigabytes elsewhere."""


def syncfs_allowed() -> bool:
    """What :data:`SYNCFS_VARIABLE` says (unset: allowed); ConfigError for another value."""
    value = os.environ.get(SYNCFS_VARIABLE, "1").strip()
    if value not in ("0", "1"):
        raise ConfigError(
            f"{SYNCFS_VARIABLE}={value!r} is neither 0 nor 1: set it to 0 to make every "
            "durability round fsync file by file, or unset it",
            field=SYNCFS_VARIABLE,
        )
    return value == "1"


def sync_file_systems(folders: Iterable[str]) -> bool:
    """``syncfs`` once for each file system holding one of ``folders`` (gone ones need
    nothing); False if ``syncfs`` is not available, turned off (:func:`syncfs_allowed`)
    or one call failed."""
    if _syncfs is None or not syncfs_allowed():
        return False
    by_device: dict[int, str] = {}
    for folder in folders:
        try:
            by_device.setdefault(os.stat(folder).st_dev, folder)
        except (FileNotFoundError, NotADirectoryError):
            continue
    for folder in by_device.values():
        try:
            fd = os.open(folder, _READ_FLAGS)
        except OSError:
            return False
        try:
            if _syncfs(fd) != 0:
                return False
        finally:
            os.close(fd)
    return True


def remember(root: str, path: str) -> None:
    """Note that ``path`` (a file under ``root``) was written without an fsync."""
    with _lock:
        _files[path] = root


def pending() -> int:
    """How many files wait for the group fsync."""
    with _lock:
        return len(_files)


def _folders_of(files: dict[str, str]) -> set[str]:
    """Every folder from each file's parent up to its store's root."""
    folders: set[str] = set()
    for path, root in files.items():
        folder = os.path.dirname(path)
        while folder not in folders:
            folders.add(folder)
            if folder == root or not folder.startswith(root + os.sep):
                break
            folder = os.path.dirname(folder)
    return folders


def _take() -> dict[str, str]:
    with _lock:
        files = dict(_files)
        _files.clear()
    return files


def _run_all(work: list[tuple[Callable[[str], None], str]]) -> None:
    global _pool
    if not work:
        return
    if len(work) == 1:
        function, item = work[0]
        function(item)
        return
    if _pool is None:
        _pool = ThreadPoolExecutor(_FLUSH_THREADS, thread_name_prefix="sapwood-local-fsync")
    try:
        futures = [_pool.submit(function, item) for function, item in work]
    except RuntimeError:
        # The interpreter is exiting and thread pools take no new work: one by one, here
        # (an fsync done twice is harmless).
        for function, item in work:
            function(item)
        return
    for future in futures:
        future.result()


def sync_folders(folders: Sequence[str]) -> None:
    """fsync ``folders`` at once."""
    _run_all([(sync_folder, folder) for folder in folders])


def flush_pending(also: Sequence[str] = ()) -> None:
    """Make every remembered write durable, and the files ``also`` names (the temporary
    file of the write about to happen): all files and their folders are fsynced in one
    concurrent round, since only their all being done matters, not their order. Raises
    the first OSError an fsync reports (the remembered writes stay remembered then)."""
    with _flushing:
        files = _take()
        try:
            folders = _folders_of(files)
            if len(files) + len(also) >= _WHOLE_FILE_SYSTEM_FROM and sync_file_systems(
                [*folders, *(os.path.dirname(path) for path in also)]
            ):
                return
            _run_all(
                [(sync_file, path) for path in (*files, *also)]
                + [(sync_folder, folder) for folder in folders]
            )
        except BaseException:
            with _lock:
                _files.update(files)
            raise


def _forget_after_fork() -> None:
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
