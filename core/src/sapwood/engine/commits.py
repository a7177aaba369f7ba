"""Committing to a branch with optimistic concurrency.

A commit writes (in this order) its blobs (already written when staged), its manifests
(the pack of new ranges and the range index, side by side), its snapshot, and only then
moves the branch with a conditional write. A crash at any step leaves the branch on its
previous, complete snapshot; what was written is unreferenced, and garbage collection
removes it after the grace period.

If the branch moved since the changes were prepared, the work is redone on top of the new
head (a rebase) when no changed path collides; otherwise ConflictError lists the paths.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Final

from sapwood.engine.changelog import record_of
from sapwood.engine.diff import diff_trees
from sapwood.engine.format import Entry, Snapshot
from sapwood.engine.leases import StagingLease
from sapwood.engine.merge import conflict_error, same
from sapwood.engine.repo import Engine
from sapwood.errors import ConflictError, ObjectExistsError, PreconditionFailedError

__all__ = [
    "MAX_ATTEMPTS",
    "Prepared",
    "UpToDate",
    "commit_to_branch",
    "rebase_conflicts",
    "refuse_existing",
    "staged_preparer",
]

MAX_ATTEMPTS: Final = 200
logger = logging.getLogger(__name__)

Prepared = tuple[Mapping[str, Entry | None], tuple[bytes, ...]]
"""What to commit on a given head: the changes, and extra parents (a merge's source)."""


class UpToDate(Exception):  # noqa: N818 - a signal, not an error users see
    """Raised by a preparer when there is nothing to commit on ``head`` (e.g. the source of
    a merge is already in the branch's history)."""

    def __init__(self, head: bytes) -> None:
        super().__init__(head.hex())
        self.head = head


async def rebase_conflicts(
    engine: Engine, base: bytes, head: bytes, changes: Mapping[str, Entry | None]
) -> list[str]:
    """Staged paths (made on ``base``) that ``head`` changed differently since."""
    if base == head or not changes:
        return []
    conflicts: list[str] = []
    old = await engine.tree(base)
    new = await engine.tree(head)
    async for path, _, now in diff_trees(old, new):
        if path in changes and not same(changes[path], now):
            conflicts.append(path)
    return conflicts


async def refuse_existing(engine: Engine, head: bytes, paths: frozenset[str]) -> None:
    """ObjectExistsError if any of ``paths`` (staged create-only) exists at ``head``."""
    if not paths:
        return
    present = sorted((await (await engine.tree(head)).get_many(sorted(paths))).keys())
    if present:
        shown = ", ".join(repr(p) for p in present[:10])
        raise ObjectExistsError(
            f"create-only write refused at commit: {shown} was created by another commit "
            "since it was staged; reset() it, or stage it without exclusive=True to replace it",
            present[0],
        )


def staged_preparer(
    engine: Engine,
    base: bytes,
    changes: Mapping[str, Entry | None],
    exclusive: frozenset[str] = frozenset(),
) -> Callable[[bytes], Awaitable[Prepared]]:
    """Prepare staged changes made on ``base`` for whatever the head now is; ``exclusive``
    paths are create-only (checked against each head the commit is tried on)."""

    async def prepare(head: bytes) -> Prepared:
        await refuse_existing(engine, head, exclusive)
        conflicts = await rebase_conflicts(engine, base, head, changes)
        if conflicts:
            raise conflict_error(
                "the branch moved and cannot be rebased onto",
                conflicts,
                "another writer committed those paths first: read them at the branch's new "
                "head, then stage and commit your change again",
            )
        return changes, ()

    return prepare


def _backoff(attempt: int) -> float:
    return random.uniform(0, min(0.5, 0.002 * 2 ** min(attempt, 10)))


async def commit_to_branch(
    engine: Engine,
    branch: str,
    prepare: Callable[[bytes], Awaitable[Prepared]],
    *,
    message: str,
    metadata: Mapping[str, str],
    author: str,
    lease: StagingLease | None = None,
) -> tuple[bytes, Snapshot]:
    """Commit what ``prepare`` returns for the branch's head, retrying when it moved.

    Before the branch moves, every blob the changes refer to is leased and checked (see
    :mod:`sapwood.engine.leases`): with ``lease``, the staging session's own (kept, the
    caller drops it); otherwise one for this operation alone (a merge, a revert), dropped
    at the end."""
    own = lease is None
    held = lease if lease is not None else StagingLease(engine.layer, transient=True)
    try:
        return await _commit_attempts(
            engine, branch, prepare, held, message=message, metadata=metadata, author=author
        )
    finally:
        if own:
            await held.release()


async def _commit_attempts(
    engine: Engine,
    branch: str,
    prepare: Callable[[bytes], Awaitable[Prepared]],
    lease: StagingLease,
    *,
    message: str,
    metadata: Mapping[str, str],
    author: str,
) -> tuple[bytes, Snapshot]:
    for attempt in range(MAX_ATTEMPTS):
        state = await engine.refs.read_branch(branch)
        changes, extra_parents = await prepare(state.snapshot)
        await lease.secure(changes, extra_parents)
        head = await engine.snapshots.read(state.snapshot)
        parents = [head, *[await engine.snapshots.read(p) for p in extra_parents]]
        tree = await engine.tree(state.snapshot)
        packs: list[tuple[bytes, bytes]] = []
        ranges = await tree.apply(changes, packs)
        # after apply, which has just loaded the ranges the record looks entries up in
        record = await record_of(tree, changes)
        raw, snapshot = await engine.snapshots.write(
            parents=(state.snapshot, *extra_parents),
            message=message,
            author=author,
            committed_at_us=engine.commit_time_us(parents),
            metadata=metadata,
            ranges=ranges,
            packs=packs,
            changes=record,
        )
        try:
            await engine.refs.update_branch(state, raw)
        except PreconditionFailedError:
            logger.debug("branch %r moved during a commit; retrying on its new head", branch)
            await asyncio.sleep(_backoff(attempt))
            continue
        logger.info(
            "committed %s on %r (%d change(s)): %.80s",
            raw.hex()[:12],
            branch,
            len(changes),
            message,
        )
        return raw, snapshot
    raise ConflictError(
        f"branch {branch!r} kept moving: {MAX_ATTEMPTS} attempts to commit all lost the race "
        "to other writers; try again later"
    )
