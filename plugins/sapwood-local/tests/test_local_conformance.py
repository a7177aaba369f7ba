"""The local backend passes the whole storage conformance suite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from sapwood.storage import Storage
from sapwood.stores import open_storage
from sapwood.testing import StorageConformance
from sapwood_local import LocalStorage


class TestLocalConformance(StorageConformance):
    """A local store with fsync on (the default)."""

    @pytest_asyncio.fixture(loop_scope="function")
    async def store(self, local_store: LocalStorage) -> AsyncIterator[Storage]:
        yield local_store


class TestLocalWithoutFsyncConformance(StorageConformance):
    """A local store opened by URL with fsync off."""

    LARGE_OBJECT_SIZE = 1024 * 1024  # the fsync class covers 64 MiB already

    @pytest_asyncio.fixture(loop_scope="function")
    async def store(self, tmp_path: Path) -> AsyncIterator[Storage]:
        storage = open_storage(f"file://{tmp_path}/store?fsync=false")
        yield storage
        await storage.close()
