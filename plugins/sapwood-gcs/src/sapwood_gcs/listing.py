"""Pure helpers for listing: folding GCS pages into sapwood's ordered entries.

GCS's ``startOffset`` is inclusive and filters by object name, so a listing that starts
*inside* a common prefix (``start_after="a/1"`` with delimiter ``/``) would lose that
prefix on some servers. The storage resolves that group itself with these helpers.
"""

from __future__ import annotations

from collections.abc import Iterator

from sapwood.storage import CommonPrefix, ListEntry, ObjectMeta

__all__ = ["after_group", "group_holding", "merge_page"]


def group_holding(prefix: str, delimiter: str | None, start_after: str | None) -> str | None:
    """The common prefix (relative to the store) that ``start_after`` falls inside, if any."""
    if not delimiter or start_after is None or not start_after.startswith(prefix):
        return None
    rest = start_after[len(prefix) :]
    cut = rest.find(delimiter)
    if cut < 0:
        return None
    return prefix + rest[: cut + len(delimiter)]


def after_group(group: str) -> str:
    """The smallest key greater than every key that starts with ``group``."""
    last = group[-1]
    if ord(last) >= 0x10FFFF:
        return group + "\U0010ffff"
    return group[:-1] + chr(ord(last) + 1)


def merge_page(metas: list[ObjectMeta], prefixes: list[str], seen: set[str]) -> Iterator[ListEntry]:
    """One page's objects and prefixes in key order, each prefix once across pages."""
    fresh = [p for p in prefixes if p not in seen]
    seen.update(fresh)
    entries: list[tuple[str, ListEntry]] = [(m.key, m) for m in metas]
    entries.extend((p, CommonPrefix(p)) for p in fresh)
    entries.sort(key=lambda pair: pair[0])
    for _key, entry in entries:
        yield entry
