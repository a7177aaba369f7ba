"""AsyncSession: the unit of change, read-only at a commit or writable on a branch."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import multiprocessing
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final, Protocol

from sapwood.aio import folders
from sapwood.aio.files import (
    AsyncObjectReader,
    AsyncObjectWriter,
    AsyncTextReader,
    checked_encoding,
)
from sapwood.aio.folders import FolderSummary
from sapwood.aio.reads import AsyncReads
from sapwood.aio.writable_open import WRITE_MODES, AsyncOpensForWriting, OpenMode
from sapwood.engine import staging
from sapwood.engine.arguments import check_max_amount
from sapwood.engine.leases import StagingLease
from sapwood.engine.paths import validate_path, validate_prefix
from sapwood.engine.staging import object_info
from sapwood.errors import (
    IntegrityError,
    InvalidPathError,
    NothingToCommitError,
    ObjectExistsError,
    ObjectNotFoundError,
    SapwoodError,
)
from sapwood.models import Change, Commit, ObjectInfo
from sapwood.progress import ProgressOption
from sapwood.storage import CommonPrefix

if TYPE_CHECKING:
    from sapwood.aio.reference import RefLike
    from sapwood.aio.repository import (
        AsyncRepository,
        Opener,
        StoreCredentials,
        VirtualCredentials,
    )
    from sapwood.engine.content import ContentWriter, WrittenContent
    from sapwood.engine.format import Entry
    from sapwood.engine.manifests import Tree
    from sapwood.engine.read_ahead import ReadAhead
    from sapwood.engine.repo import Engine
    from sapwood.zarr import SapwoodStore

__all__ = ["AsyncSession", "OpenMode", "Readable", "UploadData", "object_info"]


PIECE: Final = 8 * 1024 * 1024


class Readable(Protocol):
    """A file object: anything with ``read(size)`` returning bytes or str."""

    def read(self, size: int = ..., /) -> bytes | str:
        """Up to ``size`` bytes or characters; empty at the end."""
        ...


UploadData = bytes | bytearray | memoryview | str | Readable
"""What :meth:`AsyncSession.upload` accepts: bytes, str (UTF-8), or a binary or text file
object."""


class AsyncSession(AsyncOpensForWriting, AsyncReads):
    """A consistent view of one commit, plus (if writable) changes staged on top of it.

    A writable session commits to its branch with optimistic concurrency: if the branch
    moved meanwhile, the changes are rebased onto the new head when no path collides, and
    ConflictError lists the colliding paths otherwise. Sessions pickle (the staged changes
    travel with them), so :meth:`fork` hands work to other processes and :meth:`merge`
    folds it back.
    """

    def __init__(
        self,
        repository: AsyncRepository,
        snapshot: bytes,
        *,
        branch: str | None = None,
        read_only: bool = True,
        fork: bool = False,
    ) -> None:
        self._repository: AsyncRepository | None = repository
        self._opener: Opener = repository.opener
        self._snapshot = snapshot
        self._branch = branch
        self._read_only = read_only
        self._fork = fork
        self._changes: dict[str, Entry | None] = {}
        # Paths staged create-only: checked again against the head when committing.
        self._exclusive: set[str] = set()
        self._tree: tuple[bytes, Tree] | None = None
        self._open_lock: asyncio.Lock | None = None
        self._lease: StagingLease | None = None
        self._read_ahead: ReadAhead | None = None
        self._stranded = False

    # -- identity and state (no I/O) -------------------------------------------------------

    @property
    def branch(self) -> str | None:
        """The branch a writable session commits to (None when read-only at a commit)."""
        return self._branch

    @property
    def snapshot_id(self) -> str:
        """The commit this session reads (the base of its staged changes)."""
        return self._snapshot.hex()

    @property
    def read_only(self) -> bool:
        """True if this session cannot stage changes."""
        return self._read_only

    @property
    def is_fork(self) -> bool:
        """True for a session made by :meth:`fork` (merged back, never committed itself)."""
        return self._fork

    @property
    def has_uncommitted_changes(self) -> bool:
        """True if changes are staged."""
        return bool(self._changes)

    @property
    def store(self) -> SapwoodStore:
        """A Zarr v3 store over this session (needs ``sapwood[zarr]``): Zarr reads what
        the session sees and stages its writes here until :meth:`commit`."""
        from sapwood.zarr import SapwoodStore

        return SapwoodStore(self)

    def __repr__(self) -> str:
        where = f"branch={self._branch!r}, " if self._branch else ""
        kind = "fork" if self._fork else ("read-only" if self._read_only else "writable")
        return (
            f"AsyncSession({where}snapshot={self._snapshot.hex()[:12]}, {kind}, "
            f"staged={len(self._changes)})"
        )

    # -- pickling ---------------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        return {
            "opener": self._opener,
            "snapshot": self._snapshot,
            "branch": self._branch,
            "read_only": self._read_only,
            "fork": self._fork,
            "changes": self._changes,
            "exclusive": self._exclusive,
            "pickled_by": os.getpid(),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._repository = None
        self._opener = state["opener"]
        self._snapshot = state["snapshot"]
        self._branch = state["branch"]
        self._read_only = state["read_only"]
        self._fork = state["fork"]
        self._changes = state["changes"]
        self._exclusive = state.get("exclusive", set())
        self._tree = None
        self._open_lock = None
        self._lease = None
        self._read_ahead = None
        # A writable session (not a fork) copied into a worker process (a Dask worker, a
        # process pool): what the copy stages never reaches the session it came from.
        pickled_by = state.get("pickled_by")
        self._stranded = (
            not self._read_only
            and not self._fork
            and pickled_by is not None
            and pickled_by != os.getpid()
            and multiprocessing.parent_process() is not None
        )

    def _overlay(self, staged: AsyncSession) -> None:
        """Lay a copy of ``staged``'s changes over this read-only session's commit (a
        branch handle reads this way: its current head plus what is staged on it). A copy,
        so a read in progress is not changed under it by a commit or more staging."""
        if not self._read_only:
            raise SapwoodError("only a read-only session takes an overlay of staged changes")
        self._changes = dict(staged._changes)

    def move_base(self, snapshot: bytes) -> None:
        """Re-base a session with nothing staged onto another commit (a branch handle does
        this so new changes start from the branch's current head)."""
        if self._changes:
            raise SapwoodError("cannot move a session's base while changes are staged")
        self._snapshot = snapshot

    async def repository(self) -> AsyncRepository:
        """The repository this session belongs to (reopened after unpickling)."""
        if self._repository is None:
            if self._open_lock is None:
                self._open_lock = asyncio.Lock()
            async with self._open_lock:
                if self._repository is None:
                    self._repository = await self._opener.open()
        return self._repository

    async def _engine(self) -> Engine:
        return (await self.repository()).engine

    async def _base_tree(self) -> Tree:
        if self._tree is not None and self._tree[0] == self._snapshot:
            return self._tree[1]
        tree = await (await self._engine()).tree(self._snapshot)
        self._tree = (self._snapshot, tree)
        return tree

    # -- reads ------------------------------------------------------------------------------

    async def _lookup(self, path: str) -> Entry | None:
        if path in self._changes:
            return self._changes[path]
        return await (await self._base_tree()).get(path)

    async def _entry(self, path: str) -> Entry:
        validate_path(path)
        entry = await self._lookup(path)
        if entry is None:
            raise ObjectNotFoundError(
                f"no object at {path!r} in {self._describe()}; list_objects() shows what exists"
            )
        return entry

    def _label(self) -> str:
        """A short name for progress bars and logs: the branch, or the commit."""
        return self._branch or self._snapshot.hex()[:12]

    def _describe(self) -> str:
        commit = self._snapshot.hex()[:12]
        return f"branch {self._branch!r} (at {commit})" if self._branch else f"commit {commit}"

    async def _reading_session(self) -> AsyncSession:
        return self

    async def _stat_object(self, path: str) -> ObjectInfo:
        return object_info(await self._entry(path))

    async def _exists(self, path: str) -> bool:
        validate_path(path)
        return await self._lookup(path) is not None

    def _share_read_ahead(self, read_ahead: ReadAhead) -> None:
        """Download through ``read_ahead`` (a reference's, whose reads make one session
        each), so a loop of its downloads is seen as one sequence."""
        self._read_ahead = read_ahead

    async def _download(self, path: str) -> bytes:
        entry = await self._entry(path)
        engine = await self._engine()
        read_ahead = self._read_ahead
        if read_ahead is None:
            read_ahead = self._read_ahead = engine.read_ahead()
        read = engine.reader(entry).read
        return await read_ahead.download(self._snapshot, await self._base_tree(), entry, read)

    async def _open_reader(
        self, path: str, text: bool, encoding: str
    ) -> AsyncObjectReader | AsyncTextReader:
        entry = await self._entry(path)
        binary = AsyncObjectReader(object_info(entry), (await self._engine()).reader(entry))
        return AsyncTextReader(binary, encoding) if text else binary

    async def _open_any(
        self,
        path: str,
        mode: OpenMode,
        *,
        encoding: str | None,
        content_type: str | None,
        metadata: Mapping[str, str] | None,
    ) -> AsyncObjectReader | AsyncTextReader | AsyncObjectWriter:
        if mode not in ("rb", "r", *WRITE_MODES):
            raise ValueError(f"invalid mode {mode!r}; use 'rb', 'r', 'wb', 'w', 'xb' or 'x'")
        chosen = checked_encoding(mode, encoding, content_type, metadata)
        if mode in ("rb", "r"):
            return await self._open_reader(path, mode == "r", chosen)
        if mode in WRITE_MODES:
            return await self._writer(
                path,
                not mode.endswith("b"),
                chosen,
                content_type,
                metadata,
                exclusive=mode.startswith("x"),
            )
        raise ValueError(f"invalid mode {mode!r}; use 'rb', 'r', 'wb', 'w', 'xb' or 'x'")

    async def _list(
        self, max_amount: int | None, after: str, prefix: str, delimiter: str
    ) -> AsyncIterator[ObjectInfo | CommonPrefix]:
        tree = await self._base_tree()
        async for item in staging.list_objects(
            tree, self._changes, max_amount, after, prefix, delimiter
        ):
            yield item

    # -- writes -----------------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self._read_only:
            raise SapwoodError(
                f"this session is read-only (at {self._describe()}); open one with "
                "repo.writable_session(branch) to change objects"
            )

    def _refuse_if_stranded(self) -> None:
        if self._stranded:
            raise SapwoodError(
                f"this writable session ({self._describe()}) was pickled into a worker "
                "process, where what it stages would never reach the session it came from "
                "(and so never be committed). Hand each worker session.fork() and fold the "
                "forks back with session.merge(*forks); for xarray with Dask use "
                "sapwood.xarray.to_sapwood(ds, session), not ds.to_zarr(session.store)"
            )

    async def _staging_lease(self) -> StagingLease:
        """This session's lease, which keeps what its staged changes refer to from garbage
        collection (see :mod:`sapwood.engine.leases`)."""
        if self._lease is None:
            self._lease = StagingLease((await self._engine()).layer)
        return self._lease

    async def _new_entry(
        self,
        path: str,
        written: WrittenContent,
        content_type: str | None,
        metadata: dict[str, str] | None,
    ) -> Entry:
        engine = await self._engine()
        if written.chunks is not None and written.size <= engine.policy.chunk_threshold:
            # Not chunked: its one blob was written now (never skipped as already known),
            # after the lease's anchor, which therefore covers it.
            (await self._staging_lease()).note_written(c.id for c in written.chunks)
        return staging.new_entry(engine, path, written, content_type, metadata)

    def _known_chunks_loader(self, path: str) -> Callable[[], Awaitable[list[bytes]]]:
        async def load() -> list[bytes]:
            previous = await self._lookup(path)
            if previous is None or previous.chunks is None:
                return []
            return [chunk.id for chunk in previous.chunks]

        return load

    async def _refuse_existing(self, path: str) -> None:
        if await self._lookup(path) is not None:
            raise ObjectExistsError(
                f"{path!r} already exists in {self._describe()} and the write is create-only "
                "(exclusive); write without exclusive=True (mode 'wb') to replace it",
                path,
            )

    def _stage(self, path: str, entry: Entry | None, *, exclusive: bool = False) -> None:
        self._refuse_if_stranded()
        self._changes[path] = entry
        if exclusive:
            self._exclusive.add(path)
        else:
            self._exclusive.discard(path)

    async def _content_writer(self, path: str) -> ContentWriter:
        self._refuse_if_stranded()  # before any byte is stored
        engine = await self._engine()
        await (await self._staging_lease()).anchor()
        # A fork travels to other processes (pickled) and back: its blobs must have landed
        # before it leaves, so it writes through.
        return staging.content_writer(
            engine, self._known_chunks_loader(path), write_behind=not self._fork
        )

    async def _writer(
        self,
        path: str,
        text: bool,
        encoding: str,
        content_type: str | None,
        metadata: Mapping[str, str] | None,
        *,
        exclusive: bool = False,
    ) -> AsyncObjectWriter:
        self._check_writable()
        validate_path(path)
        staging.check_metadata(metadata, "object metadata")
        staging.check_content_type(content_type)
        if exclusive:
            await self._refuse_existing(path)
        content = await self._content_writer(path)

        async def stage(
            written: WrittenContent, content_type: str | None, metadata: dict[str, str] | None
        ) -> ObjectInfo:
            if exclusive:
                await self._refuse_existing(path)
            entry = await self._new_entry(path, written, content_type, metadata)
            self._stage(path, entry, exclusive=exclusive)
            return object_info(entry)

        return AsyncObjectWriter(
            path,
            content,
            stage,
            text=text,
            encoding=encoding,
            content_type=content_type,
            metadata=metadata,
            exclusive=exclusive,
        )

    async def upload(
        self,
        data: UploadData,
        path: str,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        exclusive: bool = False,
    ) -> ObjectInfo:
        """Stage ``data`` (bytes, str, or a binary or text file object, read in pieces) as
        the object at ``path``; its info. A file stored as one blob is written behind the
        call (see :meth:`AsyncBranch.upload <sapwood.aio.AsyncBranch.upload>`), except in a
        fork, whose blobs must have landed before it is pickled.

        ``exclusive=True`` creates only: ObjectExistsError (a FileExistsError) if ``path``
        exists now, and again at commit if another writer created it meanwhile."""
        return object_info(await self._upload(data, path, content_type, metadata, exclusive))

    async def _upload(
        self,
        data: UploadData,
        path: str,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        exclusive: bool = False,
    ) -> Entry:
        """:meth:`upload`, giving the staged entry (the Zarr store, staging one chunk per
        call, has no use for the public info made from it)."""
        self._check_writable()
        validate_path(path)
        checked = staging.check_metadata(metadata, "object metadata")
        staging.check_content_type(content_type)  # before any byte is stored
        if exclusive:
            await self._refuse_existing(path)
        content = await self._content_writer(path)
        try:
            if isinstance(data, bytes | bytearray | memoryview):
                await content.write(data)
            elif isinstance(data, str):
                await content.write(data.encode())
            elif callable(getattr(data, "read", None)):
                await _pump(data, content)
            else:
                raise TypeError(
                    f"cannot upload a {type(data).__name__}; pass bytes, str or a file object"
                )
            written = await content.finish()
        except BaseException:
            await content.abort()
            raise
        if exclusive:
            await self._refuse_existing(path)
        entry = await self._new_entry(path, written, content_type, checked)
        self._stage(path, entry, exclusive=exclusive)
        return entry

    async def put_virtual(
        self,
        path: str,
        location: str,
        *,
        offset: int = 0,
        length: int,
        etag: str | None = None,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        """Stage a virtual object: ``length`` bytes at ``offset`` of ``location``, a URL
        under one of the repository's virtual chunk containers (read lazily from there)."""
        self._check_writable()
        validate_path(path)
        entry = staging.virtual_entry(
            await self._engine(),
            path,
            location,
            offset=offset,
            length=length,
            etag=etag,
            content_type=content_type,
            metadata=staging.check_metadata(metadata, "object metadata"),
        )
        self._stage(path, entry)
        return object_info(entry)

    async def delete_objects(self, paths: str | Iterable[str]) -> None:
        """Stage the deletion of ``paths`` (missing paths are ignored)."""
        self._check_writable()
        items = [paths] if isinstance(paths, str) else list(paths)
        for path in items:
            validate_path(path)
        for path in items:
            self._stage(path, None)

    async def copy_object(
        self, from_reference: RefLike | AsyncSession, from_path: str, to_path: str | None = None
    ) -> ObjectInfo:
        """Stage a copy of ``from_path`` as it is at ``from_reference`` (this session's own
        branch name reads the staged state) to ``to_path`` (default: the same path). No
        bytes are copied: both entries share the blobs."""
        self._check_writable()
        validate_path(from_path)
        target = validate_path(to_path) if to_path is not None else from_path
        repository = await self.repository()
        if from_reference is self or (
            isinstance(from_reference, str) and from_reference == self._branch
        ):
            source = await self._lookup(from_path)
        elif isinstance(from_reference, AsyncSession):
            source = await from_reference._lookup(from_path)
        else:
            raw = await repository.resolve(from_reference)
            source = await (await repository.engine.tree(raw)).get(from_path)
        if source is None:
            raise ObjectNotFoundError(f"no object at {from_path!r} in {from_reference!r}")
        entry = staging.copied_entry(await self._engine(), source, target)
        if entry.chunks and await (await self._staging_lease()).hold(c.id for c in entry.chunks):
            raise IntegrityError(
                f"cannot copy {from_path!r} from {from_reference!r}: its data is no longer in "
                "the store (garbage collection deleted it, or it was removed outside sapwood)"
            )
        self._stage(target, entry)
        return object_info(entry)

    async def upload_folder(
        self,
        local_path: str | os.PathLike[str],
        prefix: str = "",
        *,
        delete: bool = False,
        progress: ProgressOption = None,
    ) -> FolderSummary:
        """Stage every file under ``local_path`` at ``prefix`` + its relative path, as
        :meth:`AsyncBranch.upload_folder <sapwood.aio.AsyncBranch.upload_folder>` does (in a
        transaction: ``tx.upload_folder(...)``); with ``delete``, also stage the removal of
        objects under ``prefix`` the folder lacks."""
        self._check_writable()
        return await folders.upload_folder(
            self, local_path, prefix, delete=delete, progress=progress, label=self._label()
        )

    async def download_folder(
        self,
        local_path: str | os.PathLike[str],
        prefix: str = "",
        *,
        progress: ProgressOption = None,
    ) -> FolderSummary:
        """Write the objects this session sees under ``prefix`` (its commit plus what is
        staged) into ``local_path`` at their paths relative to ``prefix``, as
        :meth:`AsyncReference.download_folder
        <sapwood.aio.AsyncReference.download_folder>` does."""
        return await folders.download_folder(
            self, local_path, prefix, progress=progress, label=self._label()
        )

    def list_uncommitted(
        self, max_amount: int | None = None, after: str = "", prefix: str = ""
    ) -> AsyncIterator[Change]:
        """The staged changes (against this session's base commit), in path order."""
        validate_prefix(prefix)
        check_max_amount(max_amount)
        return self._uncommitted(max_amount, after, prefix)

    async def _uncommitted(
        self, max_amount: int | None, after: str, prefix: str
    ) -> AsyncIterator[Change]:
        tree = await self._base_tree()
        async for change in staging.list_uncommitted(
            tree, self._changes, max_amount, after, prefix
        ):
            yield change

    async def reset(self, path: str | None = None) -> None:
        """Drop staged changes: all of them, or those at ``path`` or under ``path/``."""
        if path is not None and not isinstance(path, str):
            raise InvalidPathError(f"reset() takes a path (str) or None, not {type(path).__name__}")
        if path is None:
            self._changes.clear()
            self._exclusive.clear()
            await self._release_lease()
            return
        folder = path.rstrip("/") + "/"
        for staged in [p for p in self._changes if p == path or p.startswith(folder)]:
            del self._changes[staged]
            self._exclusive.discard(staged)

    async def discard(self) -> None:
        """Drop every staged change (blobs already written become garbage for GC)."""
        self._changes.clear()
        self._exclusive.clear()
        await self._release_lease()

    async def _release_lease(self) -> None:
        if self._lease is not None and not self._changes:
            # Writes behind still in flight land before the lease goes, so a collection
            # that no longer sees the lease finds them stored (and, unreferenced, garbage).
            await (await self._engine()).blobs.quiesce()
            await self._lease.release()

    # -- committing, forks ------------------------------------------------------------------

    async def commit(
        self, message: str, metadata: Mapping[str, str] | None = None, allow_empty: bool = False
    ) -> Commit:
        """Commit the staged changes to the branch; the new commit.

        With nothing staged, NothingToCommitError and no commit, unless ``allow_empty``.
        A path staged create-only that another writer committed meanwhile fails the
        commit with ObjectExistsError naming it. The session then continues from the new
        commit with nothing staged.
        """
        self._check_writable()
        if self._fork:
            raise SapwoodError(
                "a forked session is not committed itself: merge it into the session it came "
                "from with session.merge(fork), then commit that session"
            )
        if self._branch is None:
            raise SapwoodError("this session is not on a branch; nothing to commit to")
        if not isinstance(message, str):
            raise TypeError(f"a commit message is a str, not {type(message).__name__}")
        checked = staging.check_metadata(metadata, "commit metadata") or {}
        if not self._changes and not allow_empty:
            raise NothingToCommitError(
                f"nothing is staged on {self._describe()}, so there is nothing to commit; "
                "stage changes first, or pass allow_empty=True for an empty commit"
            )
        repository = await self.repository()
        engine = repository.engine
        staged = dict(self._changes)
        raw, commit = await staging.commit_changes(
            engine,
            self._branch,
            self._snapshot,
            staged,
            message=message,
            metadata=checked,
            author=repository.author,
            exclusive=frozenset(self._exclusive & staged.keys()),
            lease=await self._staging_lease(),
        )
        for path, entry in staged.items():
            if path in self._changes and self._changes[path] is entry:
                del self._changes[path]
                self._exclusive.discard(path)
        self._snapshot = raw
        await self._release_lease()
        return commit

    def fork(self, *, with_credentials: bool = True) -> AsyncSession:
        """A writable copy with nothing staged, on the same base, that pickles for another
        process; bring its changes back with :meth:`merge`.

        Its pickle carries what the repository was opened with, credentials included (in
        clear, as pickles are). With ``with_credentials=False`` it carries none: the worker
        then finds credentials as any opener does (environment, config file, the backend's
        default chain), or is given them with :meth:`use_credentials`."""
        self._check_writable()
        if self._repository is None:
            raise SapwoodError("use the session once (or await session.repository()) to fork")
        forked = AsyncSession(
            self._repository, self._snapshot, branch=self._branch, read_only=False, fork=True
        )
        if not with_credentials:
            forked._opener = dataclasses.replace(
                forked._opener, credentials=None, virtual_credentials=None
            )
        return forked

    def use_credentials(
        self,
        store_credentials: StoreCredentials = None,
        virtual_chunk_credentials: VirtualCredentials = None,
    ) -> None:
        """Open this session's repository with these credentials instead of those it was
        pickled with (say, a fork unpickled in a worker that has its own); only before the
        session has opened its repository there."""
        if self._repository is not None:
            raise SapwoodError(
                "this session's repository is open already; give credentials to a session "
                "unpickled in another process before its first use"
            )
        self._opener = dataclasses.replace(
            self._opener,
            credentials=store_credentials,
            virtual_credentials=virtual_chunk_credentials,
        )

    async def merge(self, *forks: AsyncSession) -> None:
        """Fold the staged changes of ``forks`` into this session.

        ConflictError lists paths that two of them (or this session) staged differently.
        """
        self._check_writable()
        for fork in forks:
            if not isinstance(fork, AsyncSession):
                raise TypeError(f"merge() takes sessions, not {type(fork).__name__}")
            if fork._snapshot != self._snapshot or fork._branch != self._branch:
                raise SapwoodError(
                    f"cannot merge a fork of {fork._describe()} into a session at "
                    f"{self._describe()}; fork and merge from the same session"
                )
        self._changes.update(staging.fold_forks(self._changes, [f._changes for f in forks]))
        for fork in forks:
            self._exclusive |= fork._exclusive


async def _pump(source: Readable, content: ContentWriter) -> None:
    direct = isinstance(source, io.BytesIO | io.StringIO)
    while True:
        piece = source.read(PIECE) if direct else await asyncio.to_thread(source.read, PIECE)
        if not piece:
            return
        await content.write(piece.encode() if isinstance(piece, str) else piece)
