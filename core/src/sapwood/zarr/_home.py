"""Where a session's coroutines run when a Zarr store calls them.

sapwood's async objects are bound to the event loop their repository was opened in (its
locks, semaphores and shared in-flight reads live there), while Zarr calls a store from
whatever loop it runs on: its own ``zarr_io`` thread for the sync API, the caller's loop
for the async API. A :class:`HomeLoop` runs each call on the session's own loop and hands
the result back to the caller's loop, so neither has to know about the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any, TypeVar

from sapwood.errors import SapwoodError

__all__ = ["HomeLoop"]

T = TypeVar("T")

_CLOSED = (
    "the event loop this AsyncSession was opened in has closed, so its store cannot reach "
    "it; open the session (and its store) in the loop that uses it, or use a sync Session, "
    "whose store works from any loop or thread"
)


def _current_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class _Bridge:
    """Carries coroutines from one caller loop to the home loop and their outcomes back,
    a batch at a time: Zarr keeps about ten reads or writes in flight, and one wake-up of
    each loop per batch costs far less on a busy machine than two thread hand-offs per
    call. A batch is sent at the end of the loop iteration that filled it (``call_soon``
    runs after everything already ready), so the calls and completions of one iteration
    travel together instead of waking the other thread for the first of them."""

    def __init__(self, home: asyncio.AbstractEventLoop, caller: asyncio.AbstractEventLoop):
        self._home = home
        self._caller = caller
        self._lock = threading.Lock()
        self._outbox: list[tuple[Coroutine[Any, Any, Any], asyncio.Future[Any]]] = []
        self._inbox: list[tuple[asyncio.Future[Any], _Outcome]] = []
        self._started: dict[asyncio.Future[Any], asyncio.Task[Any]] = {}

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        waiter: asyncio.Future[T] = self._caller.create_future()
        waiter.add_done_callback(self._abandoned)
        with self._lock:
            self._outbox.append((coro, waiter))
            first = len(self._outbox) == 1
        if first:
            self._caller.call_soon(self._send)
        return await waiter

    def _send(self) -> None:
        # On the caller's loop, once the calls of this iteration are in the outbox.
        try:
            self._home.call_soon_threadsafe(self._start)
        except RuntimeError:  # the home loop closed meanwhile
            with self._lock:
                stranded, self._outbox = self._outbox, []
            for pending, pending_waiter in stranded:
                pending.close()
                if not pending_waiter.done():
                    pending_waiter.set_exception(SapwoodError(_CLOSED))

    def _start(self) -> None:
        # On the home loop.
        with self._lock:
            batch, self._outbox = self._outbox, []
        for coro, waiter in batch:
            if waiter.done():  # its caller was cancelled before the work began
                coro.close()
                continue
            task = self._home.create_task(self._carry(coro, waiter))
            with self._lock:
                self._started[waiter] = task
            # A task cancelled before its first step never awaited ``coro``: close it.
            task.add_done_callback(partial(_close, coro))

    async def _carry(self, coro: Coroutine[Any, Any, Any], waiter: asyncio.Future[Any]) -> None:
        # On the home loop. The outcome is posted as soon as the call ends, not from a
        # done callback one iteration later: a write of Zarr's then returns before the
        # writes behind it (started by the call, and next in the loop's queue) run.
        try:
            result = await coro
        except asyncio.CancelledError:
            self._finished(waiter, _Outcome(cancelled=True))
            raise
        except Exception as error:
            self._finished(waiter, _Outcome(error=error))
        except BaseException as error:  # an interrupt: the waiter hears of it, and the loop
            self._finished(waiter, _Outcome(error=error))
            raise
        else:
            self._finished(waiter, _Outcome(result=result))

    def _abandoned(self, waiter: asyncio.Future[Any]) -> None:
        # On the caller's loop: a cancelled caller cancels the work it started.
        if not waiter.cancelled():
            return
        with self._lock:
            task = self._started.pop(waiter, None)
        if task is not None:
            with contextlib.suppress(RuntimeError):  # the home loop has closed
                self._home.call_soon_threadsafe(task.cancel)

    def _finished(self, waiter: asyncio.Future[Any], outcome: _Outcome) -> None:
        # On the home loop.
        with self._lock:
            self._started.pop(waiter, None)
            self._inbox.append((waiter, outcome))
            first = len(self._inbox) == 1
            alone = not self._started
        if first:
            if alone:  # no other call of this caller is under way: nothing to wait for
                self._return()
            else:
                self._home.call_soon(self._return)

    def _return(self) -> None:
        # On the home loop, once the calls finishing in this iteration are in the inbox.
        try:
            self._caller.call_soon_threadsafe(self._deliver)
        except RuntimeError:  # the caller's loop closed: nobody waits any more
            with self._lock:
                self._inbox.clear()

    def _deliver(self) -> None:
        # On the caller's loop.
        with self._lock:
            batch, self._inbox = self._inbox, []
        for waiter, outcome in batch:
            if waiter.done():  # abandoned by its caller
                continue
            if outcome.cancelled:
                waiter.cancel()
            elif outcome.error is not None:
                waiter.set_exception(outcome.error)
            else:
                waiter.set_result(outcome.result)


def _close(coro: Coroutine[Any, Any, Any], _: asyncio.Task[None]) -> None:
    coro.close()


class _Outcome:
    """How one carried call ended."""

    __slots__ = ("cancelled", "error", "result")

    def __init__(
        self, *, result: Any = None, error: BaseException | None = None, cancelled: bool = False
    ) -> None:
        self.result = result
        self.error = error
        self.cancelled = cancelled


class HomeLoop:
    """The loop one session lives on, and the ways to run its coroutines there.

    ``fixed`` names the loop outright, or ``resolve`` is asked for it at each call
    (sapwood's own background loop, for a sync Session: started on first use, and
    replaced after a fork or a shutdown). Otherwise the loop running when this object is
    made is the home (unless ``capture`` is false), or, if none was, the first loop a call
    comes from (an unpickled AsyncSession opens its repository on that loop).

    An idle home loop (not running, not closed: an asyncio test's loop between two
    steps, say) is driven for the length of one call, one call at a time, so the sync
    API still reaches an AsyncSession whose loop is waiting for that very call.
    """

    def __init__(
        self,
        fixed: asyncio.AbstractEventLoop | None = None,
        *,
        resolve: Callable[[], asyncio.AbstractEventLoop] | None = None,
        capture: bool = True,
    ) -> None:
        self._resolve = resolve
        self._loop = fixed
        if fixed is None and resolve is None and capture:
            self._loop = _current_loop()
        self._pin_lock = threading.Lock()
        self._drive_lock = threading.Lock()
        self._driving = False
        # One per (home, caller) pair: a sync Session's home is replaced after a shutdown.
        self._bridges: dict[tuple[asyncio.AbstractEventLoop, asyncio.AbstractEventLoop], _Bridge]
        self._bridges = {}
        self._last_bridge: (
            tuple[asyncio.AbstractEventLoop, asyncio.AbstractEventLoop, _Bridge] | None
        ) = None

    def _bridge(
        self, home: asyncio.AbstractEventLoop, caller: asyncio.AbstractEventLoop
    ) -> _Bridge:
        last = self._last_bridge
        if last is not None and last[0] is home and last[1] is caller:
            return last[2]  # the common case: one caller loop, asked once per store call
        with self._pin_lock:
            bridge = self._bridges.get((home, caller))
            if bridge is None:
                # Bridges to closed loops go: a test suite makes a loop per test.
                self._bridges = {
                    pair: kept
                    for pair, kept in self._bridges.items()
                    if not (pair[0].is_closed() or pair[1].is_closed())
                }
                bridge = self._bridges[(home, caller)] = _Bridge(home, caller)
            self._last_bridge = (home, caller, bridge)
            return bridge

    def _home(self) -> asyncio.AbstractEventLoop | None:
        if self._resolve is not None:
            return self._resolve()
        if self._loop is None:
            current = _current_loop()
            if current is not None:
                with self._pin_lock:
                    if self._loop is None:
                        self._loop = current
        return self._loop

    def _check_open(self, home: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any]) -> None:
        if home.is_closed():
            coro.close()
            raise SapwoodError(_CLOSED)

    def _drive(self, home: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T]) -> T:
        with self._drive_lock:
            if home.is_running():
                # Its owner started it again meanwhile: hand the call over instead.
                return asyncio.run_coroutine_threadsafe(coro, home).result()
            self._driving = True
            try:
                return home.run_until_complete(coro)
            finally:
                self._driving = False

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` on the home loop from whichever loop is running now."""
        home = self._home()
        current = asyncio.get_running_loop()
        if home is None or home is current:
            return await coro
        self._check_open(home, coro)
        if home.is_running() and not self._driving:
            return await self._bridge(home, current).run(coro)
        return await asyncio.to_thread(self._drive, home, coro)

    def run_blocking(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the home loop and wait for it in this thread (which must not be
        running an event loop: the store's ``*_sync`` methods are for plain threads)."""
        if _current_loop() is not None:
            coro.close()
            raise SapwoodError(
                "a blocking store call (get_sync, set_sync, delete_sync) was made from "
                "inside a running event loop, which it would stall; await the async "
                "method (get, set, delete) there instead"
            )
        home = self._home()
        if home is None:
            # Nothing has bound the session to a loop yet: this call's loop becomes home.
            with self._pin_lock:
                if self._loop is None:
                    self._loop = asyncio.new_event_loop()
            home = self._loop
        self._check_open(home, coro)
        if home.is_running() and not self._driving:
            return asyncio.run_coroutine_threadsafe(coro, home).result()
        return self._drive(home, coro)
