"""One background event loop, in one daemon thread, for all of sapwood's sync API.

Every sync class wraps its async twin and runs each call here with :func:`run`, so the sync
API works the same from plain scripts, from many threads at once, and from code that is
already inside a running event loop (Jupyter, ``asyncio.run``), where
``loop.run_until_complete`` would fail. Async resources (connections, semaphores) live on
this one loop, so they are shared safely by every thread.

The loop starts on first use and is replaced after :func:`shutdown` or a ``fork``.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
import time
from collections.abc import AsyncIterator, Coroutine, Generator
from typing import Any, TypeVar

from sapwood.errors import SapwoodError

__all__ = ["in_loop_thread", "iterate", "loop", "run", "shutdown"]

T = TypeVar("T")

_BATCH_ITEMS = 1000
_BATCH_SECONDS = 0.005

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None
_pid = os.getpid()


def _serve(ready: threading.Event, new_loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(new_loop)
    ready.set()
    try:
        new_loop.run_forever()
    finally:
        try:
            _cancel_remaining(new_loop)
            new_loop.run_until_complete(new_loop.shutdown_asyncgens())
            new_loop.run_until_complete(new_loop.shutdown_default_executor())
        finally:
            new_loop.close()


def _cancel_remaining(target: asyncio.AbstractEventLoop) -> None:
    pending = [t for t in asyncio.all_tasks(target) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        target.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def loop() -> asyncio.AbstractEventLoop:
    """sapwood's background loop, started (in a daemon thread) on first use."""
    global _loop, _thread
    current, thread = _loop, _thread
    if _FORGETS_AT_FORK and current is not None and thread is not None and thread.is_alive():
        # Every store call of a sync session asks for the loop: once it runs, no lock and
        # no process-id check (a forked child has forgotten it already, see below).
        return current
    with _lock:
        if _pid != os.getpid():
            _forget_after_fork()
        if _loop is None or _thread is None or not _thread.is_alive():
            new_loop = asyncio.new_event_loop()
            ready = threading.Event()
            thread = threading.Thread(
                target=_serve, args=(ready, new_loop), name="sapwood-loop", daemon=True
            )
            thread.start()
            ready.wait()
            _loop, _thread = new_loop, thread
        return _loop


def in_loop_thread() -> bool:
    """True when called from sapwood's own loop thread (where :func:`run` must not be)."""
    return _thread is not None and threading.current_thread() is _thread


def run(coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
    """Run ``coro`` on the background loop and block this thread until it finishes.

    Works from any thread, including one running its own event loop. An interrupt
    (Ctrl-C) or ``timeout`` (seconds) cancels the coroutine before re-raising.
    """
    if in_loop_thread():
        coro.close()
        raise SapwoodError(
            "a sync sapwood call was made from inside sapwood's own event loop (for example "
            "from a callback); use the async API (sapwood.aio) there instead"
        )
    target = loop()
    # A task plus a SimpleQueue costs half the thread hand-offs of run_coroutine_threadsafe,
    # which matters because every sync call pays this round trip.
    finished: queue.SimpleQueue[asyncio.Task[T]] = queue.SimpleQueue()
    started: list[asyncio.Task[T]] = []

    def start() -> None:
        task = target.create_task(coro)
        started.append(task)
        task.add_done_callback(finished.put)

    def cancel() -> None:
        for task in started:
            task.cancel()

    target.call_soon_threadsafe(start)
    try:
        done = finished.get(timeout=timeout)
    except queue.Empty:
        target.call_soon_threadsafe(cancel)
        raise TimeoutError(f"sapwood call did not finish within {timeout} s") from None
    except BaseException:
        target.call_soon_threadsafe(cancel)
        raise
    return done.result()


def iterate(source: AsyncIterator[T]) -> Generator[T, None, None]:
    """A blocking iterator over an async iterator. Items cross from the background loop in
    batches (what arrives within a few milliseconds, up to 1,000 items) so a long listing
    does not pay one thread hand-off per item. Closing the iterator early closes ``source``
    too."""

    async def pull() -> tuple[list[T], BaseException | None, bool]:
        batch: list[T] = []
        deadline: float | None = None
        try:
            while len(batch) < _BATCH_ITEMS:
                batch.append(await source.__anext__())
                now = time.monotonic()
                if deadline is None:
                    deadline = now + _BATCH_SECONDS
                elif now >= deadline:
                    break
        except StopAsyncIteration:
            return batch, None, True
        except Exception as error:
            # Items pulled before the failure are handed over first, then the error.
            return batch, error, True
        return batch, None, False

    finished = False
    try:
        while not finished:
            batch, error, finished = run(pull())
            yield from batch
            if error is not None:
                raise error
    finally:
        closer = getattr(source, "aclose", None)
        if not finished and closer is not None and not in_loop_thread():
            run(closer())


def shutdown(timeout: float = 10.0) -> None:
    """Stop the background loop (cancelling what still runs on it) and join its thread.
    The next :func:`run` starts a new one."""
    global _loop, _thread
    with _lock:
        current_loop, current_thread = _loop, _thread
        _loop, _thread = None, None
    if current_loop is None or current_thread is None or not current_thread.is_alive():
        return
    if threading.current_thread() is current_thread:
        raise SapwoodError("sapwood's loop cannot be shut down from its own thread")
    current_loop.call_soon_threadsafe(current_loop.stop)
    current_thread.join(timeout)


def _forget_after_fork() -> None:
    # The thread does not exist in a forked child; the loop object is unusable there.
    global _loop, _thread, _pid
    _loop, _thread, _pid = None, None, os.getpid()


_FORGETS_AT_FORK = hasattr(os, "register_at_fork")
if _FORGETS_AT_FORK:
    os.register_at_fork(after_in_child=_forget_after_fork)
