"""zarr-python's own store conformance suite, unmodified, against SapwoodStore: once over
a sync Session on a local folder, once over an AsyncSession in memory."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from zarr.core.buffer import Buffer, cpu
from zarr.testing.store import StoreTests

import sapwood
from sapwood.aio import AsyncRepository, AsyncSession
from sapwood.errors import ObjectNotFoundError
from sapwood.zarr import SapwoodStore
from sapwood_memory.storage import drop_bucket


class TestSapwoodStoreSyncSession(StoreTests[SapwoodStore, cpu.Buffer]):
    """A sync Session: every call crosses from Zarr's loop (or the test's) to sapwood's."""

    store_cls = SapwoodStore
    buffer_cls = cpu.Buffer

    async def set(self, store: SapwoodStore, key: str, value: Buffer) -> None:
        session = store.session
        assert isinstance(session, sapwood.Session)
        session.upload(value.to_bytes(), key)

    async def get(self, store: SapwoodStore, key: str) -> Buffer:
        session = store.session
        assert isinstance(session, sapwood.Session)
        return self.buffer_cls.from_bytes(session.download(key))

    @pytest.fixture
    def store_kwargs(self, tmp_path: Path) -> dict[str, Any]:
        repo = sapwood.Repository.create(str(tmp_path / "repo"))
        return {"session": repo.writable_session("main"), "read_only": False}

    def test_store_repr(self, store: SapwoodStore) -> None:
        assert repr(store) == f"SapwoodStore({store.session!r}, read_only=False)"
        assert repr(store).startswith("SapwoodStore(Session(branch='main', ")

    def test_store_supports_writes(self, store: SapwoodStore) -> None:
        assert store.supports_writes

    def test_store_supports_listing(self, store: SapwoodStore) -> None:
        assert store.supports_listing


class TestSapwoodStoreAsyncSession(StoreTests[SapwoodStore, cpu.Buffer]):
    """An AsyncSession opened in the test's own event loop: async calls run in place;
    the blocking ones (Zarr's sync API, ``get_sync``...) reach that loop while it idles."""

    store_cls = SapwoodStore
    buffer_cls = cpu.Buffer

    async def set(self, store: SapwoodStore, key: str, value: Buffer) -> None:
        session = store.session
        assert isinstance(session, AsyncSession)
        await store._home.run(session.upload(value.to_bytes(), key))

    async def get(self, store: SapwoodStore, key: str) -> Buffer:
        session = store.session
        assert isinstance(session, AsyncSession)
        try:
            data = await store._home.run(session.download(key))
        except ObjectNotFoundError:
            pytest.fail(f"{key} was not written")
        return self.buffer_cls.from_bytes(data)

    @pytest.fixture
    async def store_kwargs(self) -> AsyncIterator[dict[str, Any]]:
        name = f"zarr-suite-{uuid.uuid4().hex[:12]}"
        repo = await AsyncRepository.create(f"memory://{name}")
        yield {"session": await repo.writable_session("main"), "read_only": False}
        drop_bucket(name)

    def test_store_repr(self, store: SapwoodStore) -> None:
        assert repr(store) == f"SapwoodStore({store.session!r}, read_only=False)"
        assert repr(store).startswith("SapwoodStore(AsyncSession(branch='main', ")

    def test_store_supports_writes(self, store: SapwoodStore) -> None:
        assert store.supports_writes

    def test_store_supports_listing(self, store: SapwoodStore) -> None:
        assert store.supports_listing
