"""AsyncReference: a name for a commit (an expression, a commit id), and its read API."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Literal, Protocol, TypeAlias, runtime_checkable

from sapwood.aio import folders
from sapwood.aio.folders import FolderSummary
from sapwood.aio.reads import AsyncReads
from sapwood.aio.session import AsyncSession
from sapwood.engine import operations
from sapwood.engine.arguments import check_max_amount
from sapwood.engine.merge import MergeStrategy
from sapwood.models import Change, Commit
from sapwood.progress import ProgressOption

if TYPE_CHECKING:
    from sapwood.aio.repository import AsyncRepository
    from sapwood.engine.read_ahead import ReadAhead

__all__ = ["AsyncReference", "RefLike", "SupportsId", "ref_name", "resolve_ref"]


@runtime_checkable
class SupportsId(Protocol):
    """Anything with a string ``id`` naming a ref (a sync twin of a reference, say)."""

    @property
    def id(self) -> str:
        """The ref's name or commit id."""
        ...


RefLike: TypeAlias = "str | AsyncReference | Commit | SupportsId"
"""Wherever a reference is taken: a ref expression, a reference object or a Commit."""


def ref_name(reference: object, what: str = "branch") -> str:
    """A branch or tag given by name or as the object itself: its name (TypeError for
    anything else)."""
    if isinstance(reference, str):
        return reference
    if isinstance(reference, SupportsId):
        return reference.id
    raise TypeError(
        f"a {what} is given by name (a str) or as a {what.capitalize()}, not "
        f"{type(reference).__name__}"
    )


async def resolve_ref(repository: AsyncRepository, reference: RefLike) -> bytes:
    """The raw snapshot id ``reference`` names now."""
    if isinstance(reference, AsyncReference):
        return await reference.resolve()
    if isinstance(reference, Commit):
        return await AsyncReference(repository, reference.id, kind="commit").resolve()
    if isinstance(reference, str):
        return await operations.resolve_expression(repository.engine, reference)
    if isinstance(reference, SupportsId):
        return await operations.resolve_expression(repository.engine, reference.id)
    raise TypeError(
        f"a reference is a str, a Reference or a Commit, not {type(reference).__name__}"
    )


class AsyncReference(AsyncReads):
    """A commit named by a ref expression (``main``, ``v1``, ``main~2``...) or commit id.

    Every call resolves the name again, so a reference to a branch follows its head.
    """

    def __init__(
        self,
        repository: AsyncRepository,
        ref_id: str,
        *,
        kind: Literal["expression", "commit"] = "expression",
    ) -> None:
        self._repository = repository
        self._id = ref_id
        self._kind = kind
        self._read_ahead: ReadAhead | None = None

    @property
    def id(self) -> str:
        """The name this reference was made with."""
        return self._id

    @property
    def is_commit_id(self) -> bool:
        """True if this reference was made from a commit id (it never moves)."""
        return self._kind == "commit"

    @property
    def repository(self) -> AsyncRepository:
        """The repository this reference belongs to."""
        return self._repository

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._id!r})"

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and isinstance(other, AsyncReference)
            and other._id == self._id
            and other._repository is self._repository
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._id, id(self._repository)))

    async def resolve(self) -> bytes:
        """The raw id of the commit this reference names now."""
        engine = self._repository.engine
        if self._kind == "expression":
            return await operations.resolve_expression(engine, self._id)
        return await operations.resolve_commit_id(engine, self._id)

    async def get_commit(self) -> Commit:
        """The commit this reference names now."""
        return await operations.read_commit(self._repository.engine, await self.resolve())

    # -- history ----------------------------------------------------------------------------

    def log(
        self, max_amount: int | None = None, paths: Sequence[str] | str | None = None
    ) -> AsyncIterator[Commit]:
        """Commits in this reference's history, newest first; with ``paths``, only those
        that changed one of them (an object path, or a folder and everything under it):
        a commit relative to its parent, a merge only where it differs from every parent."""
        check_max_amount(max_amount)
        return self._log(max_amount, operations.log_paths(paths))

    async def _log(self, max_amount: int | None, paths: list[str]) -> AsyncIterator[Commit]:
        engine = self._repository.engine
        async for commit in operations.log(engine, await self.resolve(), max_amount, paths):
            yield commit

    def diff(
        self,
        other_ref: RefLike,
        prefix: str = "",
        delimiter: str = "",
        after: str = "",
        max_amount: int | None = None,
    ) -> AsyncIterator[Change]:
        """The changes that turn this reference's tree into ``other_ref``'s, in path order,
        under ``prefix`` and after the path ``after``. With a ``delimiter`` (``"/"``), the
        changes under each folder below ``prefix`` come as one ``Change`` whose
        ``path_type`` is ``"common_prefix"``, as listing does."""
        operations.validate_prefix(prefix)
        check_max_amount(max_amount)
        if not isinstance(delimiter, str) or not isinstance(after, str):
            raise TypeError("delimiter and after are str")
        return self._diff(other_ref, prefix, delimiter, after, max_amount)

    async def _diff(
        self,
        other_ref: RefLike,
        prefix: str,
        delimiter: str,
        after: str,
        max_amount: int | None,
    ) -> AsyncIterator[Change]:
        engine = self._repository.engine
        mine = await self.resolve()
        theirs = await resolve_ref(self._repository, other_ref)
        async for change in operations.diff(
            engine, mine, theirs, prefix, max_amount, delimiter=delimiter, after=after
        ):
            yield change

    async def merge_into(
        self,
        branch: str | SupportsId,
        strategy: MergeStrategy = None,
        message: str | None = None,
    ) -> Commit:
        """Merge this reference into ``branch`` (a name or a branch) with a two-parent commit
        (a three-way merge from their merge base). ``strategy`` settles paths both sides
        changed: ``"source-wins"``, ``"dest-wins"``, or None for a ConflictError naming
        them. Returns the branch's new head (its current one if it already contains this)."""
        repository = self._repository
        target = ref_name(branch)
        repository.branch(target)
        return await operations.merge(
            repository.engine,
            await self.resolve(),
            target,
            strategy,
            source_name=self._id,
            message=message or f"Merge {self._id!r} into {target!r}",
            author=repository.author,
        )

    # -- reading objects --------------------------------------------------------------------

    async def _resolve_for_reading(self) -> bytes:
        """The commit object reads go to: :meth:`resolve`, unless a subclass may reuse a
        recently seen head (a branch does, within ``caching.branch_head_ttl_seconds``)."""
        return await self.resolve()

    async def reader(self) -> AsyncSession:
        """A read-only session at the commit this reference names now."""
        session = AsyncSession(self._repository, await self._resolve_for_reading(), read_only=True)
        if self._read_ahead is None:
            self._read_ahead = self._repository.engine.read_ahead()
        session._share_read_ahead(self._read_ahead)
        return session

    async def _reading_session(self) -> AsyncSession:
        return await self.reader()

    async def download_folder(
        self,
        local_path: str | os.PathLike[str],
        prefix: str = "",
        *,
        progress: ProgressOption = None,
    ) -> FolderSummary:
        """Write the objects under ``prefix`` (read from one commit) into ``local_path``
        at their paths relative to ``prefix``; files already holding the same content are
        left alone. See :mod:`sapwood.aio.folders`."""
        return await folders.download_folder(
            self, local_path, prefix, progress=progress, label=self.id
        )
