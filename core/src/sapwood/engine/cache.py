"""A small in-process cache of decoded immutable objects (snapshots, ranges, indexes).

The object layer caches bytes; this saves decoding and hashing them again. Entries are
weighed by how many records they hold, so the bound tracks memory roughly. The
least-recently-used bookkeeping is cachetools'; this adds the weights, a lock, and
:meth:`DecodedCache.get_many` for the diff, which looks up many ranges at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Final, Generic, TypeVar

import cachetools

__all__ = ["DecodedCache"]

V = TypeVar("V")
DEFAULT_WEIGHT: Final = 400_000


def _weight_of(item: tuple[object, int]) -> int:
    return item[1]


class DecodedCache(Generic[V]):
    """A least-recently-used map from raw id to decoded value, bounded by total weight."""

    def __init__(self, max_weight: int = DEFAULT_WEIGHT) -> None:
        self.max_weight = max_weight
        self._items: cachetools.LRUCache[bytes, tuple[V, int]] = cachetools.LRUCache(
            maxsize=max(1, max_weight), getsizeof=_weight_of
        )
        self._lock = threading.Lock()

    def get(self, key: bytes) -> V | None:
        """The cached value, refreshed as most recently used, or None."""
        with self._lock:
            found = self._items.get(key)
        return None if found is None else found[0]

    def get_many(self, keys: Iterable[bytes]) -> list[V | None]:
        """The cached value (or None) of each key, in order, under one lock; the ones
        found are refreshed as most recently used."""
        with self._lock:
            lookup = self._items.get
            found = [lookup(key) for key in keys]
        return [None if item is None else item[0] for item in found]

    def put(self, key: bytes, value: V, weight: int = 1) -> None:
        """Remember ``value``, evicting the least recently used values past the bound;
        values heavier than the whole bound are not kept."""
        weight = max(1, weight)
        if weight > self.max_weight:
            return
        with self._lock:
            self._items[key] = (value, weight)

    def discard(self, key: bytes) -> None:
        """Forget ``key``."""
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
