"""A chaos wrapper for any Storage: injected retryable failures and latency, seeded.

Use it in tests, yours or sapwood's, to check that code built on the object layer survives
a flaky backend::

    flaky = ChaosStorage(open_storage("memory://test"), failure_ratio=0.2, seed=7)
    layer = ObjectLayer(flaky)

Failures are :class:`~sapwood.errors.StorageError` with ``retryable=True``. For
unconditional writes (overwrite puts, deletes) a share of them (``after_write_ratio``)
strike after the write took effect, like a response lost on the way back; a failed
``delete_many`` may have deleted part of its batch. Conditional writes (``create``,
``Update``) get such lost responses only at ``after_conditional_write_ratio`` (default 0):
once another writer has written since, no client can tell whether a conditional write
whose answer was lost took effect, so exactly-once compare-and-swap cannot hold under it
(the object layer resolves the case where nobody wrote in between). Listings fail at the
start or between pages of ``list_page_size`` entries. ``calls`` counts the requests that
reached the wrapped store, ``injected`` the failures, by operation.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator, Collection, Iterable, Mapping

from sapwood.errors import StorageError
from sapwood.storage import (
    ByteRange,
    ForwardingStorage,
    ListEntry,
    ObjectMeta,
    PutMode,
    Storage,
)

__all__ = ["ChaosStorage"]

_OPERATIONS = frozenset(
    {"get", "get_with_meta", "head", "put", "delete", "delete_many", "list", "presign_get"}
)


class ChaosStorage(ForwardingStorage):
    """Wraps ``inner`` and makes ``failure_ratio`` of its requests fail (retryably) and
    ``latency_ratio`` of them wait ``latency_seconds`` (a ``(low, high)`` range) first."""

    def __init__(
        self,
        inner: Storage,
        *,
        failure_ratio: float = 0.2,
        latency_ratio: float = 0.0,
        latency_seconds: tuple[float, float] = (0.0, 0.01),
        after_write_ratio: float = 0.5,
        after_conditional_write_ratio: float = 0.0,
        list_page_size: int = 100,
        operations: Collection[str] | None = None,
        seed: int | None = 0,
    ) -> None:
        for name, ratio in (
            ("failure_ratio", failure_ratio),
            ("latency_ratio", latency_ratio),
            ("after_write_ratio", after_write_ratio),
            ("after_conditional_write_ratio", after_conditional_write_ratio),
        ):
            if not 0.0 <= ratio <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {ratio}")
        unknown = set(operations or ()) - _OPERATIONS
        if unknown:
            raise ValueError(
                f"unknown operations {sorted(unknown)}; choose from {sorted(_OPERATIONS)}"
            )
        super().__init__(inner)
        self.failure_ratio = failure_ratio
        self.latency_ratio = latency_ratio
        self.latency_seconds = latency_seconds
        self.after_write_ratio = after_write_ratio
        self.after_conditional_write_ratio = after_conditional_write_ratio
        self.list_page_size = max(1, list_page_size)
        self.operations = frozenset(operations) if operations is not None else _OPERATIONS
        self.rng = random.Random(seed)
        self.calls: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        self.enabled = True

    def __repr__(self) -> str:
        return f"ChaosStorage({self.inner!r}, failure_ratio={self.failure_ratio})"

    def _fails(self, operation: str) -> bool:
        return (
            self.enabled
            and operation in self.operations
            and self.failure_ratio > 0
            and self.rng.random() < self.failure_ratio
        )

    def _failure(self, operation: str, key: str | None, when: str) -> StorageError:
        self.injected[operation] += 1
        where = f" of {key!r}" if key is not None else ""
        return StorageError(f"chaos: injected failure {when} {operation}{where}", retryable=True)

    async def _before(self, operation: str, key: str | None) -> None:
        if self.enabled and self.latency_ratio > 0 and self.rng.random() < self.latency_ratio:
            await asyncio.sleep(self.rng.uniform(*self.latency_seconds))
        if self._fails(operation):
            raise self._failure(operation, key, "before")
        self.calls[operation] += 1

    def _lost_response(self, operation: str, conditional: bool = False) -> bool:
        ratio = self.after_conditional_write_ratio if conditional else self.after_write_ratio
        return ratio > 0 and self._fails(operation) and self.rng.random() < ratio

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        """The wrapped get, perhaps delayed or failed."""
        await self._before("get", key)
        return await self.inner.get(key, byte_range)

    async def head(self, key: str) -> ObjectMeta:
        """The wrapped head, perhaps delayed or failed."""
        await self._before("head", key)
        return await self.inner.head(key)

    async def get_with_meta(
        self, key: str, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        """The wrapped get_with_meta, perhaps delayed or failed."""
        await self._before("get_with_meta", key)
        return await self.inner.get_with_meta(key, byte_range)

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        """The wrapped put; a failure may come before it or after it took effect."""
        await self._before("put", key)
        meta = await self.inner.put(
            key, data, mode=mode, content_type=content_type, metadata=metadata
        )
        if self._lost_response("put", conditional=mode != "overwrite"):
            raise self._failure("put", key, "after")
        return meta

    async def delete(self, key: str) -> None:
        """The wrapped delete; a failure may come before it or after it took effect."""
        await self._before("delete", key)
        await self.inner.delete(key)
        if self._lost_response("delete"):
            raise self._failure("delete", key, "after")

    async def delete_many(self, keys: Iterable[str]) -> None:
        """The wrapped delete_many; a failure after it may have deleted only part."""
        batch = list(keys)
        await self._before("delete_many", None)
        if self._lost_response("delete_many"):
            await self.inner.delete_many(batch[: len(batch) // 2])
            raise self._failure("delete_many", None, "midway through")
        await self.inner.delete_many(batch)

    async def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        """The wrapped listing, failing at its start or between pages."""
        await self._before("list", prefix)
        count = 0
        async for entry in self.inner.list(prefix, delimiter, start_after):
            count += 1
            if count % self.list_page_size == 0 and self._fails("list"):
                raise self._failure("list", prefix, "between pages of")
            yield entry

    async def presign_get(self, key: str, expires_in_seconds: int = 3600) -> str:
        """The wrapped presign_get, perhaps failed."""
        await self._before("presign_get", key)
        return await self.inner.presign_get(key, expires_in_seconds)
