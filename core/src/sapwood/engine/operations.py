"""What the public API asks of the engine, one call per user-level operation: resolving
references, reading history and differences, merging, reverting, cherry-picking and
moving branches. The public classes hold handles and arguments; the work is done here."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Final

from sapwood.engine.changelog import composed_changes
from sapwood.engine.commits import Prepared, UpToDate, commit_to_branch
from sapwood.engine.diff import EntryChange, diff_trees
from sapwood.engine.format import Snapshot
from sapwood.engine.history import is_ancestor, merge_base, touches, walk
from sapwood.engine.ids import ID_HEX_LENGTH
from sapwood.engine.merge import MergeStrategy, check_strategy, three_way_changes
from sapwood.engine.paths import validate_prefix
from sapwood.engine.refexpr import MIN_PREFIX, resolve_expression
from sapwood.engine.repo import Engine
from sapwood.engine.snapshots import commit_of
from sapwood.errors import InvalidRefError, PreconditionFailedError, RefNotFoundError
from sapwood.models import Change, Commit

logger = logging.getLogger(__name__)

__all__ = [
    "LOG_BATCH",
    "cherry_pick",
    "diff",
    "log",
    "log_paths",
    "merge",
    "read_commit",
    "reset_branch",
    "resolve_commit_id",
    "resolve_expression",
    "revert",
    "validate_prefix",
]

LOG_BATCH: Final = 32
"""Commits whose paths are checked at once when a log is filtered by paths."""


async def resolve_commit_id(engine: Engine, commit_id: str) -> bytes:
    """The raw id of the commit ``commit_id`` (full, or a unique prefix) names."""
    if len(commit_id) == ID_HEX_LENGTH:
        raw = bytes.fromhex(commit_id)
        if await engine.snapshots.exists(raw):
            return raw
        raise RefNotFoundError(f"commit {commit_id} does not exist")
    if len(commit_id) < MIN_PREFIX:
        raise InvalidRefError(
            f"commit id prefix {commit_id!r} is too short: give at least {MIN_PREFIX} characters"
        )
    matches = await engine.snapshots.ids_with_prefix(commit_id, limit=2)
    if not matches:
        raise RefNotFoundError(f"no commit id starts with {commit_id!r}")
    if len(matches) > 1:
        raise InvalidRefError(f"commit id prefix {commit_id!r} is ambiguous; give more of it")
    return bytes.fromhex(matches[0])


async def read_commit(engine: Engine, raw: bytes) -> Commit:
    """The commit with raw id ``raw``."""
    return commit_of(raw, await engine.snapshots.read(raw))


def log_paths(paths: Sequence[str] | str | None) -> list[str]:
    """The paths a log is filtered by, checked (InvalidPathError for a bad one)."""
    if paths is None:
        return []
    items = [paths] if isinstance(paths, str) else list(paths)
    for path in items:
        validate_prefix(path)
    return items


async def log(
    engine: Engine, head: bytes, max_amount: int | None, paths: list[str]
) -> AsyncIterator[Commit]:
    """Commits in ``head``'s history, newest first; with ``paths``, only those that changed
    one of them (a merge only where it differs from every parent)."""
    if max_amount is not None and max_amount <= 0:
        return
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


async def diff(
    engine: Engine,
    mine: bytes,
    theirs: bytes,
    prefix: str,
    max_amount: int | None,
    *,
    delimiter: str = "",
    after: str = "",
) -> AsyncIterator[Change]:
    """The changes that turn commit ``mine``'s tree into ``theirs``', in path order,
    starting after the path ``after``. With a ``delimiter``, changed paths that continue
    past it (after ``prefix``) are reported once per common prefix, as a ``"changed"``
    change of path type ``"common_prefix"`` (as listing does)."""
    if max_amount is not None and max_amount <= 0:
        return
    produced = 0
    last_common = ""
    async for path, old, new in _entry_changes(engine, mine, theirs, prefix):
        if path <= after:
            continue
        if delimiter:
            cut = path.find(delimiter, len(prefix))
            if cut >= 0:
                common = path[: cut + len(delimiter)]
                if common == last_common or common <= after:
                    continue
                last_common = common
                yield Change(type="changed", path=common, path_type="common_prefix")
                produced += 1
                if max_amount is not None and produced >= max_amount:
                    return
                continue
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


async def _entry_changes(
    engine: Engine, mine: bytes, theirs: bytes, prefix: str
) -> AsyncIterator[EntryChange]:
    """The entry changes from ``mine`` to ``theirs`` under ``prefix``, in path order: from
    the commits' change records when one is a near descendant of the other, else from
    their trees (both give the same)."""
    composed = await composed_changes(engine.snapshots, mine, theirs, prefix)
    if composed is not None:
        for change in composed:
            yield change
        return
    old_tree, new_tree = await engine.snapshots.trees(mine, theirs)
    async for change in diff_trees(old_tree, new_tree, prefix):
        yield change


async def merge(
    engine: Engine,
    source: bytes,
    branch: str,
    strategy: MergeStrategy,
    *,
    source_name: str,
    message: str,
    author: str,
) -> Commit:
    """Merge commit ``source`` into ``branch`` with a two-parent commit (three-way, from
    their merge base); the branch's new head, or its current one if it already contains
    ``source``. ``source_name`` is how conflicts name the source."""
    checked = check_strategy(strategy)
    what = f"merging {source_name!r} into {branch!r}"

    async def prepare(head: bytes) -> Prepared:
        if head == source or await is_ancestor(engine, source, head):
            raise UpToDate(head)
        base = await merge_base(engine, source, head)
        changes = await three_way_changes(engine, base, source, head, checked, what)
        return changes, (source,)

    try:
        raw, snapshot = await commit_to_branch(
            engine, branch, prepare, message=message, metadata={}, author=author
        )
    except UpToDate as done:
        logger.info("merge of %r into %r: already up to date", source_name, branch)
        return await read_commit(engine, done.head)
    logger.info(
        "merged %r into %r (strategy %s): head %s", source_name, branch, checked, raw.hex()[:12]
    )
    return commit_of(raw, snapshot)


async def _pick(
    engine: Engine,
    branch: str,
    target: bytes,
    *,
    undo: bool,
    template: str,
    given: str | None,
    metadata: Mapping[str, str],
    author: str,
    parent_number: int = 1,
) -> Commit:
    picked = await engine.snapshots.read(target)
    parents = picked.parents
    if isinstance(parent_number, bool) or not isinstance(parent_number, int):
        raise TypeError(f"parent_number is an int, not {type(parent_number).__name__}")
    if not parents and parent_number == 1:
        parent = None
    elif 1 <= parent_number <= len(parents):
        parent = parents[parent_number - 1]
    else:
        raise InvalidRefError(
            f"commit {target.hex()[:12]} has {len(parents)} parent(s), so parent_number "
            f"{parent_number} does not name one; give 1 to {max(1, len(parents))}"
        )
    what = f"{'reverting' if undo else 'cherry-picking'} {target.hex()[:12]} on {branch!r}"

    # No strategy here: the way out is to settle those paths on the branch first.
    remedy = (
        f"commit the state you want for those paths on {branch!r}, or revert the later "
        f"commits that changed them, then {'revert' if undo else 'cherry-pick'} again"
    )

    async def prepare(head: bytes) -> Prepared:
        if undo:
            changes = await three_way_changes(engine, target, parent, head, None, what, remedy)
        else:
            changes = await three_way_changes(engine, parent, target, head, None, what, remedy)
        return changes, ()

    raw, snapshot = await commit_to_branch(
        engine,
        branch,
        prepare,
        message=given if given is not None else template.format(message=picked.message),
        metadata={**metadata, "source": target.hex()},
        author=author,
    )
    return commit_of(raw, snapshot)


async def revert(
    engine: Engine,
    branch: str,
    target: bytes,
    *,
    author: str,
    parent_number: int = 1,
    message: str | None = None,
) -> Commit:
    """A new commit on ``branch`` undoing what commit ``target`` changed against its
    parent number ``parent_number`` (1-based; a merge's second parent is 2), with
    ``message`` or ``Revert "<its message>"``; ConflictError if later commits changed the
    same paths."""
    return await _pick(
        engine,
        branch,
        target,
        undo=True,
        template='Revert "{message}"',
        given=message,
        metadata={"operation": "revert"},
        author=author,
        parent_number=parent_number,
    )


async def cherry_pick(
    engine: Engine, branch: str, target: bytes, *, author: str, message: str | None = None
) -> Commit:
    """A new commit on ``branch`` repeating what commit ``target`` changed (against its
    first parent), with ``message`` or the picked commit's own, keeping its metadata plus
    the provenance keys ``operation`` and ``source``; ConflictError if the branch changed
    the same paths."""
    picked = await engine.snapshots.read(target)
    return await _pick(
        engine,
        branch,
        target,
        undo=False,
        template="{message}",
        given=message,
        metadata={**(picked.metadata or {}), "operation": "cherry-pick"},
        author=author,
    )


async def reset_branch(engine: Engine, branch: str, target: bytes) -> None:
    """Move ``branch`` to commit ``target``, whatever it points at meanwhile."""
    refs = engine.refs
    while True:
        state = await refs.read_branch(branch)
        if state.snapshot == target:
            return
        try:
            await refs.update_branch(state, target)
        except PreconditionFailedError:
            continue
        return
