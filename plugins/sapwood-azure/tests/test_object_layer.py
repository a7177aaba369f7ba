"""The Azure store under sapwood's object layer: compression, reserved metadata, retries."""

from __future__ import annotations

from sapwood.config import RepositoryConfig
from sapwood.layer.object_layer import ObjectLayer
from sapwood.storage import ByteRange
from sapwood_azure.storage import AzureStorage


async def test_object_layer_round_trips_through_azure(store: AzureStorage) -> None:
    layer = ObjectLayer(store, RepositoryConfig())
    payload = b"compressible " * 10_000
    written = await layer.put(
        "blobs/one", payload, immutable=True, metadata={"run-id": "7", "owner": "ada"}
    )
    assert written.etag
    assert await layer.get("blobs/one", immutable=True) == payload
    assert await layer.get("blobs/one", ByteRange(13, 26), immutable=True) == payload[13:26]
    meta = await layer.head("blobs/one")
    assert meta.metadata == {"run-id": "7", "owner": "ada"}
    stored = await store.head("blobs/one")
    assert stored.size < len(payload), "the object layer compressed what Azure stores"
    assert any(key.startswith("sapwood-") for key in stored.metadata)
    keys = [entry.key async for entry in layer.list("blobs/") if hasattr(entry, "key")]
    assert keys == ["blobs/one"]
