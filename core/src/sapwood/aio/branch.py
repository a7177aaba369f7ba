"""AsyncBranch: a movable name for a commit, with changes staged in this process."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, TypeVar

from sapwood.aio import folders
from sapwood.aio.files import (
    AsyncObjectReader,
    AsyncObjectWriter,
    AsyncTextReader,
    checked_encoding,
)
from sapwood.aio.folders import FolderSummary
from sapwood.aio.importer import AsyncImportManager
from sapwood.aio.reference import AsyncReference, RefLike, resolve_ref
from sapwood.aio.session import AsyncSession, UploadData
from sapwood.aio.transaction import AsyncTransaction
from sapwood.aio.writable_open import WRITE_MODES, AsyncOpensForWriting, OpenMode
from sapwood.engine import operations
from sapwood.engine.arguments import check_max_amount
from sapwood.engine.paths import validate_prefix
from sapwood.errors import ConflictError, RefExistsError
from sapwood.models import Change, Commit, ObjectInfo
from sapwood.progress import ProgressOption

if TYPE_CHECKING:
    from sapwood.aio.repository import AsyncRepository

__all__ = ["AsyncBranch"]

T = TypeVar("T")


class AsyncBranch(AsyncOpensForWriting, AsyncReference):
    """A branch: reads follow its head (plus what is staged here); writes are staged in
    this process until :meth:`commit_changes`.

    Reads always show the branch's current head with the staged changes on top: a commit
    made meanwhile by a transaction, an import or another handle is visible at once, and
    a staged path hides that commit's version of the same path. Staged changes keep their
    own base (:meth:`list_uncommitted` compares against it), so :meth:`commit_changes`
    rebases them onto the head and still reports a path both sides changed as a conflict.

    ``repo.branch(name)`` returns one handle per repository, so every part of a program
    stages into the same change set.
    """

    def __init__(self, repository: AsyncRepository, branch_id: str) -> None:
        super().__init__(repository, branch_id)
        self._staging: AsyncSession | None = None
        self._lock = asyncio.Lock()
        self._writers = 0

    async def resolve(self) -> bytes:
        """The raw id of the branch's head (RefNotFoundError, listing branches, if none)."""
        state = await self.repository.engine.refs.read_branch(self.id)
        return state.snapshot

    async def _resolve_for_reading(self) -> bytes:
        """The head reads go to: one this repository handle read or moved within
        ``caching.branch_head_ttl_seconds`` with no branch moved in this process since,
        else read afresh."""
        state = await self.repository.engine.refs.recent_branch(self.id)
        return state.snapshot

    async def reader(self) -> AsyncSession:
        """The session reads go through: a read-only session at the branch's current head,
        with what is staged here laid over it."""
        session = await super().reader()
        staging = self._staging
        if staging is not None and staging.has_uncommitted_changes:
            session._overlay(staging)
        return session

    async def _session(self) -> AsyncSession:
        """The staging session; while nothing is staged or being written, it is moved to
        the current head first, so new changes are based on what the branch is now."""
        async with self._lock:
            staging = self._staging
            if staging is None:
                staging = await self.repository.writable_session(self.id)
                self._staging = staging
            elif not staging.has_uncommitted_changes and self._writers == 0:
                staging.move_base(await self.resolve())
            return staging

    async def _write(self, operation: Callable[[AsyncSession], Awaitable[T]]) -> T:
        session = await self._session()
        self._writers += 1
        try:
            return await operation(session)
        finally:
            self._writers -= 1

    def _refuse_if_staged(self, action: str) -> None:
        staging = self._staging
        if staging is not None and staging.has_uncommitted_changes:
            staged = sorted(staging._changes)
            raise ConflictError(
                f"cannot {action} branch {self.id!r} while {len(staged)} change(s) are "
                "staged on it; commit_changes() or reset() them first",
                staged,
            )

    # -- lifecycle --------------------------------------------------------------------------

    async def create(
        self, source_reference: RefLike | None = None, exist_ok: bool = False
    ) -> AsyncBranch:
        """Create the branch at the commit ``source_reference`` names (default: the head of
        the repository's default branch, ``main`` unless chosen); RefExistsError if it
        exists (unless ``exist_ok``). Returns this branch, so
        ``repo.branch("dev").create("main")`` reads well."""
        if source_reference is None:
            source_reference = self.repository.engine.default_branch
        raw = await resolve_ref(self.repository, source_reference)
        try:
            await self.repository.engine.refs.create_branch(self.id, raw)
        except RefExistsError:
            if not exist_ok:
                raise
        return self

    async def delete(self) -> None:
        """Delete the branch (and drop what is staged on it); the repository's default
        branch cannot be deleted (ConflictError)."""
        if self.id == self.repository.engine.default_branch:
            raise ConflictError(
                f"branch {self.id!r} is the repository's default branch and cannot be "
                "deleted; reset_to() another commit to change what it holds"
            )
        await self.repository.engine.refs.delete_branch(self.id)
        self._staging = None

    async def head(self) -> AsyncReference:
        """A reference to the commit the branch points at now (it stays on that commit)."""
        return self.repository.commit((await self.resolve()).hex())

    # -- staged writes ----------------------------------------------------------------------

    async def upload(
        self,
        data: UploadData,
        path: str,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        exclusive: bool = False,
    ) -> ObjectInfo:
        """Stage ``data`` (bytes, str, or a binary or text file object) at ``path``; its
        info. The content type is guessed from the path when not given.

        The content is stored behind the call: it returns once the write has started (a
        bounded number run at once), reads of the path wait for it, the commit waits for it
        and fails if it could not be stored, and the next upload reports such a failure.

        ``exclusive=True`` creates only: ObjectExistsError (a FileExistsError) if ``path``
        exists now, and again at commit if another writer created it meanwhile."""
        return await self._write(lambda s: s.upload(data, path, content_type, metadata, exclusive))

    async def _open_any(
        self,
        path: str,
        mode: OpenMode,
        *,
        encoding: str | None,
        content_type: str | None,
        metadata: Mapping[str, str] | None,
    ) -> AsyncObjectReader | AsyncTextReader | AsyncObjectWriter:
        if mode in ("rb", "r"):
            chosen = checked_encoding(mode, encoding, content_type, metadata)
            return await (await self.reader())._open_reader(path, mode == "r", chosen)
        if mode in WRITE_MODES:
            return await self._write(
                lambda s: s.open(
                    path, mode, encoding=encoding, content_type=content_type, metadata=metadata
                )
            )
        raise ValueError(f"invalid mode {mode!r}; use 'rb', 'r', 'wb', 'w', 'xb' or 'x'")

    async def delete_objects(self, paths: str | Iterable[str]) -> None:
        """Stage the deletion of ``paths``."""
        await self._write(lambda s: s.delete_objects(paths))

    async def copy_object(
        self, from_reference: RefLike, from_path: str, to_path: str | None = None
    ) -> ObjectInfo:
        """Stage a copy of ``from_path`` at ``from_reference`` (this branch itself reads
        what is staged) to ``to_path``; no bytes are copied."""

        async def copy(session: AsyncSession) -> ObjectInfo:
            source: RefLike | AsyncSession = (
                await self.reader() if from_reference is self else from_reference
            )
            return await session.copy_object(source, from_path, to_path)

        return await self._write(copy)

    def list_uncommitted(
        self, max_amount: int | None = None, after: str = "", prefix: str = ""
    ) -> AsyncIterator[Change]:
        """What is staged on this branch, in path order."""
        validate_prefix(prefix)
        check_max_amount(max_amount)
        return self._uncommitted(max_amount, after, prefix)

    async def _uncommitted(
        self, max_amount: int | None, after: str, prefix: str
    ) -> AsyncIterator[Change]:
        staging = self._staging
        if staging is None:
            return
        async for change in staging.list_uncommitted(max_amount, after, prefix):
            yield change

    async def commit_changes(
        self, message: str, metadata: Mapping[str, str] | None = None, allow_empty: bool = False
    ) -> Commit:
        """Commit what is staged (rebasing onto the head if it moved); the new commit.

        With nothing staged: NothingToCommitError and no commit, unless ``allow_empty``."""
        return await (await self._session()).commit(message, metadata, allow_empty)

    async def reset(self, path: str | None = None) -> None:
        """Drop staged changes: all, or those at ``path`` or under ``path/``."""
        if self._staging is not None:
            await self._staging.reset(path)

    def transaction(
        self,
        commit_message: str,
        metadata: Mapping[str, str] | None = None,
        tag: str | None = None,
        allow_empty: bool = False,
    ) -> AsyncTransaction:
        """``async with branch.transaction(msg) as tx:`` stage on ``tx`` (a session of its
        own); committed when the block ends (rebased onto the head if the branch moved and
        no path collides) and tagged ``tag`` if given, discarded if it raises. A block
        that stages nothing raises NothingToCommitError, unless ``allow_empty``."""
        return AsyncTransaction(self, commit_message, metadata, tag, allow_empty)

    def import_from(
        self,
        uri: str,
        destination: str,
        commit_message: str,
        metadata: Mapping[str, str] | None = None,
    ) -> AsyncImportManager:
        """An import of every object under ``uri`` (``s3://bucket/raw``, ``file:///data``,
        or a scheme an importer plugin handles) to ``destination`` on this branch, as one
        commit; ``await manager.run()`` does it (add sources with ``prefix()`` first)."""
        return AsyncImportManager(self, commit_message, metadata).prefix(uri, destination)

    async def upload_folder(
        self,
        local_path: str | os.PathLike[str],
        prefix: str = "",
        *,
        delete: bool = False,
        progress: ProgressOption = None,
    ) -> FolderSummary:
        """Stage every file under ``local_path`` at ``prefix`` + its relative path (many
        in flight, unchanged files skipped); with ``delete``, also stage the removal of
        objects under ``prefix`` the folder lacks. See :mod:`sapwood.aio.folders`."""
        return await folders.upload_folder(
            self, local_path, prefix, delete=delete, progress=progress, label=self.id
        )

    # -- history edits ----------------------------------------------------------------------

    async def revert(
        self, reference: RefLike, parent_number: int = 1, *, message: str | None = None
    ) -> Commit:
        """A new commit undoing what ``reference``'s commit changed against its parent
        number ``parent_number`` (1-based: to revert a merge, 1 undoes what the merged
        branch brought in), with ``message`` or ``Revert "<its message>"``; ConflictError
        if later commits changed the same paths."""
        self._refuse_if_staged("revert on")
        _check_message(message)
        target = await resolve_ref(self.repository, reference)
        return await operations.revert(
            self.repository.engine,
            self.id,
            target,
            author=self.repository.author,
            parent_number=parent_number,
            message=message,
        )

    async def cherry_pick(self, reference: RefLike, *, message: str | None = None) -> Commit:
        """A new commit repeating what ``reference``'s commit changed (against its first
        parent) on this branch, with its message (or ``message``) and metadata (plus
        ``operation`` and ``source`` naming where it came from); ConflictError if this
        branch changed the same paths."""
        self._refuse_if_staged("cherry-pick onto")
        _check_message(message)
        target = await resolve_ref(self.repository, reference)
        return await operations.cherry_pick(
            self.repository.engine,
            self.id,
            target,
            author=self.repository.author,
            message=message,
        )

    async def reset_to(self, reference: RefLike) -> None:
        """Move the branch to the commit ``reference`` names (refused while changes are
        staged here)."""
        self._refuse_if_staged("reset")
        target = await resolve_ref(self.repository, reference)
        await operations.reset_branch(self.repository.engine, self.id, target)


def _check_message(message: object) -> None:
    if message is not None and not isinstance(message, str):
        raise TypeError(f"a commit message is a str, not {type(message).__name__}")
