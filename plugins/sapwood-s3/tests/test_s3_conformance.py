"""The S3 backend passes the whole storage conformance suite against moto's server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from sapwood.storage import Storage
from sapwood.stores import open_storage
from sapwood_s3.settings import MIB
from sapwood_s3.testing import TEST_CREDENTIALS, MotoServer, MotoStorageConformance


class TestS3Conformance(MotoStorageConformance):
    """A whole bucket, default settings: the 64 MiB object goes up in 16 MiB parts."""

    @pytest_asyncio.fixture(loop_scope="function")
    async def store(self, s3_store: Storage) -> AsyncIterator[Storage]:
        yield s3_store


class TestS3UnderPrefixConformance(MotoStorageConformance):
    """A store under a key prefix, beside objects outside it, with the smallest parts S3
    allows so multipart uploads and ranged reads cross several part boundaries."""

    LARGE_OBJECT_SIZE = 12 * MIB + 12_345  # three 5 MiB parts, the last one short

    @pytest_asyncio.fixture(loop_scope="function")
    async def store(self, moto_server: MotoServer, s3_bucket: str) -> AsyncIterator[Storage]:
        raw = moto_server.client()
        raw.put_object(Bucket=s3_bucket, Key="neighbour/outside-the-prefix", Body=b"x")
        raw.put_object(Bucket=s3_bucket, Key="tenant", Body=b"equal to the prefix, no slash")
        config = moto_server.store_config(
            s3_bucket,
            prefix="tenant/data",
            multipart_threshold_bytes=5 * MIB,
            multipart_part_bytes=5 * MIB,
        )
        storage = open_storage(config, TEST_CREDENTIALS)
        yield storage
        await storage.close()
