""":class:`LayerStorage`: an :class:`ObjectLayer` seen as a plain Storage.

Code written against the storage contract (the conformance suite, a third-party tool) can
then run through the layer's retries, limits, cache and compression unchanged. Whether
its writes and reads count as immutable (cached, compressed), and whether its writes are
compressed, is fixed per adapter.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping

from sapwood.layer.object_layer import ObjectLayer
from sapwood.storage import (
    BaseStorage,
    ByteRange,
    Capabilities,
    ListEntry,
    ObjectMeta,
    PutMode,
    reads_meta_in_one_request,
)

__all__ = ["LayerStorage"]


class LayerStorage(BaseStorage):
    """The storage contract, served through ``layer``."""

    def __init__(
        self, layer: ObjectLayer, *, immutable: bool = False, compress: bool | None = None
    ) -> None:
        self.layer = layer
        self.immutable = immutable
        self.compress = compress

    def __repr__(self) -> str:
        return f"LayerStorage({self.layer!r}, immutable={self.immutable})"

    @property
    def capabilities(self) -> Capabilities:  # type: ignore[override]
        """The wrapped store's capabilities."""
        return self.layer.capabilities

    @property
    def get_with_meta_is_native(self) -> bool:
        """Whether the layer's store reads bytes and metadata in one request."""
        return reads_meta_in_one_request(self.layer.storage)

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        """Read through the layer."""
        return await self.layer.get(key, byte_range, immutable=self.immutable)

    async def head(self, key: str) -> ObjectMeta:
        """Metadata through the layer."""
        return await self.layer.head(key)

    async def get_with_meta(
        self, key: str, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        """Bytes and metadata of one version, through the layer."""
        return await self.layer.get_with_meta(key, byte_range=byte_range)

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        """Write through the layer."""
        return await self.layer.put(
            key,
            data,
            mode=mode,
            content_type=content_type,
            metadata=metadata,
            immutable=self.immutable,
            compress=self.compress,
        )

    async def delete(self, key: str) -> None:
        """Delete through the layer."""
        await self.layer.delete(key)

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Delete a batch through the layer."""
        await self.layer.delete_many(keys)

    def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        """List through the layer."""
        return self.layer.list(prefix, delimiter, start_after)

    async def presign_get(self, key: str, expires_in_seconds: int = 3600) -> str:
        """The wrapped store's presigned URL."""
        return await self.layer.storage.presign_get(key, expires_in_seconds)

    async def close(self) -> None:
        """Close the layer and its store."""
        await self.layer.close()
