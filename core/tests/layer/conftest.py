"""Fixtures for the object layer tests: a fresh memory store per test, real local folders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from itertools import count

import pytest_asyncio

from sapwood.layer import ChaosStorage
from sapwood.storage import Storage
from sapwood.stores import open_storage

_names = count()


@pytest_asyncio.fixture(loop_scope="function")
async def memory() -> AsyncIterator[Storage]:
    """A fresh, empty memory store."""
    store = open_storage(f"memory://layer-test-{next(_names)}")
    yield store
    await store.close()


@pytest_asyncio.fixture(loop_scope="function")
async def counted(memory: Storage) -> ChaosStorage:
    """The memory store wrapped to count requests (no failures injected)."""
    return ChaosStorage(memory, failure_ratio=0.0)
