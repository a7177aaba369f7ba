"""The sync API runs on sapwood's background loop: with no loop, inside a running loop
(as in Jupyter), and from many threads at once; its iterators pull lazily."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import pytest

import sapwood
from sapwood import _loop
from sapwood._sync._twin import iterate


def test_the_sync_api_works_with_no_event_loop(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"hello", "greeting.txt")
    commit = main.commit_changes("Say hello")
    assert main.download("greeting.txt") == b"hello"
    assert next(iter(main.log())).id == commit.id


def test_the_sync_api_works_inside_a_running_event_loop(memory_url: str) -> None:
    async def notebook_cell() -> tuple[bytes, list[str]]:
        running = asyncio.get_running_loop()
        with sapwood.repository(memory_url) as repository:
            main = repository.branch("main")
            main.upload(b"from a notebook", "cell.txt")
            main.commit_changes("Written inside asyncio.run")
            assert asyncio.get_running_loop() is running
            return main.download("cell.txt"), [c.message for c in main.log()]

    content, messages = asyncio.run(notebook_cell())
    assert content == b"from a notebook"
    assert messages == ["Written inside asyncio.run", "Repository created"]


def test_sixteen_threads_commit_to_one_branch_without_losing_a_change(
    repo: sapwood.Repository,
) -> None:
    start = threading.Barrier(16)

    def work(n: int) -> str:
        main = repo.branch("main")
        start.wait()
        with main.transaction(f"thread {n}") as tx:
            tx.upload(f"written by {n}".encode(), f"threads/{n:02}.txt")
        return main.download(f"threads/{n:02}.txt").decode()

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(work, range(16)))

    assert results == [f"written by {n}" for n in range(16)]
    main = repo.branch("main")
    assert len([o for o in main.list_objects(prefix="threads/")]) == 16
    messages = {c.message for c in main.log()}
    assert {f"thread {n}" for n in range(16)} <= messages


def test_sixteen_threads_share_one_branch_handle(repo: sapwood.Repository) -> None:
    def stage(n: int) -> sapwood.Branch:
        branch = repo.branch("main")
        branch.upload(bytes([n]) * 10, f"staged/{n}.bin")
        return branch

    with ThreadPoolExecutor(16) as pool:
        handles = list(pool.map(stage, range(16)))

    assert all(handle is handles[0] for handle in handles)
    assert len(list(repo.branch("main").list_uncommitted())) == 16
    commit = repo.branch("main").commit_changes("Everything staged by 16 threads")
    assert len(list(repo.ref(commit.id).list_objects(prefix="staged/"))) == 16


def test_the_same_handle_comes_back_for_the_same_branch(repo: sapwood.Repository) -> None:
    assert repo.branch("main") is repo.branch("main")
    assert repo.branch("main").aio is repo.aio.branch("main")
    assert repo.branch("main").repository is repo


def test_iterators_pull_lazily_and_close_their_source_when_dropped() -> None:
    pulled = 0
    closed = threading.Event()

    async def numbers() -> AsyncIterator[int]:
        nonlocal pulled
        try:
            for i in range(100_000):
                pulled += 1
                yield i
                if i % 100 == 0:
                    await asyncio.sleep(0)
        finally:
            closed.set()

    items = iterate(numbers(), lambda n: n * 2)
    assert [next(items) for _ in range(3)] == [0, 2, 4]
    assert pulled < 100_000
    items.close()  # type: ignore[attr-defined]
    assert closed.wait(5)


def test_log_is_an_iterator_that_can_stop_early(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    for n in range(5):
        main.upload(str(n), "counter.txt")
        main.commit_changes(f"count {n}")
    log = main.log()
    assert next(log).message == "count 4"
    assert next(log).message == "count 3"
    assert [c.message for c in main.log(max_amount=2)] == ["count 4", "count 3"]


def test_sync_calls_from_sapwood_s_own_loop_are_refused_with_advice(
    repo: sapwood.Repository,
) -> None:
    async def inside() -> None:
        repo.branch("main").get_commit()

    with pytest.raises(sapwood.SapwoodError, match=r"sapwood\.aio"):
        _loop.run(inside())
