"""Differences between two trees, paying only for the ranges that differ.

A range with the same id on both sides holds the very same entries, and within one tree
ranges never overlap, so such ranges are dropped from both sides before any manifest is
read; what is left is merge-joined entry by entry.
"""

from __future__ import annotations

import bisect
from collections.abc import AsyncIterator, Sequence
from typing import TypeAlias

from sapwood.engine.format import Entry, RangeRef, RangeTable
from sapwood.engine.manifests import PREFETCH, ManifestStore, Tree

__all__ = ["EntryChange", "changed_paths", "diff_trees", "differing_ranges"]

EntryChange: TypeAlias = tuple[str, Entry | None, Entry | None]
"""``(path, old entry or None, new entry or None)``."""


def _common_prefix(x: bytes, y: bytes) -> int:
    """How many leading 32-byte ids ``x`` and ``y`` share (a binary search over byte
    comparisons, which run at memcmp speed; memoryview comparisons do not)."""
    low, high = 0, min(len(x), len(y)) // 32
    while low < high:
        middle = (low + high + 1) // 2
        if x[: 32 * middle] == y[: 32 * middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(x: bytes, y: bytes, limit: int) -> int:
    """How many trailing ids ``x`` and ``y`` share, at most ``limit``."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if x[len(x) - 32 * middle :] == y[len(y) - 32 * middle :]:
            low = middle
        else:
            high = middle - 1
    return low


def _mismatches(x: bytes, y: bytes) -> list[int]:
    """Positions where two equally long id sequences differ, found by bisecting blocks."""
    found: list[int] = []
    stack = [(0, len(x) // 32)]
    while stack:
        low, high = stack.pop()
        if x[32 * low : 32 * high] == y[32 * low : 32 * high]:
            continue
        if high - low <= 4:
            found.extend(
                k for k in range(low, high) if x[32 * k : 32 * k + 32] != y[32 * k : 32 * k + 32]
            )
            continue
        middle = (low + high) // 2
        stack.append((middle, high))
        stack.append((low, middle))
    found.sort()
    return found


def differing_ranges(
    old: RangeTable, old_span: range, new: RangeTable, new_span: range
) -> tuple[list[RangeRef], list[RangeRef]]:
    """The ranges of each side (within the spans) whose ids the other side lacks.

    Equal leading and trailing runs are found by comparing id bytes, so unchanged parts
    of large tables cost a few memory comparisons, not a loop over their ranges.
    """
    x = old.ids[32 * old_span.start : 32 * old_span.stop]
    y = new.ids[32 * new_span.start : 32 * new_span.stop]
    head = _common_prefix(x, y)
    tail = _common_suffix(x[32 * head :], y[32 * head :], min(len(x), len(y)) // 32 - head)
    a_low, a_high = old_span.start + head, old_span.stop - tail
    b_low, b_high = new_span.start + head, new_span.stop - tail
    if a_high - a_low == b_high - b_low:
        positions = _mismatches(
            old.ids[32 * a_low : 32 * a_high], new.ids[32 * b_low : 32 * b_high]
        )
        left_ids = {old.id_at(a_low + k) for k in positions}
        right_ids = {new.id_at(b_low + k) for k in positions}
        common = left_ids & right_ids
        left = [old.ref(a_low + k) for k in positions if old.id_at(a_low + k) not in common]
        right = [new.ref(b_low + k) for k in positions if new.id_at(b_low + k) not in common]
        return left, right
    ids_a = [old.id_at(k) for k in range(a_low, a_high)]
    ids_b = [new.id_at(k) for k in range(b_low, b_high)]
    common = set(ids_a).intersection(ids_b)
    left = [old.ref(a_low + k) for k, raw in enumerate(ids_a) if raw not in common]
    right = [new.ref(b_low + k) for k, raw in enumerate(ids_b) if raw not in common]
    return left, right


class _Side:
    """Sequential access to the entries of some ranges of one tree, loaded in batches."""

    def __init__(self, store: ManifestStore, ranges: Sequence[RangeRef], prefix: str) -> None:
        self.store = store
        self.ranges = ranges
        self.prefix = prefix
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
            prefix = self.prefix
            for entries in loaded:
                if prefix:
                    low = bisect.bisect_left(entries, prefix, key=_entry_path)
                    merged.extend(e for e in entries[low:] if e.path.startswith(prefix))
                else:
                    merged.extend(entries)
            self.buffer = merged
            self.position = 0


def _entry_path(entry: Entry) -> str:
    return entry.path


async def diff_trees(old: Tree, new: Tree, prefix: str = "") -> AsyncIterator[EntryChange]:
    """Paths whose content differs from ``old`` to ``new``, in path order."""
    left, right = differing_ranges(old.table, old.span(prefix), new.table, new.span(prefix))
    a = _Side(old.store, left, prefix)
    b = _Side(new.store, right, prefix)
    while True:
        await a.fill()
        await b.fill()
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


async def changed_paths(old: Tree, new: Tree, prefix: str = "") -> dict[str, EntryChange]:
    """Every change from ``old`` to ``new`` under ``prefix``, by path."""
    return {change[0]: change async for change in diff_trees(old, new, prefix)}
