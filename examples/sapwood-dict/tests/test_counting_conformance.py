"""A wrapper passes the storage conformance suite as the store it wraps does."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sapwood_dict.counting import CountingStorage
from sapwood_dict.storage import DictStorage

from sapwood.storage import Storage
from sapwood.testing import StorageConformance


class TestCountingStorageConformance(StorageConformance):
    LARGE_OBJECT_SIZE = 1024 * 1024  # the wrapped store's own suite covers 64 MiB

    @pytest_asyncio.fixture(loop_scope="function")
    async def store(self) -> AsyncIterator[Storage]:
        storage = CountingStorage(DictStorage("counted"))
        yield storage
        await storage.close()


@pytest.mark.asyncio  # a test of our own: the suites' plugin leaves it alone
async def test_gets_are_counted() -> None:
    storage = CountingStorage(DictStorage("counted"))
    await storage.put("k", b"value")
    await storage.get("k")
    await storage.get_with_meta("k")
    assert storage.gets == 1, "get_with_meta is its own call, forwarded but not counted"
    assert storage.capabilities == storage.inner.capabilities
