"""Differences between two trees, paying only for the ranges that differ.

A range with the same id on both sides holds the very same entries, and within one tree
ranges never overlap, so such ranges are dropped from both sides before any manifest is
read; what is left is merge-joined entry by entry.
"""

from __future__ import annotations

import bisect
from collections.abc import AsyncIterator, Sequence
from typing import TypeAlias

from sapwood.engine.format import Entry, RangeRef
from sapwood.engine.manifests import PREFETCH, ManifestStore, Tree, overlaps_prefix

__all__ = ["EntryChange", "changed_paths", "diff_trees"]

EntryChange: TypeAlias = tuple[str, Entry | None, Entry | None]
"""``(path, old entry or None, new entry or None)``."""


class _Side:
    """Sequential access to the entries of some ranges of one tree, loaded in batches."""

    def __init__(self, store: ManifestStore, ranges: Sequence[RangeRef], prefix: str) -> None:
        self.store = store
        self.ranges = ranges
        self.prefix = prefix
        self.next_range = 0
        self.buffer: list[Entry] = []
        self.position = 0

    async def peek(self) -> Entry | None:
        while self.position >= len(self.buffer):
            if self.next_range >= len(self.ranges):
                return None
            batch = self.ranges[self.next_range : self.next_range + PREFETCH]
            self.next_range += len(batch)
            loaded = await self.store.load_ranges([r.id for r in batch])
            merged: list[Entry] = []
            for entries in loaded:
                if self.prefix:
                    low = bisect.bisect_left(entries, self.prefix, key=lambda e: e.path)
                    merged.extend(e for e in entries[low:] if e.path.startswith(self.prefix))
                else:
                    merged.extend(entries)
            self.buffer = merged
            self.position = 0
        return self.buffer[self.position]


async def diff_trees(old: Tree, new: Tree, prefix: str = "") -> AsyncIterator[EntryChange]:
    """Paths whose content differs from ``old`` to ``new``, in path order."""
    store = new.store
    left = [r for r in old.ranges if overlaps_prefix(r, prefix)]
    right = [r for r in new.ranges if overlaps_prefix(r, prefix)]
    common = {r.id for r in left}.intersection(r.id for r in right)
    if common:
        left = [r for r in left if r.id not in common]
        right = [r for r in right if r.id not in common]
    a = _Side(old.store, left, prefix)
    b = _Side(store, right, prefix)
    while True:
        x = await a.peek()
        y = await b.peek()
        if x is None and y is None:
            return
        if y is None or (x is not None and x.path < y.path):
            assert x is not None
            a.position += 1
            yield x.path, x, None
        elif x is None or y.path < x.path:
            b.position += 1
            yield y.path, None, y
        else:
            a.position += 1
            b.position += 1
            if not x.same_content(y):
                yield x.path, x, y


async def changed_paths(old: Tree, new: Tree, prefix: str = "") -> dict[str, EntryChange]:
    """Every change from ``old`` to ``new`` under ``prefix``, by path."""
    return {change[0]: change async for change in diff_trees(old, new, prefix)}
