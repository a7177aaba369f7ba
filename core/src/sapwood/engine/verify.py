"""``fsck``: walk everything the refs reach and check it against its name.

Every branch and tag is read; every commit their histories reach (up to expired commits,
which end history on purpose) is read and hashed; so is each range index, each manifest
pack, each manifest range, and every blob (or, with ``check_content=False``, only its
presence is checked). Inline file contents are checked against their recorded checksum,
and each commit's record of what it changed against its tree and its parent's.
Reads bypass every cache, so what is checked is what storage holds.

Nothing stops at the first problem: each missing or damaged object is reported once, with
the commits that refer to it and the branches and tags through which it is reachable.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Final

import msgspec

from sapwood.engine.changelog import decode_record
from sapwood.engine.format import (
    KIND_INDEX,
    KIND_SNAPSHOT,
    Entry,
    RangeRef,
    RangeTable,
    Snapshot,
    decode_object,
)
from sapwood.engine.ids import content_id
from sapwood.engine.keys import blob_key, manifest_key, snapshot_key
from sapwood.engine.manifests import Tree
from sapwood.engine.repo import Engine
from sapwood.errors import IntegrityError, NotFoundError, SapwoodError
from sapwood.models import Problem, ProblemObject, VerificationReport

__all__ = ["verify_repository"]

_CONCURRENCY: Final = 16


@dataclass
class _Walk:
    """What the walk found so far."""

    problems: list[tuple[Problem, set[bytes]]] = field(default_factory=list)
    """Each problem, with the commits whose refs reach it."""
    heads: dict[bytes, set[str]] = field(default_factory=lambda: defaultdict(set))
    children: dict[bytes, set[bytes]] = field(default_factory=lambda: defaultdict(set))
    snapshots: dict[bytes, Snapshot] = field(default_factory=dict)
    range_users: dict[bytes, set[bytes]] = field(default_factory=lambda: defaultdict(set))
    pack_ranges: dict[bytes, dict[bytes, RangeRef]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    blob_users: dict[bytes, set[bytes]] = field(default_factory=lambda: defaultdict(set))
    objects: int = 0
    bytes_read: int = 0

    def report(
        self,
        kind: str,
        what: ProblemObject,
        key: str,
        detail: str,
        commits: Iterable[bytes] = (),
        itself: bytes | None = None,
    ) -> None:
        """Record a problem with an object that ``commits`` refer to (``itself``: the
        commit the object is, which its refs also reach)."""
        users = set(commits)
        problem = Problem(
            kind="missing" if kind == "missing" else "damaged",
            object_type=what,
            key=key,
            detail=detail,
            commits=tuple(sorted(raw.hex() for raw in users)),
        )
        self.problems.append((problem, users | ({itself} if itself is not None else set())))


async def _read(engine: Engine, key: str, walk: _Walk) -> bytes | None:
    """The stored bytes (no cache), or None if missing; SapwoodError (IntegrityError
    from the layer's own checks, such as a damaged compressed frame) if unreadable."""
    walk.objects += 1
    try:
        data = await engine.layer.get(key, immutable=True, cache=False)
    except NotFoundError:
        return None
    walk.bytes_read += len(data)
    return data


async def _read_refs(engine: Engine, walk: _Walk) -> None:
    refs = engine.refs
    for name in await refs.branch_names():
        try:
            state = await refs.find_branch(name)
        except SapwoodError as exc:
            walk.report("damaged", "ref", f"branch {name}", str(exc))
            continue
        if state is not None:
            walk.heads[state.snapshot].add(f"branch {name}")
    for name in await refs.tag_names():
        try:
            found = await refs.find_tag(name)
        except SapwoodError as exc:
            walk.report("damaged", "ref", f"tag {name}", str(exc))
            continue
        if found is not None:
            walk.heads[found].add(f"tag {name}")


async def _walk_commits(engine: Engine, walk: _Walk) -> None:
    expired = await engine.expired()
    stack = list(walk.heads)
    seen: set[bytes] = set(stack)
    while stack:
        raw = stack.pop()
        key = snapshot_key(raw)
        users = walk.children.get(raw, set())
        try:
            data = await _read(engine, key, walk)
            if data is None:
                walk.report(
                    "missing", "snapshot", key, "the commit is not in the store", users, raw
                )
                continue
            if content_id(data) != raw:
                raise IntegrityError("its content does not hash to its name")
            snapshot = decode_object(KIND_SNAPSHOT, data, f"snapshot {key}")
        except SapwoodError as exc:
            walk.report("damaged", "snapshot", key, str(exc), users, raw)
            continue
        assert isinstance(snapshot, Snapshot)
        walk.snapshots[raw] = snapshot
        for parent in snapshot.parents:
            walk.children[parent].add(raw)
            if parent not in seen and parent not in expired:
                seen.add(parent)
                stack.append(parent)


async def _table(engine: Engine, raw: bytes, snapshot: Snapshot, walk: _Walk) -> RangeTable | None:
    if snapshot.ranges is not None:
        return snapshot.ranges
    if snapshot.index is None:
        return None
    key = manifest_key(snapshot.index)
    try:
        data = await _read(engine, key, walk)
        if data is None:
            walk.report("missing", "index", key, "the commit's range index is missing", [raw])
            return None
        if content_id(data) != snapshot.index:
            raise IntegrityError("its content does not hash to its name")
        table = decode_object(KIND_INDEX, data, f"range index {key}")
    except SapwoodError as exc:
        walk.report("damaged", "index", key, str(exc), [raw])
        return None
    assert isinstance(table, RangeTable)
    return table


async def _collect_ranges(engine: Engine, walk: _Walk) -> None:
    tables: dict[bytes, RangeTable] = {}
    for raw, snapshot in walk.snapshots.items():
        table = tables.get(snapshot.index) if snapshot.index is not None else None
        if table is None:
            table = await _table(engine, raw, snapshot, walk)
            if table is None:
                continue
            if snapshot.index is not None:
                tables[snapshot.index] = table
        try:
            refs = table.refs()
        except (IndexError, ValueError) as exc:
            walk.report(
                "damaged", "index", snapshot_key(raw), f"inconsistent range table: {exc}", [raw]
            )
            continue
        for ref in refs:
            walk.range_users[ref.id].add(raw)
            walk.pack_ranges[ref.pack][ref.id] = ref


async def _check_packs(engine: Engine, walk: _Walk) -> None:
    manifests = engine.manifests
    semaphore = asyncio.Semaphore(_CONCURRENCY)

    async def check(pack: bytes, ranges: dict[bytes, RangeRef]) -> None:
        key = manifest_key(pack)
        users = set().union(*(walk.range_users[r] for r in ranges))
        async with semaphore:
            try:
                data = await _read(engine, key, walk)
            except SapwoodError as exc:
                walk.report("damaged", "pack", key, str(exc), users)
                return
        if data is None:
            walk.report("missing", "pack", key, "the manifest pack is not in the store", users)
            return
        if content_id(data) != pack:
            walk.report("damaged", "pack", key, "its content does not hash to its name", users)
        for ref in ranges.values():
            stored = data[ref.offset : ref.offset + ref.length]
            try:
                if len(stored) != ref.length:
                    raise IntegrityError("the pack is shorter than its ranges say")
                entries = manifests.decode_range(ref, stored)
            except SapwoodError as exc:
                walk.report("damaged", "range", key, str(exc), walk.range_users[ref.id])
                continue
            for entry in entries:
                _check_entry(entry, walk, walk.range_users[ref.id], key)

    await asyncio.gather(*(check(pack, ranges) for pack, ranges in walk.pack_ranges.items()))


async def _check_records(engine: Engine, walk: _Walk) -> None:
    """Each commit's change record against its tree and its first parent's (read through
    the engine: the manifests themselves were checked against storage just before)."""
    semaphore = asyncio.Semaphore(_CONCURRENCY)

    async def check(raw: bytes, snapshot: Snapshot, record: msgspec.Raw) -> None:
        key = snapshot_key(raw)
        async with semaphore:
            try:
                changes = decode_record(record, f"snapshot {key}")
                paths = [change.path for change in changes]
                tree = Tree(engine.manifests, await engine.snapshots.ranges_of(snapshot))
                now = await tree.get_many(paths)
                parent = walk.snapshots.get(snapshot.parents[0])
                before = None
                if parent is not None:
                    parent_table = await engine.snapshots.ranges_of(parent)
                    before = await Tree(engine.manifests, parent_table).get_many(paths)
            except IntegrityError as exc:
                walk.report("damaged", "snapshot", key, str(exc), walk.children[raw], raw)
                return
            except SapwoodError:  # a missing or damaged manifest, reported already
                return
        wrong = next(
            (
                change.path
                for at, change in enumerate(changes)
                if (at and paths[at - 1] >= change.path)
                or change.old == change.new
                or change.new != now.get(change.path)
                or (before is not None and change.old != before.get(change.path))
            ),
            None,
        )
        if wrong is not None:
            where = f"at {wrong!r}"
        elif (
            parent is not None
            and parent.count
            + sum((change.old is None) - (change.new is None) for change in changes)
            != snapshot.count
        ):
            where = "in the number of objects (a change is missing from it)"
        else:
            return
        walk.report(
            "damaged",
            "snapshot",
            key,
            f"its record of what it changed disagrees with its tree or its first parent's "
            f"{where}, so diffs from it would be wrong; the repository is damaged: restore "
            "the snapshot from a backup",
            walk.children[raw],
            raw,
        )

    await asyncio.gather(
        *(
            check(raw, snapshot, record)
            for raw, snapshot in walk.snapshots.items()
            if (record := snapshot.record) is not None and snapshot.parents
        )
    )


def _check_entry(entry: Entry, walk: _Walk, users: set[bytes], where: str) -> None:
    for chunk in entry.chunks or ():
        walk.blob_users[chunk.id].update(users)
    inline = entry.inline
    if inline is not None and entry.checksum and content_id(inline) != entry.checksum:
        walk.report(
            "damaged",
            "range",
            where,
            f"the inline content of {entry.path!r} does not match its checksum",
            users,
        )


async def _check_blobs(engine: Engine, walk: _Walk, check_content: bool) -> None:
    semaphore = asyncio.Semaphore(_CONCURRENCY)

    async def check(blob: bytes) -> None:
        key = blob_key(blob)
        async with semaphore:
            if check_content:
                try:
                    data = await _read(engine, key, walk)
                    present = data is not None
                    damaged = data is not None and content_id(data) != blob
                except SapwoodError:
                    present, damaged = True, True
            else:
                damaged = False
                try:
                    await engine.layer.head_as_stored(key)
                    present = True
                    walk.objects += 1
                except NotFoundError:
                    present = False
        users = walk.blob_users[blob]
        if not present:
            walk.report("missing", "blob", key, "the file content is not in the store", users)
        elif damaged:
            walk.report("damaged", "blob", key, "its content does not hash to its name", users)

    await asyncio.gather(*(check(blob) for blob in walk.blob_users))


def _reaching_refs(walk: _Walk, commits: Iterable[bytes]) -> tuple[str, ...]:
    """The branches and tags whose histories contain any of ``commits``."""
    found: set[str] = set()
    stack = list(commits)
    seen = set(stack)
    while stack:
        raw = stack.pop()
        found |= walk.heads.get(raw, set())
        for child in walk.children.get(raw, ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return tuple(sorted(found))


async def verify_repository(engine: Engine, *, check_content: bool = True) -> VerificationReport:
    """Check every object the refs reach; what is missing or damaged, and where from."""
    if not isinstance(check_content, bool):
        raise TypeError(f"check_content is True or False, not {check_content!r}")
    walk = _Walk()
    steps: list[Callable[[], Awaitable[None]]] = [
        lambda: _read_refs(engine, walk),
        lambda: _walk_commits(engine, walk),
        lambda: _collect_ranges(engine, walk),
        lambda: _check_packs(engine, walk),
        lambda: _check_records(engine, walk),
        lambda: _check_blobs(engine, walk, check_content),
    ]
    for step in steps:
        await step()
    problems = tuple(
        msgspec.structs.replace(problem, refs=_reaching_refs(walk, reach))
        for problem, reach in walk.problems
    )
    return VerificationReport(
        commits_checked=len(walk.snapshots),
        objects_checked=walk.objects,
        bytes_checked=walk.bytes_read,
        problems=problems,
    )
