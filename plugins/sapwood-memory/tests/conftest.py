"""Fixtures for the memory backend's tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest_asyncio

from sapwood_memory import MemoryStorage, drop_bucket


@pytest_asyncio.fixture(loop_scope="function")
async def memory_store() -> AsyncIterator[MemoryStorage]:
    """A fresh, empty memory store with a unique name, dropped afterwards."""
    name = f"test-{uuid.uuid4().hex}"
    store = MemoryStorage(name)
    yield store
    await store.close()
    drop_bucket(name)
