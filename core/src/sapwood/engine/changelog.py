"""Each commit's record of what it changed, and diffs composed from those records.

A commit knows exactly which paths it touched, so it keeps, in its snapshot, the entry
before and after of each path it changed against its first parent (see
:attr:`~sapwood.engine.format.Snapshot.changes`). A diff between a commit and an ancestor
a few first-parent steps away then costs the changes in between, read from a few small
snapshots, whatever the size of the trees: the changes are composed (per path, the entry
before the earliest step and after the latest one) and yield exactly what comparing the
two trees would (:func:`sapwood.engine.diff.diff_trees`). Whenever that cannot be shown
cheaply (a commit without a record, an ancestor too far away, unrelated commits), the
caller compares the trees instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Final

import msgspec

from sapwood.engine.diff import EntryChange
from sapwood.engine.format import Entry, RecordedChange, Snapshot
from sapwood.engine.manifests import Tree
from sapwood.engine.snapshots import SnapshotStore
from sapwood.errors import IntegrityError, RefNotFoundError

__all__ = [
    "MAX_HOPS",
    "MAX_RECORDED",
    "MAX_RECORD_BYTES",
    "composed_changes",
    "decode_record",
    "record_of",
]

MAX_RECORDED: Final = 1_000
"""Commits changing more paths than this record nothing (their diffs compare trees).

Every read of the snapshot, ``log`` included, reads the record's bytes (undecoded), so it
stays small: a thousand small entries are about 100 KB, the size of the manifest ranges
such a commit rewrites anyway. Diffs of larger commits cost more than reading trees does
at any realistic scale, so a record would save little there."""
MAX_RECORD_BYTES: Final = 256 * 1024
"""A record encoding to more bytes than this (entries with very long chunk lists) is
dropped too, for the same reason."""
MAX_HOPS: Final = 16
"""How many first-parent steps a diff walks looking for the other commit before it
compares trees instead (each step reads one small snapshot)."""

_RECORD_ENCODER: Final = msgspec.msgpack.Encoder()
_RECORD_DECODER: Final = msgspec.msgpack.Decoder(tuple[RecordedChange, ...])


async def record_of(head: Tree, changes: Mapping[str, Entry | None]) -> msgspec.Raw | None:
    """The record of applying ``changes`` to the tree ``head`` (the first parent's), as
    :meth:`~sapwood.engine.manifests.Tree.apply` applies them: a change to identical
    content keeps the old entry, and deleting an absent path changes nothing. None when
    the changes are too many to record."""
    if len(changes) > MAX_RECORDED:
        return None
    paths = sorted(changes)
    before = await head.get_many(paths)
    recorded: list[RecordedChange] = []
    for path in paths:
        old = before.get(path)
        new = changes[path]
        if old is not None and new is not None and old.same_content(new):
            new = old
        if old is not new and old != new:
            recorded.append(RecordedChange(old, new))
    encoded = _RECORD_ENCODER.encode(recorded)
    if len(encoded) > MAX_RECORD_BYTES:
        return None
    return msgspec.Raw(encoded)


def decode_record(record: msgspec.Raw, what: str) -> tuple[RecordedChange, ...]:
    """The changes a snapshot's record holds; IntegrityError naming ``what`` if damaged."""
    try:
        changes = _RECORD_DECODER.decode(record)
    except (msgspec.DecodeError, RecursionError) as exc:
        problem = f"could not be decoded ({exc})"
    else:
        if all(change.old is not None or change.new is not None for change in changes):
            return changes
        problem = "names a change with neither an old nor a new entry"
    raise IntegrityError(
        f"the change record of {what} {problem}; the repository is damaged: restore the "
        "snapshot from a backup"
    )


async def _read_both(store: SnapshotStore, one: bytes, other: bytes) -> tuple[Snapshot, Snapshot]:
    cached_one, cached_other = store.cache.get(one), store.cache.get(other)
    if isinstance(cached_one, Snapshot) and isinstance(cached_other, Snapshot):
        return cached_one, cached_other
    first, second = await asyncio.gather(store.read(one), store.read(other))
    return first, second


async def _records_between(
    store: SnapshotStore, start: bytes, snapshot: Snapshot, ancestor: bytes, ancestor_time_us: int
) -> list[tuple[bytes, msgspec.Raw]] | None:
    """The records (with their commits' ids) from ``start`` (whose snapshot is
    ``snapshot``) back to (not including) ``ancestor``, newest first, if
    ``ancestor`` is at most :data:`MAX_HOPS` first-parent steps behind ``start`` and every
    commit on the way has a record; else None. A commit's time is after its parents', so
    the walk stops as soon as it passes ``ancestor``'s time."""
    records: list[tuple[bytes, msgspec.Raw]] = []
    raw = start
    for _ in range(MAX_HOPS):
        record = snapshot.record
        if record is None or not snapshot.parents:
            return None
        records.append((raw, record))
        raw = snapshot.parents[0]
        if raw == ancestor:
            return records
        try:
            snapshot = await store.read(raw)
        except RefNotFoundError:  # garbage collected: the trees will tell
            return None
        if snapshot.committed_at_us <= ancestor_time_us:
            return None
    return None


async def composed_changes(
    store: SnapshotStore, mine: bytes, theirs: bytes, prefix: str
) -> list[EntryChange] | None:
    """The changes from commit ``mine`` to ``theirs`` under ``prefix``, in path order,
    exactly as comparing their trees gives them, composed from the change records when one
    commit is a near first-parent descendant of the other; None when it is not."""
    if mine == theirs:
        return []
    old, new = await _read_both(store, mine, theirs)
    if old.committed_at_us < new.committed_at_us:
        records = await _records_between(store, theirs, new, mine, old.committed_at_us)
        backwards = False
    else:
        records = await _records_between(store, mine, old, theirs, new.committed_at_us)
        backwards = True
    if records is None:
        return None
    composed: dict[str, list[Entry | None]] = {}
    for raw, record in records:  # newest first: the first seen is the latest after
        for change in decode_record(record, f"commit {raw.hex()}"):
            path = change.path
            if prefix and not path.startswith(prefix):
                continue
            pair = composed.get(path)
            if pair is None:
                composed[path] = [change.old, change.new]
            else:
                pair[0] = change.old
    found: list[EntryChange] = []
    for path in sorted(composed):
        before, after = composed[path]
        if backwards:
            before, after = after, before
        if before is None:
            if after is None:
                continue
        elif after is not None and (before == after or before.same_content(after)):
            continue
        found.append((path, before, after))
    return found
