"""AsyncSession: the unit of change, read-only at a commit or writable on a branch."""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import io
import mimetypes
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, overload

import msgspec

from sapwood.aio.files import AsyncObjectReader, AsyncObjectWriter, AsyncOpening, AsyncTextReader
from sapwood.engine.commits import commit_to_branch, staged_preparer
from sapwood.engine.content import ContentWriter, WrittenContent
from sapwood.engine.format import Entry, VirtualRef, from_micros, to_micros
from sapwood.engine.keys import blob_key
from sapwood.engine.leases import StagingLease
from sapwood.engine.manifests import Tree
from sapwood.engine.merge import same
from sapwood.engine.paths import (
    check_encodable,
    prefix_successor,
    validate_path,
    validate_prefix,
)
from sapwood.engine.repo import Engine
from sapwood.engine.snapshots import commit_of
from sapwood.errors import ConflictError, IntegrityError, ObjectNotFoundError, SapwoodError
from sapwood.models import Change, Commit, ObjectInfo
from sapwood.storage import CommonPrefix

if TYPE_CHECKING:
    from sapwood.aio.reference import RefLike
    from sapwood.aio.repository import (
        AsyncRepository,
        Opener,
        StoreCredentials,
        VirtualCredentials,
    )

__all__ = ["AsyncSession", "Readable", "UploadData", "object_info"]

PIECE: Final = 8 * 1024 * 1024
DEFAULT_CONTENT_TYPE: Final = "application/octet-stream"


class Readable(Protocol):
    """A file object: anything with ``read(size)`` returning bytes or str."""

    def read(self, size: int = ..., /) -> bytes | str:
        """Up to ``size`` bytes or characters; empty at the end."""
        ...


UploadData = bytes | bytearray | memoryview | str | Readable
"""What :meth:`AsyncSession.upload` accepts: bytes, str (UTF-8), or a binary or text file
object."""


def object_info(entry: Entry) -> ObjectInfo:
    """The public description of a manifest entry."""
    if entry.virtual is not None:
        checksum = entry.checksum.hex() if entry.checksum else (entry.virtual.etag or "")
        address: str | None = entry.virtual.location
    else:
        checksum = entry.checksum.hex()
        address = None
        if entry.chunks is not None and len(entry.chunks) == 1:
            address = blob_key(entry.chunks[0].id)
    return ObjectInfo(
        path=entry.path,
        size_bytes=entry.size,
        checksum=checksum,
        content_type=entry.content_type or DEFAULT_CONTENT_TYPE,
        metadata=dict(entry.metadata or {}),
        modified_time=from_micros(entry.modified_us),
        physical_address=address,
    )


def _check_metadata(metadata: Mapping[str, str] | None, what: str) -> dict[str, str] | None:
    if metadata is None:
        return None
    checked: dict[str, str] = {}
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(
                f"{what} maps str to str; got {key!r}: {type(value).__name__} (convert values "
                "with str() or json.dumps())"
            )
        check_encodable(key, f"{what} key")
        check_encodable(value, f"{what} value of {key!r}")
        checked[key] = value
    return checked or None


class AsyncSession:
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
        self._tree: tuple[bytes, Tree] | None = None
        self._open_lock: asyncio.Lock | None = None
        self._lease: StagingLease | None = None

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
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._repository = None
        self._opener = state["opener"]
        self._snapshot = state["snapshot"]
        self._branch = state["branch"]
        self._read_only = state["read_only"]
        self._fork = state["fork"]
        self._changes = state["changes"]
        self._tree = None
        self._open_lock = None
        self._lease = None

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

    async def _staging_lease(self) -> StagingLease:
        """This session's lease, which keeps what its staged changes refer to from garbage
        collection (see :mod:`sapwood.engine.leases`)."""
        if self._lease is None:
            self._lease = StagingLease((await self._engine()).layer)
        return self._lease

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

    def _describe(self) -> str:
        commit = self._snapshot.hex()[:12]
        return f"branch {self._branch!r} (at {commit})" if self._branch else f"commit {commit}"

    async def stat_object(self, path: str) -> ObjectInfo:
        """What is known about the object at ``path`` (ObjectNotFoundError if none)."""
        return object_info(await self._entry(path))

    async def exists(self, path: str) -> bool:
        """True if an object exists at ``path``."""
        validate_path(path)
        return await self._lookup(path) is not None

    async def download(self, path: str) -> bytes:
        """The whole content of the object at ``path``."""
        entry = await self._entry(path)
        return await (await self._engine()).reader(entry).read()

    @overload
    def open(
        self, path: str, mode: Literal["rb"] = "rb", *, encoding: str = ...
    ) -> AsyncOpening[AsyncObjectReader]: ...

    @overload
    def open(
        self, path: str, mode: Literal["r"], *, encoding: str = ...
    ) -> AsyncOpening[AsyncTextReader]: ...

    @overload
    def open(
        self,
        path: str,
        mode: Literal["wb", "w"],
        *,
        encoding: str = ...,
        content_type: str | None = ...,
        metadata: Mapping[str, str] | None = ...,
    ) -> AsyncOpening[AsyncObjectWriter]: ...

    def open(
        self,
        path: str,
        mode: Literal["rb", "r", "wb", "w"] = "rb",
        *,
        encoding: str = "utf-8",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> AsyncOpening[AsyncObjectReader | AsyncTextReader | AsyncObjectWriter]:
        """A file object: ``"rb"``/``"r"`` read the object (seekable, fetching only the
        chunks a read needs); ``"wb"``/``"w"`` stream a new version that is staged on
        close.

        Await it for the file (``f = await ref.open(p)``) or use it directly in
        ``async with ref.open(p) as f:``, which closes the file at the end."""
        return AsyncOpening(
            self._open(path, mode, encoding=encoding, content_type=content_type, metadata=metadata)
        )

    async def _open(
        self,
        path: str,
        mode: Literal["rb", "r", "wb", "w"] = "rb",
        *,
        encoding: str = "utf-8",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> AsyncObjectReader | AsyncTextReader | AsyncObjectWriter:
        if mode in ("rb", "r"):
            entry = await self._entry(path)
            binary = AsyncObjectReader(object_info(entry), (await self._engine()).reader(entry))
            return binary if mode == "rb" else AsyncTextReader(binary, encoding)
        if mode in ("wb", "w"):
            return await self._writer(path, mode == "w", encoding, content_type, metadata)
        raise ValueError(f"invalid mode {mode!r}; use 'rb', 'r', 'wb' or 'w'")

    def list_objects(
        self,
        max_amount: int | None = None,
        after: str = "",
        prefix: str = "",
        delimiter: str = "",
    ) -> AsyncIterator[ObjectInfo | CommonPrefix]:
        """Objects in path order under ``prefix`` and after ``after``; with a ``delimiter``,
        deeper paths fold into CommonPrefix entries (as S3 listings do)."""
        validate_prefix(prefix)
        return self._list(max_amount, after, prefix, delimiter)

    async def _list(
        self, max_amount: int | None, after: str, prefix: str, delimiter: str
    ) -> AsyncIterator[ObjectInfo | CommonPrefix]:
        if max_amount is not None and max_amount <= 0:
            return
        tree = await self._base_tree()
        staged = sorted(p for p in self._changes if p.startswith(prefix))
        position = prefix
        if after:
            following = after + "\x00"
            if delimiter and after.endswith(delimiter):
                following = prefix_successor(after) or following
            position = max(position, following)
        produced = 0
        if not delimiter and not staged:
            async for entry in tree.entries(prefix, position):
                yield object_info(entry)
                produced += 1
                if max_amount is not None and produced >= max_amount:
                    return
            return
        while True:
            base = await tree.first_at_or_after(position)
            at = bisect.bisect_left(staged, position)
            candidates = [
                p
                for p in (base.path if base else None, staged[at] if at < len(staged) else None)
                if p is not None
            ]
            if not candidates:
                return
            path = min(candidates)
            if not path.startswith(prefix):
                return
            current = self._changes.get(path, base)
            if current is None:
                position = path + "\x00"
                continue
            if delimiter:
                cut = path.find(delimiter, len(prefix))
                if cut >= 0:
                    common = path[: cut + len(delimiter)]
                    yield CommonPrefix(common)
                    produced += 1
                    if max_amount is not None and produced >= max_amount:
                        return
                    following_prefix = prefix_successor(common)
                    if following_prefix is None:
                        return
                    position = following_prefix
                    continue
            yield object_info(current)
            produced += 1
            if max_amount is not None and produced >= max_amount:
                return
            position = path + "\x00"

    # -- writes -----------------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self._read_only:
            raise SapwoodError(
                f"this session is read-only (at {self._describe()}); open one with "
                "repo.writable_session(branch) to change objects"
            )

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
        if content_type:
            check_encodable(content_type, "content type")
        guessed = content_type or mimetypes.guess_type(path)[0] or DEFAULT_CONTENT_TYPE
        return Entry(
            path=path,
            size=written.size,
            checksum=written.checksum,
            modified_us=to_micros(engine.clock()),
            content_type=guessed,
            metadata=metadata,
            inline=written.inline,
            chunks=written.chunks,
        )

    def _known_chunks_loader(self, path: str) -> Callable[[], Awaitable[list[bytes]]]:
        async def load() -> list[bytes]:
            previous = await self._lookup(path)
            if previous is None or previous.chunks is None:
                return []
            return [chunk.id for chunk in previous.chunks]

        return load

    async def _content_writer(self, path: str) -> ContentWriter:
        engine = await self._engine()
        await (await self._staging_lease()).anchor()
        return ContentWriter(
            engine.blobs,
            engine.policy,
            load_known=self._known_chunks_loader(path),
            max_in_flight=max(2, engine.concurrency // 4),
        )

    async def _writer(
        self,
        path: str,
        text: bool,
        encoding: str,
        content_type: str | None,
        metadata: Mapping[str, str] | None,
    ) -> AsyncObjectWriter:
        self._check_writable()
        validate_path(path)
        checked = _check_metadata(metadata, "object metadata")
        content = await self._content_writer(path)

        async def stage(written: WrittenContent) -> ObjectInfo:
            entry = await self._new_entry(path, written, content_type, checked)
            self._changes[path] = entry
            return object_info(entry)

        return AsyncObjectWriter(path, content, stage, text=text, encoding=encoding)

    async def upload(
        self,
        data: UploadData,
        path: str,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        """Stage ``data`` (bytes, str, or a binary or text file object, read in pieces) as
        the object at ``path``; its info."""
        self._check_writable()
        validate_path(path)
        checked = _check_metadata(metadata, "object metadata")
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
        entry = await self._new_entry(path, written, content_type, checked)
        self._changes[path] = entry
        return object_info(entry)

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
        engine = await self._engine()
        engine.virtual.container_for(location)
        if offset < 0 or length < 0:
            raise ValueError("offset and length must be >= 0")
        entry = Entry(
            path=path,
            size=length,
            checksum=b"",
            modified_us=to_micros(engine.clock()),
            content_type=content_type or mimetypes.guess_type(path)[0] or DEFAULT_CONTENT_TYPE,
            metadata=_check_metadata(metadata, "object metadata"),
            virtual=VirtualRef(location, offset, length, etag),
        )
        self._changes[path] = entry
        return object_info(entry)

    async def delete_objects(self, paths: str | Iterable[str]) -> None:
        """Stage the deletion of ``paths`` (missing paths are ignored)."""
        self._check_writable()
        items = [paths] if isinstance(paths, str) else list(paths)
        for path in items:
            validate_path(path)
        for path in items:
            self._changes[path] = None

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
        engine = await self._engine()
        entry = msgspec.structs.replace(source, path=target, modified_us=to_micros(engine.clock()))
        if entry.chunks and await (await self._staging_lease()).hold(c.id for c in entry.chunks):
            raise IntegrityError(
                f"cannot copy {from_path!r} from {from_reference!r}: its data is no longer in "
                "the store (garbage collection deleted it, or it was removed outside sapwood)"
            )
        self._changes[target] = entry
        return object_info(entry)

    def list_uncommitted(
        self, max_amount: int | None = None, after: str = "", prefix: str = ""
    ) -> AsyncIterator[Change]:
        """The staged changes (against this session's base commit), in path order."""
        validate_prefix(prefix)
        return self._uncommitted(max_amount, after, prefix)

    async def _uncommitted(
        self, max_amount: int | None, after: str, prefix: str
    ) -> AsyncIterator[Change]:
        paths = sorted(p for p in self._changes if p.startswith(prefix) and p > after)
        base = await (await self._base_tree()).get_many(paths)
        produced = 0
        for path in paths:
            if max_amount is not None and produced >= max_amount:
                return
            old, new = base.get(path), self._changes[path]
            if same(old, new):
                continue
            if new is None:
                assert old is not None
                yield Change(type="removed", path=path, size_bytes=old.size)
            else:
                kind: Literal["added", "changed"] = "added" if old is None else "changed"
                yield Change(type=kind, path=path, size_bytes=new.size)
            produced += 1

    async def reset(self, path: str | None = None) -> None:
        """Drop staged changes: all of them, or those at ``path`` or under ``path/``."""
        if path is None:
            self._changes.clear()
            await self._release_lease()
            return
        folder = path.rstrip("/") + "/"
        for staged in [p for p in self._changes if p == path or p.startswith(folder)]:
            del self._changes[staged]

    async def discard(self) -> None:
        """Drop every staged change (blobs already written become garbage for GC)."""
        self._changes.clear()
        await self._release_lease()

    async def _release_lease(self) -> None:
        if self._lease is not None and not self._changes:
            await self._lease.release()

    # -- committing, forks ------------------------------------------------------------------

    async def commit(self, message: str, metadata: Mapping[str, str] | None = None) -> Commit:
        """Commit the staged changes to the branch; the new commit.

        The session then continues from the new commit with nothing staged.
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
        checked = _check_metadata(metadata, "commit metadata") or {}
        repository = await self.repository()
        engine = repository.engine
        staged = dict(self._changes)
        raw, snapshot = await commit_to_branch(
            engine,
            self._branch,
            staged_preparer(engine, self._snapshot, staged),
            message=message,
            metadata=checked,
            author=repository.author,
            lease=await self._staging_lease(),
        )
        for path, entry in staged.items():
            if path in self._changes and self._changes[path] is entry:
                del self._changes[path]
        self._snapshot = raw
        await self._release_lease()
        return commit_of(raw, snapshot)

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
        incoming: dict[str, Entry | None] = {}
        conflicts: list[str] = []
        for fork in forks:
            if not isinstance(fork, AsyncSession):
                raise TypeError(f"merge() takes sessions, not {type(fork).__name__}")
            if fork._snapshot != self._snapshot or fork._branch != self._branch:
                raise SapwoodError(
                    f"cannot merge a fork of {fork._describe()} into a session at "
                    f"{self._describe()}; fork and merge from the same session"
                )
            for path, entry in fork._changes.items():
                if path in incoming:
                    if not same(incoming[path], entry):
                        conflicts.append(path)
                elif path in self._changes and not same(self._changes[path], entry):
                    conflicts.append(path)
                incoming[path] = entry
        if conflicts:
            raise ConflictError(
                f"forks staged different content at {len(conflicts)} path(s): "
                f"{', '.join(sorted(conflicts)[:10])}",
                sorted(conflicts),
            )
        self._changes.update(incoming)


async def _pump(source: Readable, content: ContentWriter) -> None:
    direct = isinstance(source, io.BytesIO | io.StringIO)
    while True:
        piece = source.read(PIECE) if direct else await asyncio.to_thread(source.read, PIECE)
        if not piece:
            return
        await content.write(piece.encode() if isinstance(piece, str) else piece)
