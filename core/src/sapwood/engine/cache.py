"""A small in-process cache of decoded immutable objects (snapshots, ranges, indexes).

The object layer caches bytes; this saves decoding and hashing them again. Entries are
weighed by how many records they hold, so the bound tracks memory roughly. The
least-recently-used order is an ``OrderedDict``'s (a lookup is one C-level dict access
and one move, which matters when a diff looks up hundreds of ranges at once); a lock
makes it safe across threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Final, Generic, TypeVar

__all__ = ["DecodedCache"]

V = TypeVar("V")
DEFAULT_WEIGHT: Final = 400_000


class DecodedCache(Generic[V]):
    """A least-recently-used map from raw id to decoded value, bounded by total weight."""

    def __init__(self, max_weight: int = DEFAULT_WEIGHT) -> None:
        self.max_weight = max_weight
        self._items: OrderedDict[bytes, tuple[V, int]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key: bytes) -> V | None:
        """The cached value, refreshed as most recently used, or None."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
        return found[0]

    def get_many(self, keys: Iterable[bytes]) -> list[V | None]:
        """The cached value (or None) of each key, in order, under one lock; the ones
        found are refreshed as most recently used."""
        found: list[V | None] = []
        with self._lock:
            items = self._items
            refresh = items.move_to_end
            for key in keys:
                item = items.get(key)
                if item is None:
                    found.append(None)
                else:
                    refresh(key)
                    found.append(item[0])
        return found

    def put(self, key: bytes, value: V, weight: int = 1) -> None:
        """Remember ``value``, evicting the least recently used values past the bound;
        values heavier than the whole bound are not kept."""
        weight = max(1, weight)
        if weight > self.max_weight:
            return
        with self._lock:
            items = self._items
            previous = items.pop(key, None)
            if previous is not None:
                self._weight -= previous[1]
            items[key] = (value, weight)
            self._weight += weight
            while self._weight > self.max_weight:
                _, (_, dropped) = items.popitem(last=False)
                self._weight -= dropped

    def discard(self, key: bytes) -> None:
        """Forget ``key``."""
        with self._lock:
            previous = self._items.pop(key, None)
            if previous is not None:
                self._weight -= previous[1]

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()
            self._weight = 0

    def __len__(self) -> int:
        return len(self._items)
