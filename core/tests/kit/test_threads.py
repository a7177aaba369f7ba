"""ThreadPoolStorage: blocking work runs in the store's own bounded pool, and a closed
store refuses work with a clear error."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from sapwood.errors import NotFoundError, StorageError
from sapwood.kit.threads import off_the_loop


async def test_work_runs_in_the_stores_own_threads(make_store: Callable[..., Any]) -> None:
    store = make_store()
    assert store._executor is None, "no threads before the first call"
    await store.put("k", b"v")
    assert await store.get("k") == b"v"
    assert store.threads
    assert all(name.startswith("kit-test") for name in store.threads)
    with pytest.raises(NotFoundError):
        await store.get("missing")
    await store.close()


async def test_the_pool_is_bounded(make_store: Callable[..., Any]) -> None:
    store = make_store(max_workers=2)
    inside = 0
    most = 0
    guard = threading.Lock()
    release = threading.Event()

    def hold() -> None:
        nonlocal inside, most
        with guard:
            inside += 1
            most = max(most, inside)
        release.wait(timeout=30)
        with guard:
            inside -= 1

    calls = [asyncio.ensure_future(store.run_blocking(hold)) for _ in range(6)]
    while True:
        with guard:
            if inside == 2:
                break
        await asyncio.sleep(0.01)
    release.set()
    await asyncio.gather(*calls)
    assert most == 2
    await store.close()


async def test_a_closed_store_refuses_work_and_closing_again_does_nothing(
    make_store: Callable[..., Any],
) -> None:
    store = make_store()
    await store.put("k", b"v")
    await store.close()
    assert store.closed
    with pytest.raises(StorageError, match=r"get on a closed store BlockingDictStorage\(test\)"):
        await store.get("k")
    with pytest.raises(StorageError, match="open the store again") as caught:
        await store.put("k", b"v")
    assert not caught.value.retryable, "retrying cannot reopen a store"
    await store.close()
    assert store.releases == 1, "release runs once"
    assert store._executor is None


async def test_a_store_closed_before_any_call_releases_without_threads(
    make_store: Callable[..., Any],
) -> None:
    store = make_store()
    await store.close()
    assert store.releases == 1
    with pytest.raises(StorageError, match="closed"):
        store.check_open("list")


async def test_a_store_serves_several_event_loops(make_store: Callable[..., Any]) -> None:
    store = make_store()
    await store.put("k", b"v")

    def other_loop() -> bytes:
        return asyncio.run(store.get("k"))

    assert await asyncio.to_thread(other_loop) == b"v"
    await store.close()


def test_max_workers_must_be_positive(make_store: Callable[..., Any]) -> None:
    with pytest.raises(ValueError, match="max_workers must be >= 1"):
        make_store(max_workers=0)


async def test_off_the_loop_uses_a_worker_thread_while_python_has_them() -> None:
    here = threading.current_thread()
    assert await off_the_loop(threading.current_thread) is not here


async def test_off_the_loop_runs_in_place_once_python_stopped_its_pools(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At interpreter exit every thread pool refuses work before finalizers run; a close
    made there (an unclosed fsspec filesystem's) still finishes."""
    loop = asyncio.get_running_loop()

    def refuse(*_args: object) -> None:
        raise RuntimeError("cannot schedule new futures after interpreter shutdown")

    monkeypatch.setattr(loop, "run_in_executor", refuse)
    here = threading.current_thread()
    assert await off_the_loop(threading.current_thread) is here
    with pytest.raises(ValueError, match="from the work"):
        await off_the_loop(lambda: int("from the work"))
