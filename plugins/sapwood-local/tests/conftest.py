"""Fixtures for the local backend's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from sapwood_local import LocalStorage


@pytest_asyncio.fixture(loop_scope="function")
async def local_store(tmp_path: Path) -> AsyncIterator[LocalStorage]:
    """A fresh local store in a folder that does not exist yet (its parent does)."""
    store = LocalStorage(str(tmp_path / "store"))
    yield store
    await store.close()
