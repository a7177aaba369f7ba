"""Conformance suite for cache plugins (``sapwood_register_caches``).

Subclass :class:`CacheConformance` and provide a fixture ``make_cache`` returning a
callable that builds your cache from a :class:`~sapwood.config.CachingConfig`::

    import pytest
    from sapwood.testing import CacheConformance

    class TestMyCache(CacheConformance):
        @pytest.fixture
        def make_cache(self):
            return MyCache.from_config
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sapwood.config import CachingConfig
from sapwood.extensions import Cache, CacheStats
from sapwood.testing._suite import ConformanceSuite

__all__ = ["CacheConformance", "CacheFactory"]

CacheFactory = Callable[[CachingConfig], Cache]


def _config(max_bytes: int, max_object_bytes: int | None = None) -> CachingConfig:
    return CachingConfig(max_bytes=max_bytes, max_object_bytes=max_object_bytes)


class CacheConformance(ConformanceSuite):
    """What every cache must do: keep and return bytes, stay within its byte bound, count
    hits and misses, and forget on request."""

    async def test_cache_follows_the_protocol(self, make_cache: CacheFactory) -> None:
        cache = make_cache(_config(1024))
        assert isinstance(cache, Cache)
        assert isinstance(cache.stats(), CacheStats)

    async def test_a_missing_key_is_none(self, make_cache: CacheFactory) -> None:
        cache = make_cache(_config(1024))
        assert await cache.get("absent") is None

    async def test_set_then_get_returns_equal_bytes(self, make_cache: CacheFactory) -> None:
        cache = make_cache(_config(1024))
        await cache.set("k", b"value")
        assert await cache.get("k") == b"value"

    async def test_set_replaces_a_value(self, make_cache: CacheFactory) -> None:
        cache = make_cache(_config(1024))
        await cache.set("k", b"old")
        await cache.set("k", b"newer")
        assert await cache.get("k") == b"newer"

    async def test_an_empty_value_is_a_hit_not_a_miss(self, make_cache: CacheFactory) -> None:
        cache = make_cache(_config(1024))
        await cache.set("empty", b"")
        assert await cache.get("empty") == b""

    async def test_delete_forgets_one_key(self, make_cache: CacheFactory) -> None:
        cache = make_cache(_config(1024))
        await cache.set("a", b"1")
        await cache.set("b", b"2")
        await cache.delete("a")
        await cache.delete("never-set")
        assert await cache.get("a") is None
        assert await cache.get("b") == b"2"

    async def test_clear_forgets_everything(self, make_cache: CacheFactory) -> None:
        cache = make_cache(_config(1024))
        for i in range(5):
            await cache.set(f"k{i}", b"x" * 10)
        await cache.clear()
        assert [await cache.get(f"k{i}") for i in range(5)] == [None] * 5
        assert cache.stats().entries == 0
        assert cache.stats().size_bytes == 0

    async def test_hits_and_misses_are_counted(self, make_cache: CacheFactory) -> None:
        cache = make_cache(_config(1024))
        before = cache.stats()
        await cache.set("k", b"v")
        await cache.get("k")
        await cache.get("k")
        await cache.get("absent")
        after = cache.stats()
        assert after.hits - before.hits == 2
        assert after.misses - before.misses == 1

    async def test_size_stays_within_max_bytes(self, make_cache: CacheFactory) -> None:
        cache = make_cache(_config(1000))
        for i in range(50):
            await cache.set(f"k{i:02d}", bytes([i]) * 100)
            stats = cache.stats()
            assert stats.size_bytes <= 1000, f"{stats.size_bytes} bytes held after {i + 1} sets"
        kept = [i for i in range(50) if await cache.get(f"k{i:02d}") is not None]
        assert 0 < len(kept) <= 10
        for i in kept:
            assert await cache.get(f"k{i:02d}") == bytes([i]) * 100, "a kept value changed"

    async def test_stats_report_entries_and_bytes(self, make_cache: CacheFactory) -> None:
        cache = make_cache(_config(1000))
        await cache.set("a", b"x" * 10)
        await cache.set("b", b"y" * 20)
        stats = cache.stats()
        assert stats.entries == 2
        assert stats.size_bytes == 30
        assert stats.max_bytes == 1000

    async def test_a_value_larger_than_the_bound_is_not_kept(
        self, make_cache: CacheFactory
    ) -> None:
        cache = make_cache(_config(100))
        await cache.set("small", b"s")
        await cache.set("huge", b"h" * 1000)
        assert await cache.get("huge") is None
        assert cache.stats().size_bytes <= 100

    async def test_max_object_bytes_keeps_big_objects_out(self, make_cache: CacheFactory) -> None:
        cache = make_cache(_config(10_000, max_object_bytes=100))
        await cache.set("small", b"s" * 100)
        await cache.set("big", b"b" * 101)
        assert await cache.get("small") == b"s" * 100
        assert await cache.get("big") is None

    async def test_zero_max_bytes_keeps_nothing(self, make_cache: CacheFactory) -> None:
        cache = make_cache(_config(0))
        await cache.set("k", b"v")
        assert await cache.get("k") is None

    async def test_concurrent_use_keeps_values_intact(self, make_cache: CacheFactory) -> None:
        cache = make_cache(_config(1_000_000))

        async def worker(n: int) -> None:
            for i in range(50):
                key = f"w{n}-{i}"
                await cache.set(key, key.encode() * 3)
                await asyncio.sleep(0)
                assert await cache.get(key) in (None, key.encode() * 3)

        await asyncio.gather(*(worker(n) for n in range(8)))
        assert cache.stats().size_bytes <= 1_000_000
