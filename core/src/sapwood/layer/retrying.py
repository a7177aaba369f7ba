"""The retry wrapper: retryable failures are tried again with backoff and full jitter.

Only a :class:`~sapwood.errors.StorageError` with ``retryable`` set is retried (the
attempt timeout below turns a hung request into one). A listing that fails part way is
resumed after the last entry it yielded, so no entry is lost or repeated. A conditional
write whose retry loses its condition is checked with
:func:`~sapwood.layer.landed.landed_earlier`: its earlier attempt may have landed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import TypeVar

from sapwood.errors import PreconditionFailedError, StorageError
from sapwood.layer.landed import landed_earlier, with_write_id, without_write_id
from sapwood.layer.retries import Retrier
from sapwood.storage import (
    ByteRange,
    CommonPrefix,
    ForwardingStorage,
    ListEntry,
    ObjectMeta,
    PutMode,
    Storage,
)

__all__ = ["RetryingStorage"]

T = TypeVar("T")


class RetryingStorage(ForwardingStorage):
    """Calls to ``inner`` retried as ``retrier``'s policy says."""

    def __init__(self, inner: Storage, retrier: Retrier) -> None:
        super().__init__(inner)
        self.retrier = retrier

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        """The result of ``call()``, tried again while it fails retryably."""
        return await self.retrier.call(call)

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        """The wrapped get, retried."""
        return await self._call(lambda: self.inner.get(key, byte_range))

    async def get_with_meta(
        self, key: str, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        """The wrapped get_with_meta, retried."""
        data, meta = await self._call(lambda: self.inner.get_with_meta(key, byte_range))
        return data, without_write_id(meta)

    async def head(self, key: str) -> ObjectMeta:
        """The wrapped head, retried."""
        return without_write_id(await self._call(lambda: self.inner.head(key)))

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        """The wrapped put, retried; a conditional one carries a write id so that a retry
        losing its condition can tell whether an earlier attempt landed."""
        stamped = with_write_id(metadata, mode)
        retries = 0

        async def attempt() -> ObjectMeta:
            nonlocal retries
            try:
                return await self.inner.put(
                    key, data, mode=mode, content_type=content_type, metadata=stamped
                )
            except StorageError as exc:
                if exc.retryable:
                    retries += 1
                raise

        try:
            return without_write_id(await self._call(attempt))
        except PreconditionFailedError as failure:
            if retries == 0 or mode == "overwrite" or stamped is None:
                raise
            lost, written, inner = failure, stamped, self.inner
        found = await self._call(lambda: landed_earlier(inner, key, data, written, lost))
        return without_write_id(found)

    async def delete(self, key: str) -> None:
        """The wrapped delete, retried (deleting is idempotent)."""
        await self._call(lambda: self.inner.delete(key))

    async def delete_many(self, keys: Iterable[str]) -> None:
        """The wrapped delete_many; a retry re-sends the whole batch."""
        batch = list(keys)
        await self._call(lambda: self.inner.delete_many(batch))

    async def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        """The wrapped listing, resumed after the last yielded entry when it fails."""
        last_key = start_after
        last_prefix: str | None = None
        failures = 0
        while True:
            resume = max(filter(None, (last_key, last_prefix)), default=None)
            source = self.inner.list(prefix, delimiter, resume)
            try:
                async for entry in source:
                    if isinstance(entry, CommonPrefix):
                        if entry.path == last_prefix:
                            continue
                        last_prefix = entry.path
                    else:
                        if last_key is not None and entry.key <= last_key:
                            continue
                        last_key = entry.key
                        entry = without_write_id(entry)
                    failures = 0
                    yield entry
                return
            except StorageError as exc:
                failures += 1
                if not await self.retrier.pause_before_retry(exc, failures, what="a listing"):
                    raise
            finally:
                closer = getattr(source, "aclose", None)
                if closer is not None:
                    await closer()
