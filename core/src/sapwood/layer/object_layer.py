"""The :class:`ObjectLayer` facade the engine talks to (pass-through until it is filled in)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping

from sapwood.config import RepositoryConfig
from sapwood.storage import ByteRange, Capabilities, ListEntry, ObjectMeta, PutMode, Storage

__all__ = ["ObjectLayer"]


class ObjectLayer:
    """One storage, wrapped with the object layer's services.

    ``immutable=True`` on a read or write says the key's content never changes once written
    (blobs, manifests, snapshots), which makes it safe to cache; refs are read without it.
    """

    def __init__(self, storage: Storage, config: RepositoryConfig | None = None) -> None:
        self.storage = storage
        self.config = (config or RepositoryConfig()).resolved()

    @property
    def capabilities(self) -> Capabilities:
        """What the wrapped storage supports."""
        return self.storage.capabilities

    async def get(
        self, key: str, byte_range: ByteRange | None = None, *, immutable: bool = False
    ) -> bytes:
        """The object's bytes (or a range of them)."""
        return await self.storage.get(key, byte_range)

    async def get_with_meta(self, key: str) -> tuple[bytes, ObjectMeta]:
        """Bytes and metadata of one version; never cached (used for mutable refs)."""
        return await self.storage.get_with_meta(key)

    async def head(self, key: str) -> ObjectMeta:
        """The object's metadata."""
        return await self.storage.head(key)

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        immutable: bool = False,
    ) -> ObjectMeta:
        """Store ``data``."""
        return await self.storage.put(
            key, data, mode=mode, content_type=content_type, metadata=metadata
        )

    async def delete(self, key: str) -> None:
        """Remove one object."""
        await self.storage.delete(key)

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Remove many objects."""
        await self.storage.delete_many(keys)

    def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        """List keys under ``prefix``."""
        return self.storage.list(prefix, delimiter, start_after)

    async def close(self) -> None:
        """Close the wrapped storage."""
        await self.storage.close()
