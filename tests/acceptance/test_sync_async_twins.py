"""Sync vs async: every sync class has an ``Async*`` twin in ``sapwood.aio`` with the same
method names; async iterators and ``async with`` where the sync side iterates; the sync API
works inside a running event loop and from threads."""

from __future__ import annotations

import inspect
from concurrent.futures import ThreadPoolExecutor

import pytest

import sapwood
import sapwood.aio
from sapwood.aio import AsyncRepository

TWINS = ["Repository", "Branch", "Tag", "Reference", "Session", "ImportManager", "ObjectClient"]


def public_methods(cls: type) -> set[str]:
    """Names of the public methods a class offers (attributes and properties aside: the
    async side may hold as a plain attribute what the sync side exposes as a property)."""
    return {
        name
        for name in dir(cls)
        if not name.startswith("_") and callable(getattr(cls, name)) and name != "wrap"
    }


@pytest.mark.parametrize("name", TWINS)
def test_async_twin_exists_with_the_same_method_names(name: str) -> None:
    sync_cls = getattr(sapwood, name)
    async_cls = getattr(sapwood.aio, f"Async{name}")
    missing_in_async = public_methods(sync_cls) - public_methods(async_cls)
    assert not missing_in_async, f"Async{name} lacks {sorted(missing_in_async)}"


@pytest.mark.parametrize("name", TWINS)
def test_sync_class_has_every_async_method(name: str) -> None:
    sync_cls = getattr(sapwood, name)
    async_cls = getattr(sapwood.aio, f"Async{name}")
    missing_in_sync = public_methods(async_cls) - public_methods(sync_cls)
    assert not missing_in_sync, f"{name} lacks {sorted(missing_in_sync)}"


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("Reference", "download"),
        ("Reference", "get_commit"),
        ("Reference", "stat_object"),
        ("Reference", "exists"),
        ("Reference", "merge_into"),
        ("Branch", "upload"),
        ("Branch", "commit_changes"),
        ("Branch", "delete_objects"),
        ("Branch", "copy_object"),
        ("Branch", "revert"),
        ("Branch", "cherry_pick"),
        ("Branch", "reset_to"),
        ("Branch", "create"),
        ("Tag", "create"),
        ("Session", "commit"),
        ("Repository", "readonly_session"),
        ("Repository", "writable_session"),
        ("Repository", "garbage_collect"),
        ("Repository", "expire_snapshots"),
    ],
)
def test_async_twin_methods_are_coroutines(name: str, method: str) -> None:
    async_cls = getattr(sapwood.aio, f"Async{name}")
    assert inspect.iscoroutinefunction(getattr(async_cls, method))


async def test_async_end_to_end(memory_url: str) -> None:
    async with await AsyncRepository.open_or_create(memory_url) as repo:
        main = repo.branch("main")
        await main.upload(b"hello", "greeting.txt")
        first = await main.commit_changes("first")
        dev = await repo.branch("dev").create("main")
        await dev.upload(b"hello, world", "greeting.txt")
        await dev.upload(b"new", "dir/new.txt")
        await dev.commit_changes("second")
        changes = [c async for c in main.diff(dev)]
        assert sorted((c.path, c.type) for c in changes) == [
            ("dir/new.txt", "added"),
            ("greeting.txt", "changed"),
        ]
        merge = await dev.merge_into(main)
        assert len(merge.parents) == 2
        assert [c.id async for c in main.log(max_amount=10)][-2] == first.id
        listed = [i.path async for i in main.list_objects(delimiter="/")]
        assert listed == ["dir/", "greeting.txt"]
        assert await repo.ref("main~1").download("greeting.txt") == b"hello"
        assert await main.exists("dir/new.txt")
        info = await main.stat_object("dir/new.txt")
        assert info.size_bytes == 3
        tag = await repo.tag("v1").create(main)
        assert (await tag.get_commit()).id == merge.id
        assert [t.id async for t in repo.list_tags()] == ["v1"]
        assert [b.id async for b in repo.list_branches()] == ["dev", "main"]


async def test_async_open_read_and_write(memory_url: str) -> None:
    repo = await AsyncRepository.create(memory_url)
    main = repo.branch("main")
    async with await main.open("f.bin", "wb") as writer:
        await writer.write(b"0123456789")
    await main.commit_changes("f")
    async with await main.open("f.bin", "rb") as reader:
        reader.seek(5)
        assert await reader.read(3) == b"567"
        assert reader.tell() == 8
    await repo.close()


async def test_async_sessions(memory_url: str) -> None:
    repo = await AsyncRepository.create(memory_url)
    session = await repo.writable_session("main")
    await session.upload(b"s", "s")
    commit = await session.commit("s")
    readonly = await repo.readonly_session(snapshot_id=commit.id)
    assert await readonly.download("s") == b"s"
    uncommitted = [c async for c in repo.branch("main").list_uncommitted()]
    assert uncommitted == []
    await repo.close()


async def test_sync_api_works_inside_a_running_event_loop(memory_url: str) -> None:
    repo = sapwood.repository(memory_url)
    main = repo.branch("main")
    main.upload(b"inside a loop", "loop.txt")
    main.commit_changes("loop")
    assert main.download("loop.txt") == b"inside a loop"
    assert [c.message for c in main.log(max_amount=1)] == ["loop"]
    repo.close()


def test_sync_api_from_many_threads(memory_url: str) -> None:
    repo = sapwood.repository(memory_url)

    def work(number: int) -> str:
        branch = repo.branch(f"worker-{number}").create("main")
        branch.upload(str(number).encode(), f"n{number}")
        return branch.commit_changes(f"worker {number}").id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(work, range(8)))
    assert len(set(ids)) == 8
    for number in range(8):
        assert repo.branch(f"worker-{number}").download(f"n{number}") == str(number).encode()
    repo.close()


def test_many_threads_commit_to_one_branch_without_loss(memory_url: str) -> None:
    repo = sapwood.repository(memory_url)
    main = repo.branch("main")

    def work(number: int) -> None:
        with main.transaction(f"t{number}") as tx:
            tx.upload(str(number).encode(), f"t{number}")

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(work, range(6)))
    assert sorted(i.path for i in main.list_objects()) == [f"t{n}" for n in range(6)]
    assert len(list(main.log())) == 7
    repo.close()


async def test_async_open_is_an_async_context_manager(memory_url: str) -> None:
    repo = await AsyncRepository.create(memory_url)
    main = repo.branch("main")
    async with main.open("f.bin", "wb") as writer:
        await writer.write(b"0123456789")
    async with main.open("f.bin", "rb") as reader:
        assert await reader.read() == b"0123456789"
    await repo.close()
