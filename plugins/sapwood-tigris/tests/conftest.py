"""Fixtures for the Tigris backend's tests: moto's S3 server stands in for Tigris."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from sapwood.stores import open_storage
from sapwood_s3.testing import TEST_CREDENTIALS, MotoServer, moto_server, s3_bucket
from sapwood_tigris.storage import TigrisStorage

__all__ = ["moto_server", "s3_bucket", "tigris_store"]


@pytest_asyncio.fixture(loop_scope="function")
async def tigris_store(moto_server: MotoServer, s3_bucket: str) -> AsyncIterator[TigrisStorage]:
    """A Tigris store over a fresh moto bucket, with static test credentials."""
    store = open_storage(
        moto_server.store_config(s3_bucket, object_store="tigris"), TEST_CREDENTIALS
    )
    assert isinstance(store, TigrisStorage)
    yield store
    await store.close()
