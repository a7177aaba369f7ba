"""The built-in caches: conformance, LRU order, and the ref TTL cache."""

from __future__ import annotations

import pytest

from sapwood.config import CachingConfig
from sapwood.layer.cache import LruCache, NoCache, RefCache, build_lru_cache
from sapwood.registry import registry
from sapwood.testing import CacheConformance, FakeClock


class TestLruCacheConformance(CacheConformance):
    @pytest.fixture
    def make_cache(self) -> object:
        return registry().cache("lru").factory


async def test_lru_evicts_the_least_recently_used() -> None:
    cache = LruCache(max_bytes=300)
    await cache.set("a", b"a" * 100)
    await cache.set("b", b"b" * 100)
    await cache.set("c", b"c" * 100)
    assert await cache.get("a") is not None  # "a" is now the most recent
    await cache.set("d", b"d" * 100)
    assert await cache.get("b") is None
    assert await cache.get("a") == b"a" * 100
    assert await cache.get("c") == b"c" * 100
    assert await cache.get("d") == b"d" * 100


def test_lru_factory_fills_unset_fields_from_the_defaults() -> None:
    cache = build_lru_cache(CachingConfig())
    assert cache.max_bytes == 256 * 1024 * 1024
    assert cache.max_object_bytes == 8 * 1024 * 1024


async def test_none_cache_keeps_nothing_and_counts_misses() -> None:
    cache = registry().cache("none").factory(CachingConfig())
    assert isinstance(cache, NoCache)
    await cache.set("k", b"v")
    assert await cache.get("k") is None
    assert cache.stats().misses == 1


def test_ref_cache_keeps_values_for_its_ttl_only() -> None:
    clock = FakeClock()
    refs = RefCache(2.0, clock)
    refs.set("branch.main", b"snap-1")
    clock.advance(1.9)
    assert refs.get("branch.main") == b"snap-1"
    clock.advance(0.2)
    assert refs.get("branch.main") is None


def test_ref_cache_with_zero_ttl_keeps_nothing() -> None:
    refs = RefCache(0.0, FakeClock())
    refs.set("branch.main", b"snap-1")
    assert refs.get("branch.main") is None


def test_ref_cache_forgets_on_request() -> None:
    refs = RefCache(60.0, FakeClock())
    refs.set("branch.main", b"snap-1")
    refs.forget("branch.main")
    assert refs.get("branch.main") is None
