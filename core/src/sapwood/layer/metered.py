"""The metrics wrapper: times each call and records what it moved (see :data:`METRIC_NAMES`).

It sits at the top of a stack and opens a :class:`~sapwood.layer.recording.CallRecord`
the wrappers below fill in. The layer leaves it out entirely when the backend is
:class:`~sapwood.layer.metrics.NoopMetrics`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping

from sapwood.extensions import MetricsBackend
from sapwood.layer.recording import CallRecord
from sapwood.storage import ByteRange, ForwardingStorage, ListEntry, ObjectMeta, PutMode, Storage

__all__ = ["MeteredStorage"]


class MeteredStorage(ForwardingStorage):
    """Records latency, outcome, bytes, stored bytes and retries of each call to ``backend``."""

    def __init__(
        self,
        inner: Storage,
        backend: MetricsBackend,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(inner)
        self.backend = backend
        self.tags = dict(tags or {})

    def _finish(
        self, record: CallRecord, start: float, error: BaseException | None, size: int | None
    ) -> None:
        backend, tags = self.backend, record.tags
        prefix = f"storage.{record.operation}"
        elapsed_ms = (time.perf_counter() - start) * 1000.0
        failed = error is not None and not isinstance(error, GeneratorExit)
        outcome = "error" if failed else "ok"
        backend.record(f"{prefix}.latency_ms", elapsed_ms, {**tags, "outcome": outcome})
        if failed:
            assert error is not None
            backend.record(f"{prefix}.errors", 1, {**tags, "error": type(error).__name__})
        if record.retries:
            backend.record(f"{prefix}.retries", record.retries, tags)
        if size is not None and not failed:
            backend.record(f"{prefix}.bytes", size, tags)
            stored = size if record.stored_bytes is None else record.stored_bytes
            backend.record(f"{prefix}.stored_bytes", stored, tags)

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        """The wrapped get, measured."""
        record = CallRecord(self.backend, "get", self.tags)
        token = record.open()
        start = time.perf_counter()
        try:
            data = await self.inner.get(key, byte_range)
        except BaseException as exc:
            self._finish(record, start, exc, None)
            raise
        finally:
            CallRecord.close(token)
        self._finish(record, start, None, len(data))
        return data

    async def get_with_meta(
        self, key: str, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        """The wrapped get_with_meta, measured."""
        record = CallRecord(self.backend, "get_with_meta", self.tags)
        token = record.open()
        start = time.perf_counter()
        try:
            data, meta = await self.inner.get_with_meta(key, byte_range)
        except BaseException as exc:
            self._finish(record, start, exc, None)
            raise
        finally:
            CallRecord.close(token)
        self._finish(record, start, None, len(data))
        return data, meta

    async def head(self, key: str) -> ObjectMeta:
        """The wrapped head, measured."""
        record = CallRecord(self.backend, "head", self.tags)
        token = record.open()
        start = time.perf_counter()
        try:
            meta = await self.inner.head(key)
        except BaseException as exc:
            self._finish(record, start, exc, None)
            raise
        finally:
            CallRecord.close(token)
        self._finish(record, start, None, None)
        return meta

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        """The wrapped put, measured."""
        record = CallRecord(self.backend, "put", self.tags)
        token = record.open()
        start = time.perf_counter()
        try:
            meta = await self.inner.put(
                key, data, mode=mode, content_type=content_type, metadata=metadata
            )
        except BaseException as exc:
            self._finish(record, start, exc, None)
            raise
        finally:
            CallRecord.close(token)
        self._finish(record, start, None, len(data))
        return meta

    async def delete(self, key: str) -> None:
        """The wrapped delete, measured."""
        await self._measure("delete", self.inner.delete(key))

    async def delete_many(self, keys: Iterable[str]) -> None:
        """The wrapped delete_many, measured."""
        await self._measure("delete_many", self.inner.delete_many(keys))

    async def _measure(self, operation: str, call: Awaitable[None]) -> None:
        record = CallRecord(self.backend, operation, self.tags)
        token = record.open()
        start = time.perf_counter()
        try:
            await call
        except BaseException as exc:
            self._finish(record, start, exc, None)
            raise
        finally:
            CallRecord.close(token)
        self._finish(record, start, None, None)

    async def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        """The wrapped listing, measured from first request to last entry."""
        record = CallRecord(self.backend, "list", self.tags)
        start = time.perf_counter()
        error: BaseException | None = None
        source = self.inner.list(prefix, delimiter, start_after)
        try:
            while True:
                token = record.open()
                try:
                    entry = await anext(source)
                except StopAsyncIteration:
                    return
                finally:
                    CallRecord.close(token)
                yield entry
        except BaseException as exc:
            error = exc
            raise
        finally:
            closer = getattr(source, "aclose", None)
            if closer is not None:
                await closer()
            self._finish(record, start, error, None)
