"""Closing the repository a filesystem opened, once the filesystem is garbage collected.

A finalizer runs wherever the garbage collector happens to run: on sapwood's own loop
thread, or in a worker thread that sapwood's loop is waiting for. A blocking close there
fails (a sync call on the loop's own thread) or deadlocks (the loop waits for the worker,
the worker for the loop). So a collected filesystem's repository is closed on the loop
without anyone waiting for it; only at interpreter exit, when nothing else runs and the
close must finish before the process ends, does the finalizer wait.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import weakref

from sapwood import _loop
from sapwood._sync.repository import Repository

__all__ = ["close_when_collected", "pending_closes"]

logger = logging.getLogger(__name__)

_exiting = False
_pending: set[asyncio.Task[None]] = set()


def _mark_exiting() -> None:
    """At exit: later finalizers close in place, and closes already started finish."""
    global _exiting
    _exiting = True
    if _pending and not _loop.in_loop_thread():
        _loop.run(_finish_pending())


async def _finish_pending() -> None:
    await asyncio.gather(*_pending, return_exceptions=True)


def _forget(task: asyncio.Task[None]) -> None:
    _pending.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.warning(
            "closing a repository after its sapwood:// filesystem was garbage collected failed: %s",
            task.exception(),
        )


def _close(repository: Repository) -> None:
    if _exiting and not _loop.in_loop_thread():
        repository.close()  # the process is ending: finish before it does
        return

    def start() -> None:
        task = asyncio.get_running_loop().create_task(repository.aio.close())
        _pending.add(task)
        task.add_done_callback(_forget)

    if _loop.in_loop_thread():
        asyncio.get_running_loop().call_soon(start)
    else:
        _loop.loop().call_soon_threadsafe(start)


def close_when_collected(
    owner: object, repository: Repository
) -> weakref.finalize[[Repository], object]:
    """Close ``repository`` when ``owner`` is garbage collected, without blocking the thread
    that collects it (see the module's docstring); ``detach()`` the returned finalizer to
    close the repository yourself."""
    finalizer = weakref.finalize(owner, _close, repository)
    # weakref registers its exit hook with the first finalizer; exit hooks run last-in,
    # first-out, so registering ours after it marks the exit before finalizers run.
    atexit.unregister(_mark_exiting)
    atexit.register(_mark_exiting)
    return finalizer


def pending_closes() -> set[asyncio.Task[None]]:
    """The closes started for collected filesystems that have not finished (run on
    sapwood's loop; tests await them)."""
    return set(_pending)
