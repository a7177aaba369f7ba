"""The Tigris backend passes the whole storage conformance suite (moto as the server)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from sapwood.storage import Storage
from sapwood.stores import open_storage
from sapwood_s3.settings import MIB
from sapwood_s3.testing import TEST_CREDENTIALS, MotoServer, MotoStorageConformance


class TestTigrisConformance(MotoStorageConformance):
    """Under a prefix, every request carrying ``X-Tigris-Consistent`` (``consistency=all``),
    with 5 MiB parts so the large object crosses part boundaries."""

    LARGE_OBJECT_SIZE = 16 * MIB + 1  # four parts; the S3 suite covers 64 MiB already

    @pytest_asyncio.fixture(loop_scope="function")
    async def store(self, moto_server: MotoServer, s3_bucket: str) -> AsyncIterator[Storage]:
        config = moto_server.store_config(
            s3_bucket,
            object_store="tigris",
            prefix="repo",
            consistency="all",
            multipart_threshold_bytes=5 * MIB,
            multipart_part_bytes=5 * MIB,
        )
        storage = open_storage(config, TEST_CREDENTIALS)
        yield storage
        await storage.close()
