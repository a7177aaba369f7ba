"""The async twins end to end: the same behaviour as the sync API through ``sapwood.aio``."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import sapwood
from sapwood.aio import AsyncBranch, AsyncRepository


async def commit_file(branch: AsyncBranch, path: str, data: bytes, message: str) -> sapwood.Commit:
    """Upload one file to ``branch`` and commit it."""
    await branch.upload(data, path)
    return await branch.commit_changes(message)


async def test_async_create_open_exists(memory_url: str) -> None:
    store = sapwood.ObjectStoreConfig.from_url(memory_url)
    assert await AsyncRepository.exists(store) is False
    repo = await AsyncRepository.create(store)
    assert await AsyncRepository.exists(store) is True
    with pytest.raises(sapwood.RepositoryExistsError):
        await AsyncRepository.create(store)
    await repo.close()
    again = await AsyncRepository.open(store)
    assert (await again.branch("main").get_commit()).parents == ()
    config = await AsyncRepository.fetch_config(store)
    assert config is not None
    await again.close()


async def test_async_history_operations(memory_url: str) -> None:
    async with await AsyncRepository.create(memory_url) as repo:
        main = repo.branch("main")
        c1 = await commit_file(main, "a", b"1", "one")
        c2 = await commit_file(main, "b", b"2", "two")
        await commit_file(main, "a", b"3", "three")
        assert (await repo.ref("main~2").get_commit()).id == c1.id
        assert (await repo.commit(c2.id).get_commit()).id == c2.id
        assert [c.message async for c in main.log(paths=["a"])] == ["three", "one"]
        await main.revert(c2)
        assert not await main.exists("b")
        dev = await repo.branch("dev").create(c1)
        picked = await commit_file(dev, "p", b"p", "pick me")
        await main.cherry_pick(picked)
        assert await main.download("p") == b"p"
        await main.reset_to(c1)
        assert (await main.get_commit()).id == c1.id
        tag = await repo.tag("v1").create(c2)
        assert await tag.download("b") == b"2"
        await tag.delete()
        assert [t.id async for t in repo.list_tags()] == []
        await dev.delete()
        assert [b.id async for b in repo.list_branches()] == ["main"]


@pytest.mark.parametrize(
    ("strategy", "expected"), [("source-wins", b"dev"), ("dest-wins", b"main")]
)
async def test_async_merge_strategies(memory_url: str, strategy: str, expected: bytes) -> None:
    async with await AsyncRepository.create(memory_url) as repo:
        main = repo.branch("main")
        await commit_file(main, "c", b"base", "base")
        dev = await repo.branch("dev").create("main")
        await commit_file(dev, "c", b"dev", "dev")
        await commit_file(main, "c", b"main", "main")
        with pytest.raises(sapwood.ConflictError):
            await dev.merge_into(main)
        await dev.merge_into(main, strategy=strategy)  # type: ignore[arg-type]
        assert await main.download("c") == expected


async def test_async_write_api(memory_url: str) -> None:
    async with await AsyncRepository.create(memory_url) as repo:
        main = repo.branch("main")
        info = await main.upload("text", "t.txt", content_type="text/plain")
        assert info.size_bytes == 4
        await main.upload(b"x", "x")
        await main.copy_object("main", "t.txt", "copy.txt")
        assert sorted([c.path async for c in main.list_uncommitted()]) == ["copy.txt", "t.txt", "x"]
        await main.reset("x")
        await main.delete_objects(["copy.txt"])
        commit = await main.commit_changes("write", metadata={"k": "v"})
        assert commit.metadata == {"k": "v"}
        assert [i.path async for i in main.list_objects()] == ["t.txt"]
        assert (await main.stat_object("t.txt")).content_type == "text/plain"


async def test_async_sessions_as_of_and_forks(memory_url: str) -> None:
    async with await AsyncRepository.create(memory_url) as repo:
        main = repo.branch("main")
        c1 = await commit_file(main, "a", b"1", "one")
        await commit_file(main, "a", b"2", "two")
        old = await repo.readonly_session(branch="main", as_of=c1.committed_at)
        assert await old.download("a") == b"1"
        session = await repo.writable_session("main")
        forks = [pickle.loads(pickle.dumps(session.fork())) for _ in range(2)]
        for number, fork in enumerate(forks):
            await fork.upload(str(number).encode(), f"fork-{number}")
        await session.merge(*forks)
        await session.commit("forks")
        assert sorted([i.path async for i in main.list_objects()]) == ["a", "fork-0", "fork-1"]
        discarded = await repo.writable_session("main")
        await discarded.upload(b"no", "no")
        await discarded.discard()
        assert not await main.exists("no")


async def test_async_maintenance(memory_url: str) -> None:
    async with await AsyncRepository.create(memory_url) as repo:
        main = repo.branch("main")
        for number in range(3):
            await commit_file(main, "n", str(number).encode(), f"c{number}")
        later = datetime.now(UTC) + timedelta(hours=1)
        expired = await repo.expire_snapshots(later)
        assert len(expired) >= 2
        await repo.garbage_collect(later, dry_run=True)
        await repo.garbage_collect(later)
        assert await main.download("n") == b"2"


async def test_async_import(memory_url: str, tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "f.txt").write_bytes(b"imported")
    async with await AsyncRepository.create(memory_url) as repo:
        main = repo.branch("main")
        await main.import_from(source.as_uri(), "in/", "import").run()
        assert await main.download("in/f.txt") == b"imported"
        assert (await main.get_commit()).message == "import"


async def test_async_reopen_and_save_config(memory_url: str) -> None:
    repo = await AsyncRepository.create(memory_url)
    reopened = await repo.reopen(config=sapwood.RepositoryConfig(inline_chunk_threshold_bytes=9))
    await reopened.save_config()
    stored = await AsyncRepository.fetch_config(memory_url)
    assert stored is not None
    assert stored.inline_chunk_threshold_bytes == 9
    assert isinstance(await repo.metadata(), dict)
    await repo.close()
