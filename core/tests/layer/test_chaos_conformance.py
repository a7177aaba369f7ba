"""The storage conformance suite through the object layer over a store that fails 20% of
its requests: every operation must still succeed, through retries, with nothing corrupted."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from itertools import count

import pytest_asyncio

from sapwood.config import CompressionConfig, RepositoryConfig, RetriesConfig
from sapwood.layer import ChaosStorage, LayerStorage, ObjectLayer
from sapwood.storage import Storage
from sapwood.stores import open_storage
from sapwood.testing import StorageConformance

_names = count()
INJECTED: Counter[str] = Counter()
"""Failures injected across the suite, by operation (see test_chaos_layer.py)."""

CHAOS_CONFIG = RepositoryConfig(
    retries=RetriesConfig(max_attempts=12, initial_backoff_ms=0, max_backoff_ms=1)
)
"""Twelve attempts: the chance that one request fails all of them at 20% is 4e-9."""


class TestLayerOverChaosConformance(StorageConformance):
    """Conformance through ``LayerStorage(ObjectLayer(ChaosStorage(memory)))``."""

    @pytest_asyncio.fixture(loop_scope="function")
    async def store(self) -> AsyncIterator[Storage]:
        inner = open_storage(f"memory://layer-chaos-{next(_names)}")
        chaos = ChaosStorage(inner, failure_ratio=0.2, seed=next(_names))
        storage = LayerStorage(ObjectLayer(chaos, CHAOS_CONFIG))
        yield storage
        INJECTED.update(chaos.injected)
        await storage.close()


class TestCompressingLayerOverChaosConformance(StorageConformance):
    """The same, with every write compressed by the layer (reads decode it transparently)."""

    @pytest_asyncio.fixture(loop_scope="function")
    async def store(self) -> AsyncIterator[Storage]:
        inner = open_storage(f"memory://layer-chaos-zstd-{next(_names)}")
        chaos = ChaosStorage(inner, failure_ratio=0.2, seed=next(_names))
        config = CHAOS_CONFIG.merge(
            RepositoryConfig(compression=CompressionConfig(min_size_bytes=1))
        )
        storage = LayerStorage(ObjectLayer(chaos, config), compress=True)
        yield storage
        INJECTED.update(chaos.injected)
        await storage.close()
