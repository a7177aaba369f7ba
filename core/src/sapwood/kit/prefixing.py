"""Rooting a store at a key prefix inside a bucket, and listing within that root.

A store opened at ``s3://bucket/some/folder`` keeps the object ``k`` under the bucket key
``some/folder/k``. :class:`KeyPrefix` turns store keys into bucket keys and back;
:meth:`KeyPrefix.window` works out what a listing with ``prefix``, ``delimiter`` and
``start_after`` has to ask the service, including the case services get wrong: a
``start_after`` that falls inside a would-be common prefix.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sapwood.errors import InvalidPathError
from sapwood.storage import CommonPrefix, ListEntry, ObjectMeta

__all__ = ["KeyPrefix", "ListingWindow", "after_every_key_in", "merge_in_key_order"]

_MAX_CODE_POINT = 0x10FFFF


def after_every_key_in(folder: str) -> str | None:
    """The smallest string that sorts after every key starting with ``folder``, or None
    when there is none (``folder`` ends with the last code point)."""
    if not folder:
        return None
    last = ord(folder[-1])
    if last >= _MAX_CODE_POINT:
        return None
    return folder[:-1] + chr(last + 1)


@dataclass(frozen=True, slots=True)
class ListingWindow:
    """What one listing asks the service, in bucket keys.

    ``full_prefix`` is the bucket prefix to list. ``start_after`` is the bucket key to
    start after (exclusive), or None to start at the beginning. ``empty`` is True when no
    key can qualify (``start_after`` sorts after every key under the prefix).
    ``group_holding_start`` is set when a delimiter is given and ``start_after`` falls
    inside a common prefix: that prefix (a bucket key ending with the delimiter) must be
    reported only if some key in it comes after ``start_after``, and the rest of the
    listing resumes at ``resume_at`` (inclusive; None means nothing follows the group).
    """

    full_prefix: str
    start_after: str | None
    empty: bool = False
    group_holding_start: str | None = None
    resume_at: str | None = None


class KeyPrefix:
    """Maps store keys to bucket keys under a root folder, and back.

    ``KeyPrefix("data/v1")`` keeps ``k`` at ``data/v1/k``; ``KeyPrefix("")`` is the
    identity. Leading and trailing slashes of the prefix are ignored.
    """

    __slots__ = ("root",)

    def __init__(self, prefix: str) -> None:
        folder = prefix.strip("/")
        self.root = f"{folder}/" if folder else ""
        """The bucket folder holding the store's keys: ``""`` or ``"data/v1/"``."""

    def __repr__(self) -> str:
        return f"KeyPrefix({self.prefix!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KeyPrefix) and other.root == self.root

    def __hash__(self) -> int:
        return hash(self.root)

    @property
    def prefix(self) -> str:
        """The prefix without its trailing slash (``"data/v1"``, or ``""``)."""
        return self.root[:-1]

    def full(self, key: str) -> str:
        """The bucket key of the store key ``key``."""
        return self.root + key

    def object_key(self, key: str) -> str:
        """The bucket key of ``key``, which must name an object (not be empty)."""
        if not key:
            raise InvalidPathError("an object key must not be empty")
        return self.root + key

    def store_key(self, full: str) -> str:
        """The store key of the bucket key ``full`` (the inverse of :meth:`full`)."""
        if not full.startswith(self.root):
            raise InvalidPathError(
                f"bucket key {full!r} is outside this store's prefix {self.prefix!r}"
            )
        return full[len(self.root) :]

    def window(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> ListingWindow:
        """What to ask the service for ``list(prefix, delimiter, start_after)``."""
        full_prefix = self.root + prefix
        low = self.root + start_after if start_after else None
        if low is not None and not low.startswith(full_prefix):
            if low > full_prefix:
                return ListingWindow(full_prefix, low, empty=True)
            low = None  # every key under the prefix sorts after start_after
        if delimiter and low is not None:
            rest = low[len(full_prefix) :]
            cut = rest.find(delimiter)
            if cut >= 0:
                group = full_prefix + rest[: cut + len(delimiter)]
                return ListingWindow(
                    full_prefix,
                    low,
                    group_holding_start=group,
                    resume_at=after_every_key_in(group),
                )
        return ListingWindow(full_prefix, low)


def merge_in_key_order(
    objects: Iterable[ObjectMeta], prefixes: Iterable[str], seen: set[str] | None = None
) -> list[ListEntry]:
    """One listing page's objects and common prefixes (store keys) in key order.

    Services return a page's prefixes apart from its objects; a prefix already in ``seen``
    (reported by an earlier page) is left out, and ``seen`` is updated.
    """
    fresh = [path for path in prefixes if seen is None or path not in seen]
    if seen is not None:
        seen.update(fresh)
    entries: list[ListEntry] = [*objects, *(CommonPrefix(path) for path in fresh)]
    if fresh:
        entries.sort(key=lambda entry: entry.key if isinstance(entry, ObjectMeta) else entry.path)
    return entries
