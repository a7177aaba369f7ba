"""sapwood._loop: one background loop thread that runs coroutines for the sync API."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from sapwood import _loop
from sapwood.errors import SapwoodError


async def _where() -> tuple[int, asyncio.AbstractEventLoop]:
    await asyncio.sleep(0)
    return threading.get_ident(), asyncio.get_running_loop()


def test_run_returns_the_coroutine_result_from_the_loop_thread() -> None:
    ident, used = _loop.run(_where())
    assert ident != threading.get_ident()
    assert used is _loop.loop()


def test_run_works_inside_a_running_event_loop() -> None:
    async def caller() -> int:
        async def seven() -> int:
            return 7

        return _loop.run(seven())  # e.g. the sync API called from a notebook cell

    assert asyncio.run(caller()) == 7


def test_many_threads_share_one_loop() -> None:
    def call(n: int) -> tuple[int, int, asyncio.AbstractEventLoop]:
        ident, used = _loop.run(_where())
        return n, ident, used

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(call, range(64)))
    assert [n for n, _, _ in results] == list(range(64))
    assert len({ident for _, ident, _ in results}) == 1
    assert len({id(used) for _, _, used in results}) == 1


def test_errors_propagate_to_the_caller() -> None:
    async def fail() -> None:
        raise KeyError("inside")

    with pytest.raises(KeyError, match="inside"):
        _loop.run(fail())


def test_a_sync_call_from_the_loop_thread_is_refused() -> None:
    async def nested() -> None:
        async def inner() -> None:
            return None

        _loop.run(inner())

    with pytest.raises(SapwoodError, match="use the async API"):
        _loop.run(nested())


def test_a_timeout_cancels_the_coroutine() -> None:
    cancelled = threading.Event()

    async def forever() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(TimeoutError):
        _loop.run(forever(), timeout=0.05)
    assert cancelled.wait(5)


def test_iterate_pulls_items_and_closes_the_source_early() -> None:
    closed = threading.Event()

    async def numbers() -> AsyncIterator[int]:
        try:
            for i in range(100):
                yield i
        finally:
            closed.set()

    assert list(_loop.iterate(numbers())) == list(range(100))
    closed.clear()
    taken = []
    iterator = _loop.iterate(numbers())
    for value in iterator:
        taken.append(value)
        if value == 2:
            break
    iterator.close()
    assert taken == [0, 1, 2]
    assert closed.is_set()


def test_shutdown_stops_the_thread_and_the_next_run_starts_another() -> None:
    first = _loop.loop()
    _loop.shutdown()
    assert first.is_closed()
    assert _loop.run(_where())[1] is not first


def _child(queue: multiprocessing.Queue[int]) -> None:
    async def answer() -> int:
        return 42

    queue.put(_loop.run(answer()))


def test_a_forked_child_gets_its_own_loop() -> None:
    _loop.run(_where())  # the parent's loop thread exists before the fork
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[int] = context.Queue()
    process = context.Process(target=_child, args=(queue,))
    process.start()
    process.join(30)
    assert process.exitcode == 0
    assert queue.get(timeout=5) == 42
