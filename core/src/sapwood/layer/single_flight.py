"""Single-flight: concurrent identical reads share one backend request.

The first caller starts the request as its own task; every caller (the first included)
awaits it through :func:`asyncio.shield`. So a caller that is cancelled leaves the request
running for the others, a failure reaches every caller, and the request is cancelled only
when nobody waits for it any more. If the shared request itself is cancelled from outside
while a caller still wants the answer, that caller starts a new request instead of hanging
or receiving a cancellation it did not ask for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["SingleFlight"]

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class _Flight(Generic[T]):
    __slots__ = ("task", "waiters")

    def __init__(self, task: asyncio.Task[T]) -> None:
        self.task = task
        self.waiters = 0


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
            shared = flight is not None and not flight.task.cancelled()
            if flight is None or not shared:
                flight = self._start(key, request)
            flight.waiters += 1
            try:
                return await asyncio.shield(flight.task), shared
            except asyncio.CancelledError:
                if _cancelled_from_outside(flight.task):
                    continue
                raise
            finally:
                flight.waiters -= 1
                if flight.waiters == 0 and not flight.task.done():
                    self.forget(key, flight)
                    flight.task.cancel()

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

    def _start(self, key: K, request: Callable[[], Awaitable[T]]) -> _Flight[T]:
        async def call() -> T:
            return await request()

        flight: _Flight[T] = _Flight(asyncio.ensure_future(call()))
        self._flights[key] = flight

        def finished(task: asyncio.Task[T]) -> None:
            self.forget(key, flight)
            if not task.cancelled():
                task.exception()  # retrieved here, so an unawaited failure is not logged

        flight.task.add_done_callback(finished)
        return flight


def _cancelled_from_outside(task: asyncio.Task[T]) -> bool:
    """True when the shared task was cancelled but the caller itself was not."""
    if not task.cancelled():
        return False
    current = asyncio.current_task()
    return current is not None and current.cancelling() == 0
