"""Reference: a name for a commit, and the read API (sync twin of
:class:`sapwood.aio.AsyncReference`)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Literal, overload

from sapwood import _loop
from sapwood._sync._twin import Twin
from sapwood._sync.files import ObjectReader, TextReader, file_twin, reader_opener
from sapwood.aio.folders import FolderSummary
from sapwood.aio.reference import AsyncReference, RefLike
from sapwood.engine.merge import MergeStrategy
from sapwood.models import Change, Commit, ObjectInfo
from sapwood.progress import ProgressOption
from sapwood.storage import CommonPrefix

if TYPE_CHECKING:
    from sapwood._sync.branch import Branch
    from sapwood._sync.repository import Repository
    from sapwood._sync.session import Session

__all__ = ["Reference", "name_arg", "ref_arg"]


@overload
def name_arg(reference: str | Reference) -> str: ...


@overload
def name_arg(reference: str | Reference | None) -> str | None: ...


def name_arg(reference: str | Reference | None) -> str | None:
    """A branch or tag given by name or as the object itself: its name."""
    return reference.id if isinstance(reference, Reference) else reference


def ref_arg(reference: RefLike) -> RefLike:
    """What the async side takes for a reference: a sync twin becomes its async object."""
    return reference.aio if isinstance(reference, Reference) else reference


class Reference(Twin[AsyncReference]):
    """A commit named by a ref expression (``main``, ``v1``, ``main~2``, ``v1^``) or a
    commit id. Every call resolves the name again, so a reference to a branch follows its
    head.

    Get one from :meth:`Repository.ref`, :meth:`Repository.commit` or :meth:`Branch.head`;
    wherever a reference is taken, a str, a Reference or a Commit will do.
    """

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.id!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Reference) and self.aio == other.aio

    def __hash__(self) -> int:
        return hash(self.aio)

    @property
    def id(self) -> str:
        """The name this reference was made with."""
        return self.aio.id

    @property
    def is_commit_id(self) -> bool:
        """True if this reference was made from a commit id (it never moves)."""
        return self.aio.is_commit_id

    @property
    def repository(self) -> Repository:
        """The repository this reference belongs to."""
        from sapwood._sync.repository import Repository

        return Repository.wrap(self.aio.repository)

    def resolve(self) -> bytes:
        """The raw id of the commit this reference names now."""
        return _loop.run(self.aio.resolve())

    def get_commit(self) -> Commit:
        """The commit this reference names now."""
        return _loop.run(self.aio.get_commit())

    # -- history ----------------------------------------------------------------------------

    def log(
        self, max_amount: int | None = None, paths: Sequence[str] | str | None = None
    ) -> Iterator[Commit]:
        """Commits in this reference's history, newest first; with ``paths``, only those
        that changed one of them (an object path, or a folder and everything under it)."""
        return _loop.iterate(self.aio.log(max_amount, paths))

    def diff(
        self, other_ref: RefLike, prefix: str = "", max_amount: int | None = None
    ) -> Iterator[Change]:
        """The changes that turn this reference's tree into ``other_ref``'s, in path order."""
        return _loop.iterate(self.aio.diff(ref_arg(other_ref), prefix, max_amount))

    def merge_into(
        self,
        branch: str | Branch,
        strategy: MergeStrategy = None,
        message: str | None = None,
    ) -> Commit:
        """Merge this reference into ``branch`` with a two-parent commit (a three-way merge
        from their merge base). ``strategy`` settles paths both sides changed:
        ``"source-wins"``, ``"dest-wins"``, or None for a ConflictError naming them.
        Returns the branch's new head (its current one if it already contains this)."""
        target = branch if isinstance(branch, str) else branch.aio
        return _loop.run(self.aio.merge_into(target, strategy, message))

    # -- reading objects --------------------------------------------------------------------

    def reader(self) -> Session:
        """A read-only session at the commit this reference names now."""
        from sapwood._sync.session import Session

        return Session.wrap(_loop.run(self.aio.reader()))

    def download(self, path: str) -> bytes:
        """The whole content of the object at ``path``."""
        return _loop.run(self.aio.download(path))

    @overload
    def open(
        self, path: str, mode: Literal["rb"] = "rb", *, encoding: str = ...
    ) -> ObjectReader: ...

    @overload
    def open(self, path: str, mode: Literal["r"], *, encoding: str = ...) -> TextReader: ...

    def open(
        self, path: str, mode: Literal["rb", "r"] = "rb", *, encoding: str = "utf-8"
    ) -> ObjectReader | TextReader:
        """A seekable binary reader (``"rb"``) or a text reader (``"r"``) over the object;
        use it in a ``with`` block. Only the chunks a read needs are fetched."""
        return file_twin(_loop.run(reader_opener(self.aio.open)(path, mode, encoding=encoding)))

    def list_objects(
        self,
        max_amount: int | None = None,
        after: str = "",
        prefix: str = "",
        delimiter: str = "",
    ) -> Iterator[ObjectInfo | CommonPrefix]:
        """Objects in path order under ``prefix`` and after ``after``; with a ``delimiter``
        (``"/"``), deeper paths fold into :class:`~sapwood.CommonPrefix` entries."""
        return _loop.iterate(self.aio.list_objects(max_amount, after, prefix, delimiter))

    def stat_object(self, path: str) -> ObjectInfo:
        """What is known about the object at ``path`` (ObjectNotFoundError if none)."""
        return _loop.run(self.aio.stat_object(path))

    def exists(self, path: str) -> bool:
        """True if an object exists at ``path``."""
        return _loop.run(self.aio.exists(path))

    def download_folder(
        self,
        local_path: str | os.PathLike[str],
        prefix: str = "",
        *,
        progress: ProgressOption = None,
    ) -> FolderSummary:
        """Write the objects under ``prefix`` (read from one commit) into ``local_path``
        at their paths relative to ``prefix``; files already holding the same content are
        left alone."""
        return _loop.run(self.aio.download_folder(local_path, prefix, progress=progress))
