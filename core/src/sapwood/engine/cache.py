"""A small in-process cache of decoded immutable objects (snapshots, ranges, indexes).

The object layer caches bytes; this saves decoding and hashing them again. Entries are
weighed by how many records they hold, so the bound tracks memory roughly.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
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

    def put(self, key: bytes, value: V, weight: int = 1) -> None:
        """Remember ``value``; values heavier than the whole bound are not kept."""
        weight = max(1, weight)
        if weight > self.max_weight:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._weight -= old[1]
            self._items[key] = (value, weight)
            self._weight += weight
            while self._weight > self.max_weight:
                _, (_, dropped) = self._items.popitem(last=False)
                self._weight -= dropped

    def discard(self, key: bytes) -> None:
        """Forget ``key``."""
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._weight -= old[1]

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()
            self._weight = 0

    def __len__(self) -> int:
        return len(self._items)
