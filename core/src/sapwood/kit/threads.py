"""A base for stores over a blocking SDK: a bounded thread pool the store owns.

Each blocking SDK call runs in the store's pool through the running event loop
(``run_in_executor``), so the loop never blocks and at most ``max_workers`` requests are in
flight. The store holds no event-loop state, so one store serves any loop. After
:meth:`ThreadPoolStorage.close` every call fails with a StorageError saying the store is
closed; closing again does nothing.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sapwood.errors import StorageError
from sapwood.storage import BaseStorage

__all__ = ["ThreadPoolStorage", "off_the_loop"]

T = TypeVar("T")


async def off_the_loop(work: Callable[[], T]) -> T:
    """``work()`` in a worker thread (as :func:`asyncio.to_thread`), or in this thread when
    Python's thread pools take no more work.

    At interpreter exit Python stops every thread pool before it runs ``atexit`` hooks and
    finalizers, so closing an unclosed repository there (a ``weakref.finalize``, such as the
    one an fsspec filesystem keeps) cannot start a thread. Close paths use this so they
    still finish then, blocking the loop briefly instead of failing with a traceback."""
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, work)
    try:
        pending = loop.run_in_executor(None, call)
    except RuntimeError:  # "cannot schedule new futures after (interpreter) shutdown"
        return work()
    return await pending


class ThreadPoolStorage(BaseStorage):
    """A :class:`~sapwood.storage.BaseStorage` running blocking work in its own threads.

    Subclasses call ``super().__init__(max_workers=..., thread_name_prefix=...)``, run SDK
    calls with :meth:`run_blocking`, and release their clients in :meth:`release` (called
    once, by the first :meth:`close`, after the pool has stopped). The pool starts on first
    use, so building a store costs no threads.
    """

    def __init__(self, *, max_workers: int, thread_name_prefix: str) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be >= 1, got {max_workers}")
        self._max_workers = max_workers
        self._thread_name_prefix = thread_name_prefix
        self._pool_guard = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._closed = False

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has been called."""
        return self._closed

    def check_open(self, operation: str = "use", key: str | None = None) -> None:
        """Raise StorageError if the store is closed, naming the operation and the store."""
        if self._closed:
            raise StorageError(
                f"{operation} on a closed store {self!r}; open the store again to use it",
                key=key,
            )

    def _pool(self, operation: str, key: str | None) -> ThreadPoolExecutor:
        with self._pool_guard:
            self.check_open(operation, key)
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self._max_workers, thread_name_prefix=self._thread_name_prefix
                )
            return self._executor

    async def run_blocking(
        self, work: Callable[[], T], *, operation: str = "use", key: str | None = None
    ) -> T:
        """Run ``work()`` in the store's pool and return its result (errors propagate as
        raised: map them with :mod:`sapwood.kit.errors`)."""
        pool = self._pool(operation, key)
        return await asyncio.get_running_loop().run_in_executor(pool, work)

    async def release(self) -> None:
        """Close the SDK's clients and connections; called once, after the pool stopped."""

    async def close(self) -> None:
        """Finish running calls, cancel queued ones, stop the threads, then :meth:`release`.

        Idempotent: later calls return at once. The store refuses work afterwards.
        """
        with self._pool_guard:
            if self._closed:
                return
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            # Waiting for running calls blocks: do it off the event loop.
            await off_the_loop(functools.partial(executor.shutdown, True, cancel_futures=True))
        await self.release()
