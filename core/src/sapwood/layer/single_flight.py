"""Single-flight: concurrent identical reads share one backend request.

The first caller (the leader) runs the request itself, inline: an uncontended read costs
no task and no extra turn of the event loop. Callers arriving while it runs (followers)
wait for its result through :func:`asyncio.shield`, so a follower that is cancelled
leaves the request running for the others, and a failure reaches every caller. If the
leader is cancelled, its request stops with it; its followers then start the request
again (one of them leads, the others join), rather than hang or receive a cancellation
they did not ask for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from typing import Generic, TypeVar

from sapwood.layer.recording import current_call
from sapwood.storage import ByteRange, ForwardingStorage, ObjectMeta, PutMode, Storage

__all__ = ["SingleFlight", "SingleFlightStorage"]

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class _Flight(Generic[T]):
    """One running request; ``outcome`` is made only once a follower wants it."""

    __slots__ = ("outcome",)

    def __init__(self) -> None:
        self.outcome: asyncio.Future[T] | None = None

    def wanted(self) -> asyncio.Future[T]:
        if self.outcome is None:
            self.outcome = asyncio.get_running_loop().create_future()
        return self.outcome


class SingleFlight(Generic[K, T]):
    """Runs at most one request per key at a time; identical callers share its result."""

    def __init__(self) -> None:
        self._flights: dict[K, _Flight[T]] = {}

    def __len__(self) -> int:
        return len(self._flights)

    async def run(self, key: K, request: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """The result of ``request()`` for ``key``, and whether it was shared with a call
        already in flight."""
        while True:
            flight = self._flights.get(key)
            if flight is None:
                return await self._lead(key, request), False
            outcome = flight.wanted()
            try:
                return await asyncio.shield(outcome), True
            except asyncio.CancelledError:
                if outcome.cancelled() and _not_cancelled_myself():
                    continue  # the leader was cancelled, not this caller: start afresh
                raise

    async def _lead(self, key: K, request: Callable[[], Awaitable[T]]) -> T:
        flight: _Flight[T] = _Flight()
        self._flights[key] = flight
        try:
            result = await request()
        except BaseException as exc:
            self.forget(key, flight)
            outcome = flight.outcome
            if outcome is not None:
                if isinstance(exc, asyncio.CancelledError):
                    outcome.cancel()
                else:
                    outcome.set_exception(exc)
                    outcome.exception()  # retrieved here, so an unawaited failure is not logged
            raise
        self.forget(key, flight)
        if flight.outcome is not None:
            flight.outcome.set_result(result)
        return result

    def forget(self, key: K, flight: _Flight[T] | None = None) -> None:
        """Let later callers of ``key`` start a new request (after a write to that key, so a
        reader never joins a read that began before the write). Running requests finish."""
        current = self._flights.get(key)
        if current is not None and (flight is None or current is flight):
            del self._flights[key]

    def forget_matching(self, match: Callable[[K], bool]) -> None:
        """:meth:`forget` every key for which ``match`` is true."""
        for key in [k for k in self._flights if match(k)]:
            del self._flights[key]


def _not_cancelled_myself() -> bool:
    """True when the running task is not itself being cancelled."""
    current = asyncio.current_task()
    return current is not None and current.cancelling() == 0


class SingleFlightStorage(ForwardingStorage):
    """Concurrent identical ``get``, ``get_with_meta`` and ``head`` calls share one request
    to ``inner``. A write or delete through it makes later reads of that key start fresh,
    so a reader never joins a read that began before the write."""

    def __init__(self, inner: Storage) -> None:
        super().__init__(inner)
        self._gets: SingleFlight[tuple[str, ByteRange | None], bytes] = SingleFlight()
        self._metas: SingleFlight[tuple[str, ByteRange | None], tuple[bytes, ObjectMeta]] = (
            SingleFlight()
        )
        self._heads: SingleFlight[str, ObjectMeta] = SingleFlight()

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        """The wrapped get, shared with an identical one in flight."""
        data, shared = await self._gets.run(
            (key, byte_range), lambda: self.inner.get(key, byte_range)
        )
        if shared:
            _shared()
        return data

    async def get_with_meta(
        self, key: str, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        """The wrapped get_with_meta, shared with an identical one in flight."""
        found, shared = await self._metas.run(
            (key, byte_range), lambda: self.inner.get_with_meta(key, byte_range)
        )
        if shared:
            _shared()
        return found

    async def head(self, key: str) -> ObjectMeta:
        """The wrapped head, shared with an identical one in flight."""
        meta, shared = await self._heads.run(key, lambda: self.inner.head(key))
        if shared:
            _shared()
        return meta

    def forget(self, key: str) -> None:
        """Let later reads of ``key`` start a new request."""
        if self._gets:
            self._gets.forget_matching(lambda k: k[0] == key)
        if self._metas:
            self._metas.forget_matching(lambda k: k[0] == key)
        if self._heads:
            self._heads.forget(key)

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        """Write; reads of ``key`` from now on do not join older ones."""
        self.forget(key)
        try:
            return await self.inner.put(
                key, data, mode=mode, content_type=content_type, metadata=metadata
            )
        finally:
            self.forget(key)

    async def delete(self, key: str) -> None:
        """Delete; reads of ``key`` from now on do not join older ones."""
        self.forget(key)
        try:
            await self.inner.delete(key)
        finally:
            self.forget(key)

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Delete a batch; reads of its keys from now on do not join older ones."""
        batch = list(keys)
        for key in batch:
            self.forget(key)
        try:
            await self.inner.delete_many(batch)
        finally:
            for key in batch:
                self.forget(key)


def _shared() -> None:
    record = current_call()
    if record is not None:
        record.event("singleflight.shared")
