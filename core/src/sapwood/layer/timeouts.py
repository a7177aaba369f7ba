"""The attempt-timeout wrapper: a request that takes too long becomes a retryable error.

It sits directly over the store, below the limiter, so only the request itself is timed;
the retry wrapper above then abandons the hung attempt and tries again. With no timeout
configured the layer leaves this wrapper out.

All requests in flight share one timer per wrapper (a watchdog armed for the earliest
deadline) instead of each arming and disarming its own: a request that finishes in time,
which is nearly every request, costs a dictionary entry, not a timer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import TypeVar

from sapwood.errors import StorageError
from sapwood.storage import ByteRange, ForwardingStorage, ListEntry, ObjectMeta, PutMode, Storage

__all__ = ["TimedStorage"]

T = TypeVar("T")


class TimedStorage(ForwardingStorage):
    """Every request to ``inner`` (and every listing step) gets ``timeout_seconds``."""

    def __init__(self, inner: Storage, timeout_seconds: float) -> None:
        if timeout_seconds <= 0:
            raise ValueError(f"an attempt timeout must be positive, got {timeout_seconds}")
        super().__init__(inner)
        self.timeout_seconds = timeout_seconds
        self._deadlines: dict[asyncio.Task[object], float] = {}
        self._expired: set[asyncio.Task[object]] = set()
        self._watchdog: asyncio.TimerHandle | None = None
        self._watchdog_loop: asyncio.AbstractEventLoop | None = None

    async def _timed(self, call: Callable[[], Awaitable[T]]) -> T:
        task = asyncio.current_task()
        if task is None:  # not in a task (a bare coroutine driven by hand): no watchdog
            return await call()
        loop = task.get_loop()
        deadline = loop.time() + self.timeout_seconds
        self._deadlines[task] = deadline
        if self._watchdog is None or self._watchdog_loop is not loop:
            self._arm(loop, deadline)
        try:
            return await call()
        except asyncio.CancelledError:
            if task in self._expired:
                self._expired.discard(task)
                task.uncancel()
                raise StorageError(
                    f"storage request timed out after {self.timeout_seconds * 1000:.0f} ms; "
                    "raise timeouts.attempt_timeout_ms if the backend is slow but healthy",
                    retryable=True,
                ) from None
            raise
        finally:
            self._deadlines.pop(task, None)
            if task in self._expired:  # expired as it finished: withdraw the cancellation
                self._expired.discard(task)
                task.uncancel()

    def _arm(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        self._watchdog = loop.call_at(when, self._check)
        self._watchdog_loop = loop

    def _check(self) -> None:
        self._watchdog = None
        loop = self._watchdog_loop
        assert loop is not None
        now = loop.time()
        for task, deadline in list(self._deadlines.items()):
            if deadline <= now:
                del self._deadlines[task]
                if not task.done() and task.get_loop() is loop:
                    self._expired.add(task)
                    task.cancel()
        if self._deadlines:
            self._arm(loop, min(self._deadlines.values()))

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        """A timed get."""
        return await self._timed(lambda: self.inner.get(key, byte_range))

    async def get_with_meta(
        self, key: str, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        """A timed get_with_meta."""
        return await self._timed(lambda: self.inner.get_with_meta(key, byte_range))

    async def head(self, key: str) -> ObjectMeta:
        """A timed head."""
        return await self._timed(lambda: self.inner.head(key))

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
        return await self._timed(
            lambda: self.inner.put(
                key, data, mode=mode, content_type=content_type, metadata=metadata
            )
        )

    async def delete(self, key: str) -> None:
        """A timed delete."""
        await self._timed(lambda: self.inner.delete(key))

    async def delete_many(self, keys: Iterable[str]) -> None:
        """A timed batch delete."""
        batch = list(keys)
        await self._timed(lambda: self.inner.delete_many(batch))

    async def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        """A listing whose every step is timed."""
        source = self.inner.list(prefix, delimiter, start_after)
        try:
            while True:
                try:
                    entry = await self._timed(source.__anext__)
                except StopAsyncIteration:
                    return
                yield entry
        finally:
            closer = getattr(source, "aclose", None)
            if closer is not None:
                await closer()
