"""Differences between two trees, paying only for the ranges that differ.

A range with the same id on both sides holds the very same entries, and within one tree
ranges never overlap, so such ranges are dropped from both sides before any manifest is
read (see :mod:`sapwood.engine.range_ids`). The ranges left are cut into groups whose path
spans do not overlap (for scattered changes, one old and one new range each); a group's two
entry lists are compared with a few whole-list comparisons, which run at C speed, and only
the entries those leave over are decoded (if they are not yet) and merge-joined one by one.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import AsyncIterator, Sequence
from typing import Final, TypeAlias

import msgspec

from sapwood.engine.format import Entry, RangeRef, RangeTable, decode_entry
from sapwood.engine.manifests import PREFETCH, ManifestStore, Tree
from sapwood.engine.paths import prefix_successor
from sapwood.engine.range_ids import differing_positions

__all__ = ["EntryChange", "changed_paths", "diff_trees"]

EntryChange: TypeAlias = tuple[str, Entry | None, Entry | None]
"""``(path, old entry or None, new entry or None)``."""

Item: TypeAlias = Entry | msgspec.Raw
"""An entry, decoded or as its msgpack bytes (equal bytes are equal entries; unequal
bytes may still decode to equal entries, which the merge-join then pairs up)."""

BATCH: Final = 64
"""Differing ranges a side loaded at once (concurrently); a bound on the diff's memory."""
_SCANNED: Final = 32
"""Entry blocks at most this long are compared entry by entry rather than bisected."""


class _Side:
    """Sequential access to the entries of some ranges of one tree, loaded in batches
    (for a group of ranges too large to hold at once)."""

    def __init__(self, store: ManifestStore, ranges: Sequence[RangeRef], prefix: str) -> None:
        self.store = store
        self.ranges = ranges
        self.prefix = prefix
        self.end = prefix_successor(prefix) if prefix else None
        self.next_range = 0
        self.buffer: list[Entry] = []
        self.position = 0

    @property
    def exhausted(self) -> bool:
        """True once every entry has been consumed."""
        return self.position >= len(self.buffer) and self.next_range >= len(self.ranges)

    async def fill(self) -> None:
        """Load more entries if the buffer is consumed and ranges remain."""
        while self.position >= len(self.buffer) and self.next_range < len(self.ranges):
            batch = self.ranges[self.next_range : self.next_range + PREFETCH]
            self.next_range += len(batch)
            loaded = await self.store.load_ranges(batch)
            merged: list[Entry] = []
            for entries in loaded:
                merged.extend(_within(entries, self.prefix, self.end))
            self.buffer = merged
            self.position = 0


def _entry_path(entry: Entry) -> str:
    return entry.path


def _within(entries: list[Entry], prefix: str, end: str | None) -> list[Entry]:
    """The entries (sorted by path) whose path starts with ``prefix``; ``end`` is
    ``prefix_successor(prefix)``. Without a prefix, ``entries`` itself."""
    if not prefix:
        return entries
    low = bisect.bisect_left(entries, prefix, key=_entry_path)
    high = len(entries) if end is None else bisect.bisect_left(entries, end, key=_entry_path)
    return entries[low:high]


Group: TypeAlias = tuple[list[int], list[int]]
"""Indexes of ranges of the old and of the new tree that are compared together."""


def _groups(
    old: RangeTable, left: Sequence[int], new: RangeTable, right: Sequence[int]
) -> list[Group]:
    """The differing ranges of both sides cut into groups whose path spans do not overlap,
    in path order: a path's entries, if any, lie in ranges of one and the same group, so
    the groups can be compared one by one."""
    groups: list[Group] = []
    reach = ""
    i = j = 0
    while i < len(left) or j < len(right):
        from_left = j >= len(right) or (
            i < len(left) and old.firsts[left[i]] <= new.firsts[right[j]]
        )
        table, index = (old, left[i]) if from_left else (new, right[j])
        first, last = table.firsts[index], table.lasts[index]
        if not groups or first > reach:
            groups.append(([], []))
            reach = last
        elif last > reach:
            reach = last
        if from_left:
            groups[-1][0].append(index)
            i += 1
        else:
            groups[-1][1].append(index)
            j += 1
    return groups


def _same_bounds(
    xs: Sequence[Item], ys: Sequence[Item], old: RangeTable, i: int, new: RangeTable, j: int
) -> bool:
    """Whether range ``i`` of ``old`` (entries ``xs``) and range ``j`` of ``new`` (entries
    ``ys``) span the same paths, so that they can be compared as a pair. Decoded entries
    answer it themselves (a shared first or last entry is the same object, touched anyway
    by the comparison); undecoded ones leave it to the tables."""
    x0, y0, x1, y1 = xs[0], ys[0], xs[-1], ys[-1]
    if x0 is y0 and x1 is y1:
        return True
    if (
        isinstance(x0, Entry)
        and isinstance(y0, Entry)
        and isinstance(x1, Entry)
        and isinstance(y1, Entry)
    ):
        return x0.path == y0.path and x1.path == y1.path
    return old.firsts[i] == new.firsts[j] and old.lasts[i] == new.lasts[j]


def _common_head(xs: Sequence[Item], ys: Sequence[Item], limit: int) -> int:
    """How many leading entries ``xs`` and ``ys`` share, at most ``limit`` (list slices
    compare at C speed, by identity first, so shared entries cost almost nothing)."""
    if not limit or xs[0] != ys[0]:
        return 0
    low, high = 1, limit
    while low < high:
        middle = (low + high + 1) // 2
        if xs[low:middle] == ys[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_tail(xs: Sequence[Item], ys: Sequence[Item], limit: int) -> int:
    """How many trailing entries ``xs`` and ``ys`` share, at most ``limit``."""
    if not limit or xs[-1] != ys[-1]:
        return 0
    nx, ny = len(xs), len(ys)
    low, high = 1, limit
    while low < high:
        middle = (low + high + 1) // 2
        if xs[nx - middle : nx - low] == ys[ny - middle : ny - low]:
            low = middle
        else:
            high = middle - 1
    return low


def _unequal(xs: Sequence[Item], ys: Sequence[Item]) -> list[int]:
    """Positions where two equally long entry lists differ, in order: blocks are bisected
    while they are large (an equal block costs one comparison at C speed), small ones are
    scanned (where changes are dense, a scan beats bisecting down to each of them)."""
    found: list[int] = []
    stack = [(0, len(xs))]
    while stack:
        low, high = stack.pop()
        if high - low <= _SCANNED:
            found.extend(k for k in range(low, high) if xs[k] is not ys[k] and xs[k] != ys[k])
            continue
        if xs[low:high] == ys[low:high]:
            continue
        middle = (low + high) // 2
        stack.append((middle, high))
        stack.append((low, middle))
    return found


def _merge_join(xs: Sequence[Entry], ys: Sequence[Entry]) -> list[EntryChange]:
    """The changes between two path-sorted entry lists, in path order."""
    out: list[EntryChange] = []
    i = j = 0
    while i < len(xs) and j < len(ys):
        x = xs[i]
        y = ys[j]
        if x.path == y.path:
            if x is not y and x != y and not x.same_content(y):
                out.append((x.path, x, y))
            i += 1
            j += 1
        elif x.path < y.path:
            out.append((x.path, x, None))
            i += 1
        else:
            out.append((y.path, None, y))
            j += 1
    out.extend((x.path, x, None) for x in xs[i:])
    out.extend((y.path, None, y) for y in ys[j:])
    return out


def _entries(items: Sequence[Item]) -> list[Entry]:
    """``items`` decoded where they are not already."""
    return [
        item if isinstance(item, Entry) else decode_entry(item, "a manifest range being compared")
        for item in items
    ]


def _replaced(x: Item, y: Item) -> list[EntryChange]:
    """The changes when entry ``x`` alone became ``y`` (a shortcut of :func:`_merge_join`)."""
    if not isinstance(x, Entry):
        x = decode_entry(x, "a manifest range being compared")
    if not isinstance(y, Entry):
        y = decode_entry(y, "a manifest range being compared")
    if x.path == y.path:
        return [] if x == y or x.same_content(y) else [(x.path, x, y)]
    if x.path < y.path:
        return [(x.path, x, None), (y.path, None, y)]
    return [(y.path, None, y), (x.path, x, None)]


def _group_changes(xs: Sequence[Item], ys: Sequence[Item]) -> list[EntryChange]:
    """The changes between the entries of one group on each side.

    Equal leading and trailing runs are skipped with a few list comparisons, and when what
    is left is as long on both sides, equal aligned blocks too (equal entries have equal
    paths, so they pair up and change nothing); only the entries left over are decoded
    (if they are not yet) and merge-joined one by one.
    """
    shorter = min(len(xs), len(ys))
    head = _common_head(xs, ys, shorter)
    if len(xs) == len(ys):
        if head == shorter:
            return []
        if xs[head + 1 :] == ys[head + 1 :]:  # one entry replaced: the usual case
            return _replaced(xs[head], ys[head])
    tail = _common_tail(xs, ys, shorter - head)
    if head or tail:
        xs = xs[head : len(xs) - tail]
        ys = ys[head : len(ys) - tail]
    if len(xs) == len(ys) > 8:
        positions = _unequal(xs, ys)
        xs = [xs[k] for k in positions]
        ys = [ys[k] for k in positions]
    return _merge_join(_entries(xs), _entries(ys))


async def _stream_group(
    old: ManifestStore,
    left: Sequence[RangeRef],
    new: ManifestStore,
    right: Sequence[RangeRef],
    prefix: str,
) -> AsyncIterator[EntryChange]:
    """The changes of a group too large to hold at once, merge-joined batch by batch."""
    a = _Side(old, left, prefix)
    b = _Side(new, right, prefix)
    while True:
        await asyncio.gather(a.fill(), b.fill())
        if a.exhausted and b.exhausted:
            return
        xs, ys = a.buffer, b.buffer
        i, j = a.position, b.position
        out: list[EntryChange] = []
        while i < len(xs) and j < len(ys):
            x = xs[i]
            y = ys[j]
            if x is y or x == y:
                i += 1
                j += 1
                continue
            if x.path == y.path:
                if not x.same_content(y):
                    out.append((x.path, x, y))
                i += 1
                j += 1
            elif x.path < y.path:
                out.append((x.path, x, None))
                i += 1
            else:
                out.append((y.path, None, y))
                j += 1
        if b.next_range >= len(b.ranges) and j >= len(ys):
            out.extend((x.path, x, None) for x in xs[i:])
            i = len(xs)
        elif a.next_range >= len(a.ranges) and i >= len(xs):
            out.extend((y.path, None, y) for y in ys[j:])
            j = len(ys)
        a.position, b.position = i, j
        for change in out:
            yield change


def _batches(groups: list[Group]) -> list[list[Group]]:
    """Consecutive groups packed into batches of at most ``BATCH`` ranges a side (a larger
    group alone in its batch)."""
    batches: list[list[Group]] = []
    sizes = (0, 0)
    for group in groups:
        left, right = group
        if batches and sizes[0] + len(left) <= BATCH and sizes[1] + len(right) <= BATCH:
            batches[-1].append(group)
            sizes = (sizes[0] + len(left), sizes[1] + len(right))
        else:
            batches.append([group])
            sizes = (len(left), len(right))
    return batches


def _joined(loaded: Sequence[Sequence[Item]], prefix: str, end: str | None) -> Sequence[Item]:
    """The entries of a group's ranges on one side, in order, under ``prefix`` (ranges
    read for a prefix are decoded)."""
    if not prefix:
        if len(loaded) == 1:
            return loaded[0]
        return [item for items in loaded for item in items]
    joined: list[Entry] = []
    for items in loaded:
        joined.extend(_within(_entries(items), prefix, end))
    return joined


async def _load_both(
    old: Tree, left: Sequence[int], new: Tree, right: Sequence[int], prefix: str
) -> tuple[Sequence[Sequence[Item]], Sequence[Sequence[Item]]]:
    """The entries of ranges ``left`` of ``old`` and ``right`` of ``new``: from memory if
    all are decoded there (found by id alone), else loaded, both sides concurrently;
    without a prefix, ranges not in memory come as undecoded entries, so that only the few
    that differ are ever decoded."""
    ids_x, ids_y = old.table.ids, new.table.ids
    olds = old.store.cached_ranges([ids_x[32 * k : 32 * k + 32] for k in left])
    news = new.store.cached_ranges([ids_y[32 * k : 32 * k + 32] for k in right])
    if olds is not None and news is not None:
        return olds, news
    left_refs = [old.table.ref(k) for k in left]
    right_refs = [new.table.ref(k) for k in right]
    if prefix:
        decoded = await asyncio.gather(
            old.store.load_ranges(left_refs), new.store.load_ranges(right_refs)
        )
        return decoded[0], decoded[1]
    encoded = await asyncio.gather(
        old.store.load_encoded_ranges(left_refs), new.store.load_encoded_ranges(right_refs)
    )
    return encoded[0], encoded[1]


async def diff_trees(old: Tree, new: Tree, prefix: str = "") -> AsyncIterator[EntryChange]:
    """Paths whose content differs from ``old`` to ``new``, in path order.

    The differing ranges are cut into groups whose spans do not overlap; the ranges of up
    to ``BATCH`` of them a side are loaded at once (both sides concurrently) and each group
    is compared on its own.
    """
    left, right = differing_positions(old.table, old.span(prefix), new.table, new.span(prefix))
    paired = 0
    if not prefix and len(left) == len(right):
        # Ranges rewritten in place (scattered changes to existing paths) pair up one to
        # one, each pair a group. At the first pair whose bounds differ, the rest is left
        # to the general grouping below: every range left lies after the pairs done.
        while paired < len(left):
            lefts = left[paired : paired + BATCH]
            rights = right[paired : paired + BATCH]
            olds, news = await _load_both(old, lefts, new, rights, "")
            for i, j, xs, ys in zip(lefts, rights, olds, news, strict=True):
                if not _same_bounds(xs, ys, old.table, i, new.table, j):
                    break
                for change in _group_changes(xs, ys):
                    yield change
                paired += 1
            else:
                continue
            break
        if paired == len(left):
            return
        left, right = left[paired:], right[paired:]
    end = prefix_successor(prefix) if prefix else None
    for batch in _batches(_groups(old.table, left, new.table, right)):
        if len(batch) == 1 and (len(batch[0][0]) > BATCH or len(batch[0][1]) > BATCH):
            async for change in _stream_group(
                old.store,
                [old.table.ref(k) for k in batch[0][0]],
                new.store,
                [new.table.ref(k) for k in batch[0][1]],
                prefix,
            ):
                yield change
            continue
        olds, news = await _load_both(
            old,
            [k for group in batch for k in group[0]],
            new,
            [k for group in batch for k in group[1]],
            prefix,
        )
        a = b = 0
        for group_left, group_right in batch:
            xs = _joined(olds[a : a + len(group_left)], prefix, end)
            ys = _joined(news[b : b + len(group_right)], prefix, end)
            changes = _group_changes(xs, ys)
            a += len(group_left)
            b += len(group_right)
            for change in changes:
                yield change


async def changed_paths(old: Tree, new: Tree, prefix: str = "") -> dict[str, EntryChange]:
    """Every change from ``old`` to ``new`` under ``prefix``, by path."""
    return {change[0]: change async for change in diff_trees(old, new, prefix)}
