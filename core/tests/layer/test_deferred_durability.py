"""The object layer marks its writes of immutable objects as deferrable, and only those."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping

from sapwood.layer import ObjectLayer
from sapwood.storage import (
    ForwardingStorage,
    ObjectMeta,
    PutMode,
    deferred_durability,
    durability_deferred,
)
from sapwood_memory.storage import MemoryStorage, drop_bucket


class Recording(ForwardingStorage):
    """Notes, for each put, whether it was made inside ``deferred_durability``."""

    def __init__(self, inner: MemoryStorage) -> None:
        super().__init__(inner)
        self.deferred: dict[str, bool] = {}

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        # As a backend would see it from a worker thread.
        self.deferred[key] = await asyncio.to_thread(durability_deferred)
        return await super().put(key, data, mode=mode, content_type=content_type, metadata=metadata)


def test_outside_the_block_nothing_is_deferred() -> None:
    assert durability_deferred() is False
    with deferred_durability():
        assert durability_deferred() is True
    assert durability_deferred() is False


async def test_only_immutable_writes_are_deferred() -> None:
    name = f"deferred-{uuid.uuid4().hex[:12]}"
    try:
        store = Recording(MemoryStorage(name))
        layer = ObjectLayer(store)
        await layer.put("blobs/ab/abcd", b"x" * 100, immutable=True)
        await layer.put("refs/branch.main/ref.json", b"{}", mode="create")
        await layer.put("config.json", b"{}")
        assert store.deferred == {
            "blobs/ab/abcd": True,
            "refs/branch.main/ref.json": False,
            "config.json": False,
        }
    finally:
        drop_bucket(name)
