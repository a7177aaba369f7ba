"""Fixtures for the S3 backend's tests: one moto server per session, a bucket per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from sapwood.storage import Storage
from sapwood.stores import open_storage
from sapwood_s3.testing import (
    TEST_CREDENTIALS,
    CheckingMotoServer,
    MotoServer,
    moto_server,
    s3_bucket,
    start_checking_moto_server,
)

__all__ = ["checking_server", "moto_server", "s3_bucket", "s3_store"]


@pytest_asyncio.fixture(loop_scope="function")
async def s3_store(moto_server: MotoServer, s3_bucket: str) -> AsyncIterator[Storage]:
    """An S3 store over a fresh bucket, with static test credentials."""
    store = open_storage(moto_server.store_config(s3_bucket), TEST_CREDENTIALS)
    yield store
    await store.close()


@pytest.fixture(scope="session")
def checking_server() -> Iterator[CheckingMotoServer]:
    """A second moto server, in its own process, that checks credentials and permissions."""
    server = start_checking_moto_server()
    yield server
    server.server.stop()
