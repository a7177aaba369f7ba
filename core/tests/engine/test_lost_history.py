"""A parent commit lost from the store fails history walks and GC; an expired one does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sapwood.aio import AsyncRepository
from sapwood.engine.history import read_parent
from sapwood.engine.keys import BLOBS, SNAPSHOTS, snapshot_key
from sapwood.errors import IntegrityError
from sapwood_memory.storage import MemoryStorage


def later() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=1)


async def history(repo: AsyncRepository, versions: int) -> list[str]:
    main = repo.branch("main")
    ids = []
    for version in range(versions):
        await main.upload(f"version {version}".encode() * 200, "file.bin")
        ids.append((await main.commit_changes(f"v{version}")).id)
    return ids


async def keys(store: MemoryStorage, prefix: str) -> set[str]:
    return {entry.key async for entry in store.list(prefix)}


async def lose(memory_name: str, commit_id: str) -> AsyncRepository:
    """Delete a snapshot behind the engine's back; a freshly opened repository on the store."""
    await MemoryStorage(memory_name).delete(snapshot_key(bytes.fromhex(commit_id)))
    return await AsyncRepository.open(f"memory://{memory_name}")


async def test_log_raises_naming_a_lost_parent_and_its_child(memory_name: str) -> None:
    repo = await AsyncRepository.create(f"memory://{memory_name}")
    ids = await history(repo, 4)
    fresh = await lose(memory_name, ids[1])
    with pytest.raises(IntegrityError) as caught:
        [c.id async for c in fresh.branch("main").log()]
    assert ids[1] in str(caught.value)
    assert ids[2] in str(caught.value)


async def test_path_filtered_log_and_time_travel_raise_too(memory_name: str) -> None:
    repo = await AsyncRepository.create(f"memory://{memory_name}")
    ids = await history(repo, 3)
    fresh = await lose(memory_name, ids[0])
    with pytest.raises(IntegrityError, match=ids[0]):
        [c.id async for c in fresh.branch("main").log(paths="file.bin")]
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    with pytest.raises(IntegrityError, match=ids[0]):
        await fresh.readonly_session("main", as_of=long_ago)


async def test_gc_raises_and_deletes_nothing_when_a_parent_is_lost(memory_name: str) -> None:
    repo = await AsyncRepository.create(f"memory://{memory_name}")
    ids = await history(repo, 3)
    dev = await repo.branch("dev").create("main")
    await dev.upload(b"dev only" * 300, "d.bin")
    await dev.commit_changes("dev")
    await dev.delete()
    fresh = await lose(memory_name, ids[1])
    store = MemoryStorage(memory_name)
    before = await keys(store, "")
    with pytest.raises(IntegrityError, match=ids[1]):
        await fresh.garbage_collect(later())
    assert await keys(store, "") == before
    assert snapshot_key(bytes.fromhex(ids[0])) in before


async def test_expired_and_collected_history_ends_log_quietly(memory_name: str) -> None:
    repo = await AsyncRepository.create(f"memory://{memory_name}")
    store = MemoryStorage(memory_name)
    ids = await history(repo, 4)
    await repo.expire_snapshots(later())
    summary = await repo.garbage_collect(later())
    assert summary.snapshots_deleted == 4  # v0, v1, v2 and the creation commit
    assert await keys(store, SNAPSHOTS) == {snapshot_key(bytes.fromhex(ids[3]))}
    fresh = await AsyncRepository.open(f"memory://{memory_name}")
    assert [c.id async for c in fresh.branch("main").log()] == [ids[3]]
    assert [c.id async for c in fresh.branch("main").log(paths="file.bin")] == [ids[3]]
    again = await fresh.garbage_collect(later())
    assert again.objects_deleted == 0
    assert len(await keys(store, BLOBS)) == 1


async def test_markers_left_behind_by_collected_branches_are_removed(memory_name: str) -> None:
    repo = await AsyncRepository.create(f"memory://{memory_name}")
    ids = await history(repo, 2)
    await repo.branch("old").create(ids[1])
    await history(repo, 2)
    await repo.expire_snapshots(later())
    await repo.garbage_collect(later())
    # ids[0] is expired and gone; its marker stays while "old" (ids[1]) names it as a parent.
    assert [c.id async for c in repo.branch("old").log()] == [ids[1]]
    await repo.branch("old").delete()
    await repo.garbage_collect(later())
    assert await keys(MemoryStorage(memory_name), "expired/") == {
        f"expired/{(await repo.branch('main').get_commit()).parents[0]}"
    }


async def test_a_parent_expired_after_the_walk_began_still_ends_quietly(
    memory_name: str,
) -> None:
    repo = await AsyncRepository.create(f"memory://{memory_name}")
    ids = await history(repo, 2)
    listed_before_expiry: set[bytes] = set()
    await repo.expire_snapshots(later())
    await repo.garbage_collect(later())
    fresh = await AsyncRepository.open(f"memory://{memory_name}")
    child, parent = bytes.fromhex(ids[1]), bytes.fromhex(ids[0])
    assert await read_parent(fresh.engine, child, parent, listed_before_expiry) is None
