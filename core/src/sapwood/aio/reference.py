"""AsyncReference: a name for a commit (an expression, a commit id), and its read API."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Literal, Protocol, TypeAlias, overload, runtime_checkable

from sapwood.aio import folders
from sapwood.aio.files import AsyncObjectReader, AsyncOpening, AsyncTextReader
from sapwood.aio.folders import FolderSummary
from sapwood.aio.session import AsyncSession
from sapwood.engine.commits import Prepared, UpToDate, commit_to_branch
from sapwood.engine.diff import diff_trees
from sapwood.engine.format import Snapshot
from sapwood.engine.history import is_ancestor, merge_base, touches, walk
from sapwood.engine.ids import ID_HEX_LENGTH
from sapwood.engine.merge import MergeStrategy, check_strategy, three_way_changes
from sapwood.engine.paths import validate_prefix
from sapwood.engine.refexpr import MIN_PREFIX, resolve_expression
from sapwood.engine.snapshots import commit_of
from sapwood.errors import InvalidRefError, RefNotFoundError
from sapwood.models import Change, Commit, ObjectInfo
from sapwood.progress import ProgressOption
from sapwood.storage import CommonPrefix

if TYPE_CHECKING:
    from sapwood.aio.branch import AsyncBranch
    from sapwood.aio.repository import AsyncRepository

__all__ = ["AsyncReference", "RefLike", "SupportsId", "resolve_ref"]

LOG_BATCH = 32
logger = logging.getLogger(__name__)


@runtime_checkable
class SupportsId(Protocol):
    """Anything with a string ``id`` naming a ref (a sync twin of a reference, say)."""

    @property
    def id(self) -> str:
        """The ref's name or commit id."""
        ...


RefLike: TypeAlias = "str | AsyncReference | Commit | SupportsId"
"""Wherever a reference is taken: a ref expression, a reference object or a Commit."""


async def resolve_ref(repository: AsyncRepository, reference: RefLike) -> bytes:
    """The raw snapshot id ``reference`` names now."""
    if isinstance(reference, AsyncReference):
        return await reference.resolve()
    if isinstance(reference, Commit):
        return await AsyncReference(repository, reference.id, kind="commit").resolve()
    if isinstance(reference, str):
        return await resolve_expression(repository.engine, reference)
    if isinstance(reference, SupportsId):
        return await resolve_expression(repository.engine, reference.id)
    raise TypeError(
        f"a reference is a str, a Reference or a Commit, not {type(reference).__name__}"
    )


def _paths(paths: Sequence[str] | str | None) -> list[str]:
    if paths is None:
        return []
    items = [paths] if isinstance(paths, str) else list(paths)
    for path in items:
        validate_prefix(path)
    return items


class AsyncReference:
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
            return await resolve_expression(engine, self._id)
        if len(self._id) == ID_HEX_LENGTH:
            raw = bytes.fromhex(self._id)
            if await engine.snapshots.exists(raw):
                return raw
            raise RefNotFoundError(f"commit {self._id} does not exist")
        if len(self._id) < MIN_PREFIX:
            raise InvalidRefError(
                f"commit id prefix {self._id!r} is too short: give at least {MIN_PREFIX} characters"
            )
        matches = await engine.snapshots.ids_with_prefix(self._id, limit=2)
        if not matches:
            raise RefNotFoundError(f"no commit id starts with {self._id!r}")
        if len(matches) > 1:
            raise InvalidRefError(f"commit id prefix {self._id!r} is ambiguous; give more of it")
        return bytes.fromhex(matches[0])

    async def get_commit(self) -> Commit:
        """The commit this reference names now."""
        raw = await self.resolve()
        return commit_of(raw, await self._repository.engine.snapshots.read(raw))

    # -- history ----------------------------------------------------------------------------

    def log(
        self, max_amount: int | None = None, paths: Sequence[str] | str | None = None
    ) -> AsyncIterator[Commit]:
        """Commits in this reference's history, newest first; with ``paths``, only those
        that changed one of them (an object path, or a folder and everything under it):
        a commit relative to its parent, a merge only where it differs from every parent."""
        return self._log(max_amount, _paths(paths))

    async def _log(self, max_amount: int | None, paths: list[str]) -> AsyncIterator[Commit]:
        if max_amount is not None and max_amount <= 0:
            return
        engine = self._repository.engine
        head = await self.resolve()
        expired = await engine.expired()
        produced = 0
        batch: list[tuple[bytes, Snapshot]] = []
        history = walk(engine, [head], expired)
        try:
            while True:
                done = False
                try:
                    batch.append(await anext(history))
                except StopAsyncIteration:
                    done = True
                if not done and paths and len(batch) < LOG_BATCH:
                    continue
                if paths:
                    # Whether each commit touched the paths is checked for a batch at once, so
                    # the manifest reads overlap instead of running one after another.
                    wanted = await asyncio.gather(
                        *(touches(engine, raw, snapshot, paths, expired) for raw, snapshot in batch)
                    )
                    batch = [item for item, keep in zip(batch, wanted, strict=True) if keep]
                for raw, snapshot in batch:
                    yield commit_of(raw, snapshot)
                    produced += 1
                    if max_amount is not None and produced >= max_amount:
                        return
                batch = []
                if done:
                    return
        finally:
            await history.aclose()

    def diff(
        self, other_ref: RefLike, prefix: str = "", max_amount: int | None = None
    ) -> AsyncIterator[Change]:
        """The changes that turn this reference's tree into ``other_ref``'s, in path order."""
        validate_prefix(prefix)
        return self._diff(other_ref, prefix, max_amount)

    async def _diff(
        self, other_ref: RefLike, prefix: str, max_amount: int | None
    ) -> AsyncIterator[Change]:
        if max_amount is not None and max_amount <= 0:
            return
        engine = self._repository.engine
        mine = await self.resolve()
        theirs = await resolve_ref(self._repository, other_ref)
        produced = 0
        async for path, old, new in diff_trees(
            await engine.tree(mine), await engine.tree(theirs), prefix
        ):
            if old is None:
                assert new is not None
                yield Change(type="added", path=path, size_bytes=new.size)
            elif new is None:
                yield Change(type="removed", path=path, size_bytes=old.size)
            else:
                yield Change(type="changed", path=path, size_bytes=new.size)
            produced += 1
            if max_amount is not None and produced >= max_amount:
                return

    async def merge_into(
        self,
        branch: str | AsyncBranch,
        strategy: MergeStrategy = None,
        message: str | None = None,
    ) -> Commit:
        """Merge this reference into ``branch`` with a two-parent commit (a three-way merge
        from their merge base); the branch's new head, or its current one if it already
        contains this reference."""
        strategy = check_strategy(strategy)
        repository = self._repository
        engine = repository.engine
        target = branch if isinstance(branch, str) else branch.id
        repository.branch(target)
        source = await self.resolve()
        what = f"merging {self._id!r} into {target!r}"

        async def prepare(head: bytes) -> Prepared:
            if head == source or await is_ancestor(engine, source, head):
                raise UpToDate(head)
            base = await merge_base(engine, source, head)
            changes = await three_way_changes(engine, base, source, head, strategy, what)
            return changes, (source,)

        try:
            raw, snapshot = await commit_to_branch(
                engine,
                target,
                prepare,
                message=message or f"Merge {self._id!r} into {target!r}",
                metadata={},
                author=repository.author,
            )
        except UpToDate as done:
            raw = done.head
            snapshot = await engine.snapshots.read(raw)
        logger.info(
            "merged %r into %r (strategy %s): head %s", self._id, target, strategy, raw.hex()[:12]
        )
        return commit_of(raw, snapshot)

    # -- reading objects --------------------------------------------------------------------

    async def reader(self) -> AsyncSession:
        """A read-only session at the commit this reference names now."""
        return AsyncSession(self._repository, await self.resolve(), read_only=True)

    async def download(self, path: str) -> bytes:
        """The whole content of the object at ``path``."""
        return await (await self.reader()).download(path)

    @overload
    def open(
        self, path: str, mode: Literal["rb"] = "rb", *, encoding: str = ...
    ) -> AsyncOpening[AsyncObjectReader]: ...

    @overload
    def open(
        self, path: str, mode: Literal["r"], *, encoding: str = ...
    ) -> AsyncOpening[AsyncTextReader]: ...

    def open(
        self, path: str, mode: Literal["rb", "r"] = "rb", *, encoding: str = "utf-8"
    ) -> AsyncOpening[AsyncObjectReader | AsyncTextReader]:
        """A seekable reader (``"rb"``) or text reader (``"r"``) over the object.

        Await it for the file (``f = await ref.open(p)``) or use it directly in
        ``async with ref.open(p) as f:``, which closes the file at the end."""
        return AsyncOpening(self._open(path, mode, encoding=encoding))

    async def _open(
        self, path: str, mode: Literal["rb", "r"] = "rb", *, encoding: str = "utf-8"
    ) -> AsyncObjectReader | AsyncTextReader:
        if mode not in ("rb", "r"):
            raise ValueError(
                f"a reference opens objects for reading: mode 'rb' or 'r', not {mode!r}"
            )
        session = await self.reader()
        if mode == "rb":
            return await session.open(path, "rb", encoding=encoding)
        return await session.open(path, "r", encoding=encoding)

    def list_objects(
        self,
        max_amount: int | None = None,
        after: str = "",
        prefix: str = "",
        delimiter: str = "",
    ) -> AsyncIterator[ObjectInfo | CommonPrefix]:
        """Objects in path order (see :meth:`AsyncSession.list_objects`)."""
        validate_prefix(prefix)
        return self._list(max_amount, after, prefix, delimiter)

    async def _list(
        self, max_amount: int | None, after: str, prefix: str, delimiter: str
    ) -> AsyncIterator[ObjectInfo | CommonPrefix]:
        session = await self.reader()
        async for item in session.list_objects(max_amount, after, prefix, delimiter):
            yield item

    async def stat_object(self, path: str) -> ObjectInfo:
        """What is known about the object at ``path``."""
        return await (await self.reader()).stat_object(path)

    async def exists(self, path: str) -> bool:
        """True if an object exists at ``path``."""
        return await (await self.reader()).exists(path)

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
        return await folders.download_folder(self, local_path, prefix, progress=progress)
