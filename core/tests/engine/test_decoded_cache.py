"""DecodedCache: least-recently-used eviction by weight, refreshed by lookups."""

from __future__ import annotations

from sapwood.engine.cache import DecodedCache


def test_the_least_recently_used_values_go_first_once_the_weight_is_exceeded() -> None:
    cache: DecodedCache[str] = DecodedCache(max_weight=10)
    cache.put(b"a", "A", 4)
    cache.put(b"b", "B", 4)
    assert cache.get(b"a") == "A"  # now b is the least recently used
    cache.put(b"c", "C", 4)
    assert cache.get(b"b") is None
    assert cache.get_many([b"c", b"b", b"a"]) == ["C", None, "A"]  # c, then a refreshed
    cache.put(b"d", "D", 4)
    assert cache.get_many([b"a", b"c", b"d"]) == ["A", None, "D"]
    assert len(cache) == 2


def test_get_many_refreshes_what_it_finds() -> None:
    cache: DecodedCache[int] = DecodedCache(max_weight=3)
    for k in range(3):
        cache.put(bytes([k]), k)
    assert cache.get_many([bytes([0])]) == [0]
    cache.put(b"new", 9)
    assert cache.get_many([bytes([0]), bytes([1]), bytes([2]), b"new"]) == [0, None, 2, 9]


def test_replacing_discarding_and_overweight_values() -> None:
    cache: DecodedCache[str] = DecodedCache(max_weight=5)
    cache.put(b"a", "A", 5)
    cache.put(b"a", "A2", 2)  # a replacement counts only its own weight
    cache.put(b"b", "B", 3)
    assert cache.get_many([b"a", b"b"]) == ["A2", "B"]
    cache.put(b"huge", "H", 6)
    assert cache.get(b"huge") is None
    assert cache.get(b"a") == "A2"
    cache.discard(b"a")
    cache.put(b"c", "C", 2)
    assert cache.get_many([b"a", b"b", b"c"]) == [None, "B", "C"]
    cache.clear()
    assert len(cache) == 0
    cache.put(b"d", "D", 5)
    assert cache.get(b"d") == "D"
