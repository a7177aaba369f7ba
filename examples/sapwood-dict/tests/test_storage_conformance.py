"""The dict backend passes sapwood's storage conformance suite."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from sapwood_dict.storage import DictStorage

from sapwood.storage import Storage
from sapwood.testing import StorageConformance


class TestDictStorageConformance(StorageConformance):
    @pytest_asyncio.fixture(loop_scope="function")
    async def store(self) -> AsyncIterator[Storage]:
        storage = DictStorage("conformance")
        yield storage
        await storage.close()
