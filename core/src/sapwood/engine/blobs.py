"""Content-addressed blobs: file contents and chunks, stored under their SHA-256."""

from __future__ import annotations

from sapwood.engine.ids import content_id
from sapwood.engine.keys import blob_key
from sapwood.errors import IntegrityError, NotFoundError
from sapwood.layer import ObjectLayer

__all__ = ["BlobStore"]


class BlobStore:
    """Writes and verified reads of blobs through the object layer."""

    def __init__(self, layer: ObjectLayer) -> None:
        self.layer = layer

    async def put(self, data: bytes, raw_id: bytes | None = None) -> bytes:
        """Store ``data`` and return its id.

        The blob is written even if it may exist already: rewriting identical bytes is
        harmless and refreshes its age, so garbage collection's grace period protects a blob
        that an unfinished commit is about to reference.
        """
        blob_id = raw_id if raw_id is not None else content_id(data)
        # Not cached on write: file data streamed in would push out manifests and
        # snapshots, and keep up to the cache's bound of it in memory while a large file
        # is written. Reads fill the cache instead (see get()).
        await self.layer.put(
            blob_key(blob_id),
            data,
            immutable=True,
            cache=False,
        )
        return blob_id

    async def get(self, blob_id: bytes, *, cache: bool = True) -> bytes:
        """The blob's bytes, verified against its id (IntegrityError if they differ or the
        blob is missing).

        Blobs are immutable, so the layer's cache serves repeated reads (its
        ``max_object_bytes`` keeps any single large blob out). ``cache=False`` reads past
        the cache without filling it: the chunks of a large file, read once, would only
        push out manifests and snapshots."""
        key = blob_key(blob_id)
        try:
            data = await self.layer.get(key, immutable=True, cache=cache)
        except NotFoundError:
            raise IntegrityError(
                f"blob {blob_id.hex()} is missing from the store although a manifest refers "
                "to it; it was deleted outside sapwood or by garbage_collect with a grace "
                "period shorter than a commit in flight"
            ) from None
        actual = content_id(data)
        if actual != blob_id:
            await self.layer.cache.delete(key)  # a repaired blob must be read anew
            raise IntegrityError(
                f"blob {key} is damaged: its content hashes to {actual.hex()}, not to its "
                "name; restore it from a backup or re-upload the file"
            )
        return data
