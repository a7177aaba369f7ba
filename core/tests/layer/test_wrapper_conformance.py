"""Each object-layer wrapper, alone over a memory store, passes the storage conformance
suite: every one of them is a Storage in its own right, whatever stack it is put in."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from itertools import count

import pytest_asyncio

from sapwood.config import CompressionConfig, LimitsConfig
from sapwood.layer import ChaosStorage, LruCache, MemoryMetrics, RefCache, TokenBucketLimiter
from sapwood.layer.caching import CachingStorage, RefCachingStorage
from sapwood.layer.clock import SYSTEM_CLOCK
from sapwood.layer.compressing import CompressingStorage
from sapwood.layer.compression import ZstdCodec
from sapwood.layer.framing import SelfDescribingKeys
from sapwood.layer.limiting import LimitedStorage
from sapwood.layer.metered import MeteredStorage
from sapwood.layer.retries import Retrier, RetryPolicy
from sapwood.layer.retrying import RetryingStorage
from sapwood.layer.single_flight import SingleFlightStorage
from sapwood.layer.timeouts import TimedStorage
from sapwood.storage import Storage
from sapwood.stores import open_storage
from sapwood.testing import StorageConformance

_names = count()


def _memory() -> Storage:
    return open_storage(f"memory://wrapper-conformance-{next(_names)}")


class _WrapperConformance(StorageConformance, ABC):
    """The suite over ``wrap(memory store)``; subclasses say how to wrap."""

    LARGE_OBJECT_SIZE = 1024 * 1024  # the bare memory store's own suite covers 64 MiB

    @abstractmethod
    def wrap(self, inner: Storage) -> Storage:
        """The wrapper under test around ``inner``."""

    @pytest_asyncio.fixture(loop_scope="function")
    async def store(self) -> AsyncIterator[Storage]:
        storage = self.wrap(_memory())
        yield storage
        await storage.close()


class TestCachingConformance(_WrapperConformance):
    """Read-through, write-through cache (correct here: every write passes through it)."""

    def wrap(self, inner: Storage) -> Storage:
        return CachingStorage(inner, LruCache(64 * 1024 * 1024))


class TestRefCachingConformance(_WrapperConformance):
    """The short-lived ref cache, forgotten on every write through it."""

    def wrap(self, inner: Storage) -> Storage:
        return RefCachingStorage(inner, RefCache(60.0, SYSTEM_CLOCK))


class TestCompressingConformance(_WrapperConformance):
    """Every write compressed where it shrinks; reads decode."""

    def wrap(self, inner: Storage) -> Storage:
        codec = ZstdCodec(CompressionConfig(min_size_bytes=1))
        return CompressingStorage(inner, codec, compress=True, immutable=False)


class TestSelfDescribingConformance(_WrapperConformance):
    """Every key stored self-describing (no encoding in metadata), compressed where it
    shrinks; reads decode by the stored bytes alone."""

    def wrap(self, inner: Storage) -> Storage:
        codec = ZstdCodec(CompressionConfig(min_size_bytes=1))
        keys = SelfDescribingKeys([""])
        return CompressingStorage(inner, codec, compress=True, self_describing=keys)


class TestSelfDescribingImmutableConformance(_WrapperConformance):
    """The same, remembering each key's encoding as the engine's immutable stacks do."""

    def wrap(self, inner: Storage) -> Storage:
        codec = ZstdCodec(CompressionConfig(min_size_bytes=1))
        keys = SelfDescribingKeys([""])
        return CompressingStorage(inner, codec, compress=True, immutable=True, self_describing=keys)


class TestSingleFlightConformance(_WrapperConformance):
    """Identical concurrent reads shared."""

    def wrap(self, inner: Storage) -> Storage:
        return SingleFlightStorage(inner)


class TestRetryingConformance(_WrapperConformance):
    """Retries over a store failing a fifth of its requests (lost responses included)."""

    def wrap(self, inner: Storage) -> Storage:
        chaos = ChaosStorage(inner, failure_ratio=0.2, seed=next(_names))
        policy = RetryPolicy(max_attempts=12, initial_backoff_seconds=0.0)
        return RetryingStorage(chaos, Retrier(policy, SYSTEM_CLOCK))


class TestPlainRetryingConformance(_WrapperConformance):
    """Retries over a healthy store change nothing."""

    def wrap(self, inner: Storage) -> Storage:
        return RetryingStorage(inner, Retrier(RetryPolicy(), SYSTEM_CLOCK))


class TestLimitedConformance(_WrapperConformance):
    """Every request through a limiter with a concurrency cap and a request rate."""

    def wrap(self, inner: Storage) -> Storage:
        config = LimitsConfig(max_concurrent_requests=4, requests_per_second=100_000)
        return LimitedStorage(inner, TokenBucketLimiter(config))


class TestTimedConformance(_WrapperConformance):
    """Every request under an attempt timeout."""

    def wrap(self, inner: Storage) -> Storage:
        return TimedStorage(inner, 30.0)


class TestMeteredConformance(_WrapperConformance):
    """Every request measured."""

    def wrap(self, inner: Storage) -> Storage:
        return MeteredStorage(inner, MemoryMetrics(), {"suite": "conformance"})
