"""Content-addressed blobs: file contents and chunks, stored under their SHA-256.

Uploads write behind: :meth:`BlobStore.put_behind` returns once the write has started,
with at most ``window`` writes in flight, so a loop of small uploads overlaps its writes
instead of waiting for each. Nothing is lost on the way: a read of a blob still being
written waits for it, a commit waits for the blobs its entries name (and fails if one
could not be stored), and a failed write is also reported by the next upload.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from sapwood.engine.ids import content_id
from sapwood.engine.keys import blob_key
from sapwood.errors import IntegrityError, NotFoundError, StorageError
from sapwood.layer import ObjectLayer

__all__ = ["BlobStore"]


class BlobStore:
    """Writes and verified reads of blobs through the object layer."""

    def __init__(self, layer: ObjectLayer, *, window: int = 32) -> None:
        self.layer = layer
        self.window = max(1, window)
        self._writing: dict[bytes, asyncio.Task[None]] = {}
        self._failed: dict[bytes, BaseException] = {}
        self._unreported: list[tuple[bytes, BaseException]] = []

    # -- writing behind ---------------------------------------------------------------------

    async def put_behind(self, data: bytes, raw_id: bytes) -> None:
        """Start storing ``data`` (whose id is ``raw_id``) and return, waiting only while
        ``window`` writes are in flight; first raises a failure no call reported yet."""
        self.report_failure()
        if raw_id in self._writing:
            return  # the same content is already on its way
        while len(self._writing) >= self.window:
            await asyncio.wait(list(self._writing.values()), return_when=asyncio.FIRST_COMPLETED)
        self._writing[raw_id] = asyncio.get_running_loop().create_task(
            self._write(data, raw_id), name=f"sapwood-blob-{raw_id.hex()[:12]}"
        )

    async def _write(self, data: bytes, raw_id: bytes) -> None:
        try:
            await self.put(data, raw_id)
        except asyncio.CancelledError as cancelled:
            self._record(raw_id, cancelled)
            raise
        except BaseException as error:  # kept for the commit and the next upload to raise
            self._record(raw_id, error)
        else:
            self._failed.pop(raw_id, None)
        finally:
            self._writing.pop(raw_id, None)

    def _record(self, raw_id: bytes, error: BaseException) -> None:
        self._failed[raw_id] = error
        self._unreported.append((raw_id, error))

    def report_failure(self) -> None:
        """Raise (once) a StorageError for a write behind that failed since the last call."""
        if self._unreported:
            raw_id, error = self._unreported.pop(0)
            raise _failure(raw_id, error)

    async def settle(self, ids: Iterable[bytes]) -> None:
        """Wait for the writes behind of ``ids``; a StorageError if one of them failed
        (upload that content again, then commit again)."""
        wanted = set(ids)
        waiting = [task for raw, task in list(self._writing.items()) if raw in wanted]
        if waiting:
            await asyncio.wait([asyncio.shield(task) for task in waiting])
        for raw_id in wanted:
            error = self._failed.get(raw_id)
            if error is not None:
                self._unreported = [item for item in self._unreported if item[0] != raw_id]
                raise _failure(raw_id, error)

    async def quiesce(self) -> None:
        """Wait for every write behind still in flight (their failures stay recorded)."""
        if self._writing:
            await asyncio.wait(list(self._writing.values()))

    async def close(self) -> None:
        """Wait for every write behind still in flight (their failures stay recorded)."""
        await self.quiesce()

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
        writing = self._writing.get(blob_id)
        if writing is not None:
            await asyncio.wait([asyncio.shield(writing)])
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


def _failure(raw_id: bytes, error: BaseException) -> BaseException:
    """What to raise for a failed write behind: an error (or a cancellation) as a
    StorageError naming the blob; anything else (an interrupt) as it was."""
    if not isinstance(error, Exception | asyncio.CancelledError):
        return error
    failure = StorageError(
        f"storing the content of an earlier upload (blob {raw_id.hex()}) failed: {error}; "
        "upload that file again before committing",
        retryable=isinstance(error, StorageError) and error.retryable,
        key=blob_key(raw_id),
    )
    failure.__cause__ = error
    return failure
