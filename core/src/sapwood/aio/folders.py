"""Whole folders in and out of a repository.

:func:`upload_folder` stages a local folder on a branch (or in a writable session, such as
a transaction's) and :func:`download_folder` writes a reference's (or a session's) objects
into a local folder. Both map ``folder/a/b`` to ``prefix + "a/b"``
(a non-empty prefix is a folder: ``"data"`` means ``"data/"``), as ``aws s3 sync`` does,
so a round trip gives back the same tree. Many files are in flight at once, memory stays
bounded (big files are streamed in pieces, and the bytes held by transfers in flight are
capped), and a file whose size and SHA-256 already match its counterpart is not
transferred again, so syncing a folder twice costs a read of it, not an upload. Which local
files are taken (symlinks, special files, odd names) is decided in
:mod:`sapwood._local_tree`.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import os
import stat
import warnings
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Final, TypeVar

import msgspec

from sapwood._local_tree import LocalFile, scan_folder
from sapwood.engine.paths import validate_prefix
from sapwood.errors import InvalidPathError
from sapwood.models import ObjectInfo
from sapwood.progress import ProgressOption, TransferProgress

if TYPE_CHECKING:
    from sapwood.aio.branch import AsyncBranch
    from sapwood.aio.reference import AsyncReference
    from sapwood.aio.session import AsyncSession

__all__ = [
    "FolderSummary",
    "SkippedPathWarning",
    "download_folder",
    "folder_prefix",
    "upload_folder",
]

logger = logging.getLogger(__name__)

PIECE: Final = 8 * 1024 * 1024
"""Files up to this size move in one read; bigger ones are streamed in pieces of it."""
MAX_TRANSFERS: Final = 32
"""Files in flight at once."""
MAX_BYTES_IN_FLIGHT: Final = 128 * 1024 * 1024
"""Bytes held by transfers in flight at once (a streamed file holds at most two pieces)."""
_SHOWN_SKIPPED: Final = 10

T = TypeVar("T")


class SkippedPathWarning(UserWarning):
    """Some local paths were not transferred (symlinks to folders, FIFOs, sockets, devices);
    :attr:`FolderSummary.skipped` lists them all."""


class FolderSummary(msgspec.Struct, frozen=True, kw_only=True):
    """What a folder transfer did.

    ``transferred_*`` counts the files uploaded (or downloaded), ``unchanged_*`` those left
    alone because their size and checksum already matched, ``deleted_*`` the objects whose
    removal was staged (``upload_folder(..., delete=True)``); ``skipped`` names the local
    paths left out, each with the reason.
    """

    transferred_objects: int = 0
    transferred_bytes: int = 0
    unchanged_objects: int = 0
    unchanged_bytes: int = 0
    deleted_objects: int = 0
    deleted_bytes: int = 0
    skipped: tuple[str, ...] = ()


def folder_prefix(prefix: str) -> str:
    """``prefix`` as a folder: empty, or ending in ``/``."""
    validate_prefix(prefix)
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


class _ByteBudget:
    """Caps the bytes that transfers in flight hold; one transfer may always start."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._used = 0
        self._changed = asyncio.Condition()

    async def take(self, wanted: int) -> int:
        amount = min(wanted, self._limit)
        async with self._changed:
            await self._changed.wait_for(
                lambda: self._used == 0 or self._used + amount <= self._limit
            )
            self._used += amount
        return amount

    async def give_back(self, amount: int) -> None:
        async with self._changed:
            self._used -= amount
            self._changed.notify_all()


async def _run_bounded(items: Iterable[T], work: Callable[[T], Awaitable[None]]) -> None:
    """Run ``work`` on every item with at most MAX_TRANSFERS in flight; the first error
    cancels the rest and is raised."""
    queue = list(items)
    queue.reverse()

    async def worker() -> None:
        while queue:
            await work(queue.pop())

    workers = [asyncio.ensure_future(worker()) for _ in range(min(MAX_TRANSFERS, len(queue)))]
    try:
        await asyncio.gather(*workers)
    except BaseException:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise


def _file_sha256(location: str) -> str:
    digest = hashlib.sha256()
    with open(location, "rb") as source:
        while piece := source.read(PIECE):
            digest.update(piece)
    return digest.hexdigest()


def _holds(location: str, known: ObjectInfo | None, *, follow_symlinks: bool) -> bool:
    """True if the file at ``location`` already holds ``known``'s content (a regular file
    of the same size and SHA-256)."""
    if known is None or len(known.checksum) != 64:
        return False
    try:
        found = os.stat(location, follow_symlinks=follow_symlinks)
    except OSError:
        return False
    if not stat.S_ISREG(found.st_mode) or found.st_size != known.size_bytes:
        return False
    return _file_sha256(location) == known.checksum


def _read_whole(location: str) -> bytes:
    with open(location, "rb") as source:
        return source.read()


def _warn_skipped(skipped: list[str], where: str) -> None:
    if not skipped:
        return
    shown = ", ".join(skipped[:_SHOWN_SKIPPED])
    more = f" and {len(skipped) - _SHOWN_SKIPPED} more" if len(skipped) > _SHOWN_SKIPPED else ""
    warnings.warn(
        f"skipped {len(skipped)} path(s) under {where}: {shown}{more}",
        SkippedPathWarning,
        stacklevel=3,
    )


async def upload_folder(
    branch: AsyncBranch | AsyncSession,
    local_path: str | os.PathLike[str],
    prefix: str = "",
    *,
    delete: bool = False,
    progress: ProgressOption = None,
    label: str,
) -> FolderSummary:
    """Stage every file under ``local_path`` on ``branch`` (a branch or a writable
    session; ``label`` names it in progress and logs) at ``prefix`` + its relative path;
    with ``delete``, also stage the removal of objects under ``prefix`` that the folder
    lacks. Nothing is committed: call ``branch.commit_changes`` next."""
    if not isinstance(delete, bool):
        raise TypeError(f"delete is True or False, not {delete!r}")
    base = folder_prefix(prefix)
    root = os.fspath(local_path)
    with TransferProgress(progress, f"upload to {label}:{base}") as report:
        tree = await asyncio.to_thread(scan_folder, root)
        _warn_skipped(tree.skipped, root)
        reader = await branch._reading_session()
        existing: dict[str, ObjectInfo] = {}
        async for item in reader.list_objects(prefix=base):
            if isinstance(item, ObjectInfo):
                existing[item.path] = item
        report.set_total(sum(f.size for f in tree.files), len(tree.files))
        counts = {"sent": 0, "sent_bytes": 0, "same": 0, "same_bytes": 0}
        budget = _ByteBudget(MAX_BYTES_IN_FLIGHT)

        async def transfer(local: LocalFile) -> None:
            path = base + local.relative
            held = await budget.take(local.size if local.size <= PIECE else 2 * PIECE)
            try:
                known = existing.get(path)
                if known is not None and await asyncio.to_thread(
                    _holds, local.location, known, follow_symlinks=True
                ):
                    counts["same"] += 1
                    counts["same_bytes"] += local.size
                    report.advance(local.size, 1)
                    return
                if local.size <= PIECE:
                    data = await asyncio.to_thread(_read_whole, local.location)
                    await branch.upload(data, path)
                    report.advance(len(data), 1)
                    sent = len(data)
                else:
                    sent = await _stream_up(branch, local, path, report)
                counts["sent"] += 1
                counts["sent_bytes"] += sent
            finally:
                await budget.give_back(held)

        await _run_bounded(tree.files, transfer)
        deleted_objects = deleted_bytes = 0
        if delete:
            present = {base + f.relative for f in tree.files}
            gone = [info for path, info in existing.items() if path not in present]
            if gone:
                await branch.delete_objects([info.path for info in gone])
            deleted_objects = len(gone)
            deleted_bytes = sum(info.size_bytes for info in gone)
    summary = FolderSummary(
        transferred_objects=counts["sent"],
        transferred_bytes=counts["sent_bytes"],
        unchanged_objects=counts["same"],
        unchanged_bytes=counts["same_bytes"],
        deleted_objects=deleted_objects,
        deleted_bytes=deleted_bytes,
        skipped=tuple(tree.skipped),
    )
    logger.info(
        "staged folder %s on %s:%s: %d uploaded (%d bytes), %d unchanged, %d deleted",
        root,
        label,
        base,
        summary.transferred_objects,
        summary.transferred_bytes,
        summary.unchanged_objects,
        summary.deleted_objects,
    )
    return summary


async def _stream_up(
    branch: AsyncBranch | AsyncSession, local: LocalFile, path: str, report: TransferProgress
) -> int:
    """Stream one big file into the branch in pieces; the bytes sent."""
    source = await asyncio.to_thread(open, local.location, "rb")
    sent = 0
    try:
        async with branch.open(path, "wb") as writer:
            while piece := await asyncio.to_thread(source.read, PIECE):
                await writer.write(piece)
                sent += len(piece)
                report.advance(len(piece))
    finally:
        await asyncio.to_thread(source.close)
    report.advance(0, 1)
    return sent


def _check_tree_shape(paths: Iterable[str], base: str) -> None:
    """Refuse objects that cannot all be files of one folder tree (``a`` beside ``a/b``)."""
    ordered = sorted(paths)
    clashes = [
        path for path, following in itertools.pairwise(ordered) if following.startswith(path + "/")
    ]
    if clashes:
        shown = ", ".join(repr(p) for p in clashes[:_SHOWN_SKIPPED])
        raise InvalidPathError(
            f"{len(clashes)} object(s) under {base!r} are also folders of other objects "
            f"({shown}), so they cannot be written as one folder tree; download a narrower "
            "prefix or rename them"
        )


def _check_destination(root: str) -> None:
    if os.path.exists(root) and not os.path.isdir(root):
        raise InvalidPathError(f"{root!r} exists and is not a folder; give a folder to write to")


def _write_whole(location: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(location), exist_ok=True)
    partial = location + ".sapwood-partial"
    with open(partial, "wb") as target:
        target.write(data)
    os.replace(partial, location)


async def download_folder(
    reference: AsyncReference | AsyncSession,
    local_path: str | os.PathLike[str],
    prefix: str = "",
    *,
    progress: ProgressOption = None,
    label: str,
) -> FolderSummary:
    """Write the objects under ``prefix`` at ``reference`` (a reference, all read from one
    commit, or a session; ``label`` names it in progress and logs) into ``local_path``,
    each at its path relative to ``prefix``; files already holding the same content are
    left alone, others are replaced whole (written beside, then renamed)."""
    base = folder_prefix(prefix)
    root = os.fspath(local_path)
    await asyncio.to_thread(_check_destination, root)
    with TransferProgress(progress, f"download {label}:{base}") as report:
        session = await reference._reading_session()
        objects = [
            item async for item in session.list_objects(prefix=base) if isinstance(item, ObjectInfo)
        ]
        _check_tree_shape((o.path for o in objects), base)
        report.set_total(sum(o.size_bytes for o in objects), len(objects))
        await asyncio.to_thread(os.makedirs, root, exist_ok=True)
        counts = {"sent": 0, "sent_bytes": 0, "same": 0, "same_bytes": 0}
        budget = _ByteBudget(MAX_BYTES_IN_FLIGHT)

        async def transfer(info: ObjectInfo) -> None:
            location = os.path.join(root, *info.path[len(base) :].split("/"))
            held = await budget.take(info.size_bytes if info.size_bytes <= PIECE else 2 * PIECE)
            try:
                if await asyncio.to_thread(_holds, location, info, follow_symlinks=False):
                    counts["same"] += 1
                    counts["same_bytes"] += info.size_bytes
                    report.advance(info.size_bytes, 1)
                    return
                if info.size_bytes <= PIECE:
                    data = await session.download(info.path)
                    await asyncio.to_thread(_write_whole, location, data)
                    report.advance(len(data), 1)
                else:
                    await _stream_down(session, info, location, report)
                counts["sent"] += 1
                counts["sent_bytes"] += info.size_bytes
            finally:
                await budget.give_back(held)

        await _run_bounded(objects, transfer)
    summary = FolderSummary(
        transferred_objects=counts["sent"],
        transferred_bytes=counts["sent_bytes"],
        unchanged_objects=counts["same"],
        unchanged_bytes=counts["same_bytes"],
    )
    logger.info(
        "downloaded %s:%s to %s: %d written (%d bytes), %d unchanged",
        label,
        base,
        root,
        summary.transferred_objects,
        summary.transferred_bytes,
        summary.unchanged_objects,
    )
    return summary


async def _stream_down(
    session: AsyncSession, info: ObjectInfo, location: str, report: TransferProgress
) -> None:
    await asyncio.to_thread(os.makedirs, os.path.dirname(location), exist_ok=True)
    partial = location + ".sapwood-partial"
    target = await asyncio.to_thread(open, partial, "wb")
    try:
        async with session.open(info.path, "rb") as source:
            while piece := await source.read(PIECE):
                await asyncio.to_thread(target.write, piece)
                report.advance(len(piece))
    except BaseException:
        await asyncio.to_thread(target.close)
        await asyncio.to_thread(os.unlink, partial)
        raise
    await asyncio.to_thread(target.close)
    await asyncio.to_thread(os.replace, partial, location)
    report.advance(0, 1)
