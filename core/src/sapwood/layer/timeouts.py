"""The attempt-timeout wrapper: a request that takes too long becomes a retryable error.

It sits directly over the store, below the limiter, so only the request itself is timed;
the retry wrapper above then abandons the hung attempt and tries again. With no timeout
configured the layer leaves this wrapper out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping

from sapwood.layer.retries import attempt_with_timeout
from sapwood.storage import ByteRange, ForwardingStorage, ListEntry, ObjectMeta, PutMode, Storage

__all__ = ["TimedStorage"]


class TimedStorage(ForwardingStorage):
    """Every request to ``inner`` (and every listing step) gets ``timeout_seconds``."""

    def __init__(self, inner: Storage, timeout_seconds: float) -> None:
        if timeout_seconds <= 0:
            raise ValueError(f"an attempt timeout must be positive, got {timeout_seconds}")
        super().__init__(inner)
        self.timeout_seconds = timeout_seconds

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        """A timed get."""
        return await attempt_with_timeout(
            lambda: self.inner.get(key, byte_range), self.timeout_seconds
        )

    async def get_with_meta(
        self, key: str, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        """A timed get_with_meta."""
        return await attempt_with_timeout(
            lambda: self.inner.get_with_meta(key, byte_range), self.timeout_seconds
        )

    async def head(self, key: str) -> ObjectMeta:
        """A timed head."""
        return await attempt_with_timeout(lambda: self.inner.head(key), self.timeout_seconds)

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        """A timed put."""
        return await attempt_with_timeout(
            lambda: self.inner.put(
                key, data, mode=mode, content_type=content_type, metadata=metadata
            ),
            self.timeout_seconds,
        )

    async def delete(self, key: str) -> None:
        """A timed delete."""
        await attempt_with_timeout(lambda: self.inner.delete(key), self.timeout_seconds)

    async def delete_many(self, keys: Iterable[str]) -> None:
        """A timed batch delete."""
        batch = list(keys)
        await attempt_with_timeout(lambda: self.inner.delete_many(batch), self.timeout_seconds)

    async def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        """A listing whose every step is timed."""
        source = self.inner.list(prefix, delimiter, start_after)
        try:
            while True:
                try:
                    entry = await attempt_with_timeout(source.__anext__, self.timeout_seconds)
                except StopAsyncIteration:
                    return
                yield entry
        finally:
            closer = getattr(source, "aclose", None)
            if closer is not None:
                await closer()
