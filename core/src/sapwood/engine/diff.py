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
from sapwood.engine.manifests import PREFETCH, ManifestStore, Tree

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
    left_span, right_span = old.span(prefix), new.span(prefix)
    left_ids = old.table.id_list()[left_span.start : left_span.stop]
    right_ids = new.table.id_list()[right_span.start : right_span.stop]
    common = set(left_ids).intersection(right_ids)
    left = [
        old.table.ref(left_span.start + k) for k, raw in enumerate(left_ids) if raw not in common
    ]
    right = [
        new.table.ref(right_span.start + k) for k, raw in enumerate(right_ids) if raw not in common
    ]
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
