"""Session: the unit of change underneath branches (sync twin of
:class:`sapwood.aio.AsyncSession`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Literal, overload

from sapwood import _loop
from sapwood._sync._twin import Twin
from sapwood._sync.files import ObjectReader, ObjectWriter, TextReader, file_twin, opener
from sapwood._sync.reference import ref_arg
from sapwood.aio.reference import RefLike
from sapwood.aio.session import AsyncSession, UploadData
from sapwood.models import Change, Commit, ObjectInfo
from sapwood.storage import CommonPrefix

if TYPE_CHECKING:
    from sapwood._sync.repository import Repository
    from sapwood.aio.repository import StoreCredentials, VirtualCredentials

__all__ = ["Session"]


class Session(Twin[AsyncSession]):
    """A consistent view of one commit, plus (if writable) changes staged on top of it.

    Get one from :meth:`Repository.readonly_session` or :meth:`Repository.writable_session`.
    A writable session commits to its branch with optimistic concurrency: if the branch
    moved meanwhile, the changes are rebased onto the new head when no path collides, and
    ConflictError lists the colliding paths otherwise. Sessions pickle with what they have
    staged, so :meth:`fork` hands work to other processes and :meth:`merge` folds it back.
    """

    def __repr__(self) -> str:
        return repr(self.aio).removeprefix("Async")

    # -- identity and state -----------------------------------------------------------------

    @property
    def branch(self) -> str | None:
        """The branch a writable session commits to (None when read-only at a commit)."""
        return self.aio.branch

    @property
    def snapshot_id(self) -> str:
        """The commit this session reads (the base of its staged changes)."""
        return self.aio.snapshot_id

    @property
    def read_only(self) -> bool:
        """True if this session cannot stage changes."""
        return self.aio.read_only

    @property
    def is_fork(self) -> bool:
        """True for a session made by :meth:`fork` (merged back, never committed itself)."""
        return self.aio.is_fork

    @property
    def has_uncommitted_changes(self) -> bool:
        """True if changes are staged."""
        return self.aio.has_uncommitted_changes

    def move_base(self, snapshot: bytes) -> None:
        """Re-base a session with nothing staged onto another commit (raw id)."""
        self.aio.move_base(snapshot)

    def repository(self) -> Repository:
        """The repository this session belongs to (reopened after unpickling)."""
        from sapwood._sync.repository import Repository

        return Repository.wrap(_loop.run(self.aio.repository()))

    # -- reads ------------------------------------------------------------------------------

    def stat_object(self, path: str) -> ObjectInfo:
        """What is known about the object at ``path`` (ObjectNotFoundError if none)."""
        return _loop.run(self.aio.stat_object(path))

    def exists(self, path: str) -> bool:
        """True if an object exists at ``path``."""
        return _loop.run(self.aio.exists(path))

    def download(self, path: str) -> bytes:
        """The whole content of the object at ``path``."""
        return _loop.run(self.aio.download(path))

    @overload
    def open(
        self, path: str, mode: Literal["rb"] = "rb", *, encoding: str = ...
    ) -> ObjectReader: ...

    @overload
    def open(self, path: str, mode: Literal["r"], *, encoding: str = ...) -> TextReader: ...

    @overload
    def open(
        self,
        path: str,
        mode: Literal["wb", "w"],
        *,
        encoding: str = ...,
        content_type: str | None = ...,
        metadata: Mapping[str, str] | None = ...,
    ) -> ObjectWriter: ...

    def open(
        self,
        path: str,
        mode: Literal["rb", "r", "wb", "w"] = "rb",
        *,
        encoding: str = "utf-8",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectReader | TextReader | ObjectWriter:
        """A file object: ``"rb"``/``"r"`` read the object (seekable, fetching only the
        chunks a read needs); ``"wb"``/``"w"`` stream a new version that is staged on
        close."""
        return file_twin(
            _loop.run(
                opener(self.aio.open)(
                    path, mode, encoding=encoding, content_type=content_type, metadata=metadata
                )
            )
        )

    def list_objects(
        self,
        max_amount: int | None = None,
        after: str = "",
        prefix: str = "",
        delimiter: str = "",
    ) -> Iterator[ObjectInfo | CommonPrefix]:
        """Objects in path order under ``prefix`` and after ``after``; with a ``delimiter``,
        deeper paths fold into CommonPrefix entries (as S3 listings do)."""
        return _loop.iterate(self.aio.list_objects(max_amount, after, prefix, delimiter))

    # -- writes -----------------------------------------------------------------------------

    def upload(
        self,
        data: UploadData,
        path: str,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        """Stage ``data`` (bytes, str, or a binary or text file object, read in pieces) as
        the object at ``path``; its info."""
        return _loop.run(self.aio.upload(data, path, content_type, metadata))

    def put_virtual(
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
        return _loop.run(
            self.aio.put_virtual(
                path,
                location,
                offset=offset,
                length=length,
                etag=etag,
                content_type=content_type,
                metadata=metadata,
            )
        )

    def delete_objects(self, paths: str | Iterable[str]) -> None:
        """Stage the deletion of ``paths`` (missing paths are ignored)."""
        _loop.run(self.aio.delete_objects(paths))

    def copy_object(
        self, from_reference: RefLike | Session, from_path: str, to_path: str | None = None
    ) -> ObjectInfo:
        """Stage a copy of ``from_path`` as it is at ``from_reference`` (this session's own
        branch name reads the staged state) to ``to_path`` (default: the same path). No
        bytes are copied: both entries share the stored content."""
        source = (
            from_reference.aio if isinstance(from_reference, Session) else ref_arg(from_reference)
        )
        return _loop.run(self.aio.copy_object(source, from_path, to_path))

    def list_uncommitted(
        self, max_amount: int | None = None, after: str = "", prefix: str = ""
    ) -> Iterator[Change]:
        """The staged changes (against this session's base commit), in path order."""
        return _loop.iterate(self.aio.list_uncommitted(max_amount, after, prefix))

    def reset(self, path: str | None = None) -> None:
        """Drop staged changes: all of them, or those at ``path`` or under ``path/``."""
        _loop.run(self.aio.reset(path))

    def discard(self) -> None:
        """Drop every staged change."""
        _loop.run(self.aio.discard())

    # -- committing, forks ------------------------------------------------------------------

    def commit(self, message: str, metadata: Mapping[str, str] | None = None) -> Commit:
        """Commit the staged changes to the branch; the new commit. The session then
        continues from the new commit with nothing staged."""
        return _loop.run(self.aio.commit(message, metadata))

    def fork(self, *, with_credentials: bool = True) -> Session:
        """A writable copy with nothing staged, on the same base, that pickles for another
        process (credentials included, unless ``with_credentials=False``); bring its
        changes back with :meth:`merge`."""
        return Session.wrap(self.aio.fork(with_credentials=with_credentials))

    def use_credentials(
        self,
        store_credentials: StoreCredentials = None,
        virtual_chunk_credentials: VirtualCredentials = None,
    ) -> None:
        """Open this (unpickled) session's repository with these credentials instead."""
        self.aio.use_credentials(store_credentials, virtual_chunk_credentials)

    def merge(self, *forks: Session) -> None:
        """Fold the staged changes of ``forks`` into this session; ConflictError lists paths
        that two of them (or this session) staged differently."""
        _loop.run(self.aio.merge(*(fork.aio for fork in forks)))
