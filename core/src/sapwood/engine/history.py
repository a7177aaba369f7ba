"""History: walking commits newest first, path-filtered logs, merge bases and time travel.

Commit times never go backwards along history (a commit is always stamped after its
parents), so visiting commits in decreasing time order visits every commit after all its
descendants. Expired snapshots (whether or not garbage collection has since removed them)
end the walk quietly; a parent that is missing without having been expired means the
store lost history, and every walk raises IntegrityError rather than return a shorter one.
"""

from __future__ import annotations

import heapq
from collections.abc import AsyncGenerator, Iterable
from datetime import datetime

from sapwood.engine.changelog import decode_record
from sapwood.engine.diff import diff_trees
from sapwood.engine.format import Snapshot, to_micros
from sapwood.engine.keys import expired_key
from sapwood.engine.manifests import Tree
from sapwood.engine.repo import Engine
from sapwood.errors import ConflictError, IntegrityError, NotFoundError, RefNotFoundError

__all__ = ["first_parent_as_of", "is_ancestor", "merge_base", "read_parent", "touches", "walk"]


async def read_parent(
    engine: Engine, child: bytes, parent: bytes, expired: set[bytes]
) -> Snapshot | None:
    """``child``'s parent ``parent``, or None where expiry cut history there.

    A parent that is missing must have been expired (and then garbage collected); without
    its expiry marker the store has lost it, which is an IntegrityError naming both commits.
    """
    if parent in expired:
        return None
    try:
        return await engine.snapshots.read(parent)
    except RefNotFoundError:
        # ``expired`` was listed when the walk began; expiry and GC may have run since.
        try:
            await engine.layer.head(expired_key(parent))
        except NotFoundError:
            raise IntegrityError(
                f"commit {parent.hex()} is missing from the store, but commit {child.hex()} "
                "names it as a parent and it was never expired: this repository has lost "
                f"history; restore {parent.hex()} under snapshots/ from a backup"
            ) from None
        return None


async def walk(
    engine: Engine, heads: Iterable[bytes], expired: set[bytes] | None = None
) -> AsyncGenerator[tuple[bytes, Snapshot], None]:
    """Every commit reachable from ``heads``, newest first, stopping at expired ones."""
    cut = await engine.expired() if expired is None else expired
    heap: list[tuple[int, bytes]] = []
    seen: set[bytes] = set()
    loaded: dict[bytes, Snapshot] = {}
    for head in heads:
        if head in seen:
            continue
        seen.add(head)
        snapshot = await engine.snapshots.read(head)
        loaded[head] = snapshot
        heapq.heappush(heap, (-snapshot.committed_at_us, head))
    while heap:
        _, raw = heapq.heappop(heap)
        snapshot = loaded.pop(raw)
        yield raw, snapshot
        for parent in snapshot.parents:
            if parent in seen:
                continue
            seen.add(parent)
            parent_snapshot = await read_parent(engine, raw, parent, cut)
            if parent_snapshot is None:
                continue
            loaded[parent] = parent_snapshot
            heapq.heappush(heap, (-parent_snapshot.committed_at_us, parent))


async def touches(
    engine: Engine, raw: bytes, snapshot: Snapshot, paths: Iterable[str], expired: set[bytes]
) -> bool:
    """True if the commit changed any of ``paths`` (objects or folders).

    As in git's default history simplification, a merge counts only if it differs from
    every parent there (it made a change of its own, such as resolving a conflict); a commit
    whose parents are expired or gone is compared with an empty tree.
    """
    wanted = list(paths)
    parents: list[bytes | None] = [
        p for p in snapshot.parents if await read_parent(engine, raw, p, expired) is not None
    ]
    record = snapshot.record
    if record is not None and len(parents) == 1 == len(snapshot.parents):
        # what the commit changed against its only parent, without reading either tree
        changes = decode_record(record, f"commit {raw.hex()}")
        return any(_is_under(change.path, path) for change in changes for path in wanted)
    new = await engine.tree(raw)
    for parent in parents or [None]:
        old = await engine.tree(parent)
        if not await _changed_under(old, new, wanted):
            return False
    return True


def _is_under(changed: str, path: str) -> bool:
    """Whether ``changed`` is the object ``path`` or lies in the folder ``path``."""
    return changed == path or changed.startswith(path.rstrip("/") + "/")


async def _changed_under(old: Tree, new: Tree, paths: list[str]) -> bool:
    for path in paths:
        async for changed, _, _ in diff_trees(old, new, prefix=path):
            if _is_under(changed, path):
                return True
    return False


async def merge_base(engine: Engine, left: bytes, right: bytes) -> bytes | None:
    """The newest commit that both ``left`` and ``right`` descend from; None only when
    their histories, walked to their roots, are unrelated.

    When no common commit is found but expiry cut either history short, the base may lie
    beyond the cut: ConflictError says so, rather than let a merge treat the histories as
    unrelated (which would bring back every file deleted on one side since the fork).
    """
    if left == right:
        return left
    cut: list[bytes] = []
    found = await _merge_base(engine, left, right, cut)
    if found is None and cut:
        raise ConflictError(
            f"commits {left.hex()[:12]} and {right.hex()[:12]} share no commit in the history "
            f"that is kept: expire_snapshots cut it at {cut[0].hex()[:12]}, so their merge "
            "base is gone and a merge cannot tell what each side deleted since they forked; "
            "bring the changes over with cherry_pick or by copying the objects, or rebuild "
            "the branch from the destination"
        )
    return found


async def _merge_base(engine: Engine, left: bytes, right: bytes, cut: list[bytes]) -> bytes | None:
    expired = await engine.expired()
    flags: dict[bytes, int] = {left: 1, right: 2}
    heap: list[tuple[int, bytes]] = []
    for raw in (left, right):
        snapshot = await engine.snapshots.read(raw)
        heapq.heappush(heap, (-snapshot.committed_at_us, raw))
    queued = {left, right}
    # An expired commit whose snapshot garbage collection has not removed yet still serves
    # as a base (a walk stops there, but the fork point it records is exact).
    beyond_cut: set[bytes] = set()
    while heap:
        _, raw = heapq.heappop(heap)
        mark = flags[raw]
        if mark == 3:
            return raw
        if raw in beyond_cut:
            continue
        snapshot = await engine.snapshots.read(raw)
        for parent in snapshot.parents:
            flags[parent] = flags.get(parent, 0) | mark
            if parent in queued:
                continue
            parent_snapshot: Snapshot | None = None
            if parent in expired:
                cut.append(parent)
                try:
                    parent_snapshot = await engine.snapshots.read(parent)
                except RefNotFoundError:
                    continue
                beyond_cut.add(parent)
            else:
                parent_snapshot = await read_parent(engine, raw, parent, expired)
                if parent_snapshot is None:
                    cut.append(parent)
                    continue
            queued.add(parent)
            heapq.heappush(heap, (-parent_snapshot.committed_at_us, parent))
    return None


async def is_ancestor(engine: Engine, ancestor: bytes, descendant: bytes) -> bool:
    """True if ``descendant`` is ``ancestor`` or has it in its kept history."""
    if ancestor == descendant:
        return True
    return await _merge_base(engine, ancestor, descendant, []) == ancestor


async def first_parent_as_of(engine: Engine, head: bytes, as_of: datetime) -> bytes:
    """The newest commit on the first-parent line of ``head`` made at or before ``as_of``."""
    limit = to_micros(as_of)
    expired = await engine.expired()
    raw: bytes | None = head
    while raw is not None:
        snapshot = await engine.snapshots.read(raw)
        if snapshot.committed_at_us <= limit:
            return raw
        parent = snapshot.parents[0] if snapshot.parents else None
        if parent is None or await read_parent(engine, raw, parent, expired) is None:
            break
        raw = parent
    raise RefNotFoundError(
        f"no commit at or before {as_of.isoformat()} in this history (the oldest kept commit "
        "is newer); choose a later time"
    )
