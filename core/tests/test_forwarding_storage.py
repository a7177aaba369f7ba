"""A ForwardingStorage over a real memory store keeps the whole storage contract."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest_asyncio

from sapwood.storage import Capabilities, ForwardingStorage, Storage
from sapwood.testing import StorageConformance
from sapwood_memory import MemoryStorage, drop_bucket


class TestForwardingStorageConformance(StorageConformance):
    """A bare ForwardingStorage around a fresh memory store."""

    LARGE_OBJECT_SIZE = 1024 * 1024  # the memory backend's own suite covers 64 MiB

    @pytest_asyncio.fixture(loop_scope="function")
    async def store(self) -> AsyncIterator[Storage]:
        name = f"forwarding-{uuid.uuid4().hex}"
        storage = ForwardingStorage(MemoryStorage(name))
        yield storage
        await storage.close()
        drop_bucket(name)


def test_capabilities_are_the_inner_stores_until_assigned() -> None:
    name = f"forwarding-{uuid.uuid4().hex}"
    inner = MemoryStorage(name)
    wrapper = ForwardingStorage(inner)
    assert wrapper.capabilities == inner.capabilities
    masked = Capabilities(conditional_create=False, conditional_update=False)
    wrapper.capabilities = masked
    assert wrapper.capabilities == masked
    assert inner.capabilities != masked
    drop_bucket(name)
