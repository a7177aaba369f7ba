"""Expiring history and collecting garbage, with a grace period for writers in flight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sapwood.aio import AsyncRepository
from sapwood.engine.keys import BLOBS, EXPIRED, MANIFESTS, SNAPSHOTS, expired_key
from sapwood.errors import RefNotFoundError
from sapwood_memory.storage import MemoryStorage


async def count(store: MemoryStorage, prefix: str) -> int:
    return len([item async for item in store.list(prefix)])


def later() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=1)


async def history(repo: AsyncRepository, versions: int) -> list[str]:
    main = repo.branch("main")
    ids = []
    for version in range(versions):
        await main.upload(f"version {version}".encode() * 200, "file.bin")
        ids.append((await main.commit_changes(f"v{version}")).id)
    return ids


async def test_expiry_cuts_history_and_gc_deletes_what_it_cut(memory_name: str) -> None:
    repo = await AsyncRepository.create(f"memory://{memory_name}")
    store = MemoryStorage(memory_name)
    ids = await history(repo, 5)
    await repo.tag("keep").create(ids[1])
    expired = await repo.expire_snapshots(later())
    assert ids[4] not in expired
    assert ids[1] not in expired
    assert {ids[0], ids[2], ids[3]} <= expired
    assert [c.id async for c in repo.branch("main").log()] == [ids[4]]
    assert [c.id async for c in repo.tag("keep").log()] == [ids[1]]
    assert await repo.expire_snapshots(later()) == frozenset()
    blobs_before = await count(store, BLOBS)
    preview = await repo.garbage_collect(later(), dry_run=True)
    assert preview.dry_run
    assert preview.snapshots_deleted == len(expired)
    assert preview.blobs_deleted == 3
    assert await count(store, BLOBS) == blobs_before
    done = await repo.garbage_collect(later())
    assert done.snapshots_deleted == preview.snapshots_deleted
    assert done.blobs_deleted == preview.blobs_deleted
    assert done.bytes_deleted > 0
    assert (
        done.objects_deleted
        == done.snapshots_deleted + done.manifests_deleted + done.blobs_deleted + done.refs_deleted
    )
    assert await count(store, BLOBS) == blobs_before - 3
    # Only the markers of the expired parents of kept commits stay, so log ends there.
    assert {entry.key async for entry in store.list(EXPIRED)} == {
        expired_key(bytes.fromhex(ids[0])),
        expired_key(bytes.fromhex(ids[3])),
    }
    fresh = await AsyncRepository.open(f"memory://{memory_name}")
    assert await fresh.branch("main").download("file.bin") == b"version 4" * 200
    assert await fresh.tag("keep").download("file.bin") == b"version 1" * 200
    with pytest.raises(RefNotFoundError):
        await fresh.commit(ids[2]).get_commit()
    again = await fresh.garbage_collect(later())
    assert again.objects_deleted == 0


async def test_nothing_younger_than_the_grace_period_is_deleted(memory_name: str) -> None:
    repo = await AsyncRepository.create(f"memory://{memory_name}")
    store = MemoryStorage(memory_name)
    await history(repo, 3)
    in_flight = await repo.writable_session("main")
    await in_flight.upload(b"staged but not committed" * 100, "pending.bin")
    await repo.expire_snapshots(later())
    snapshots = await count(store, SNAPSHOTS)
    manifests = await count(store, MANIFESTS)
    blobs = await count(store, BLOBS)
    summary = await repo.garbage_collect(datetime.now(UTC) - timedelta(hours=1))
    assert summary.objects_deleted == 0
    assert summary.objects_spared > 0
    assert (
        await count(store, SNAPSHOTS),
        await count(store, MANIFESTS),
        await count(store, BLOBS),
    ) == (
        snapshots,
        manifests,
        blobs,
    )
    await in_flight.commit("the writer finishes")
    assert await repo.branch("main").download("pending.bin") == b"staged but not committed" * 100


async def test_unreachable_commits_of_deleted_branches_are_collected(memory_name: str) -> None:
    repo = await AsyncRepository.create(f"memory://{memory_name}")
    store = MemoryStorage(memory_name)
    dev = await repo.branch("dev").create("main")
    await dev.upload(b"dev only" * 300, "d.bin")
    await dev.commit_changes("dev")
    await dev.delete()
    summary = await repo.garbage_collect(later())
    assert summary.snapshots_deleted == 1
    assert summary.blobs_deleted == 1
    assert await count(store, BLOBS) == 0
    assert (await repo.branch("main").get_commit()).message == "Repository created"


async def test_gc_prunes_old_sequence_files_but_keeps_the_newest(
    memory_name: str, wrappers: dict[str, type]
) -> None:
    from sapwood.engine.gc import KEEP_SEQUENCE_FILES
    from sapwood.engine.keys import BRANCHES
    from sapwood.storage import Capabilities

    store = wrappers["masked"](
        MemoryStorage(memory_name), Capabilities(conditional_create=True, conditional_update=False)
    )
    repo = await AsyncRepository.create(store)
    session = await repo.writable_session("main")
    for number in range(KEEP_SEQUENCE_FILES + 9):
        await session.upload(str(number).encode(), "n")
        await session.commit(f"{number}")
    files = await count(MemoryStorage(memory_name), BRANCHES)
    assert files == KEEP_SEQUENCE_FILES + 10
    summary = await repo.garbage_collect(later())
    assert summary.refs_deleted == 10
    assert await count(MemoryStorage(memory_name), BRANCHES) == KEEP_SEQUENCE_FILES
    assert await repo.branch("main").download("n") == str(KEEP_SEQUENCE_FILES + 8).encode()
    more = await repo.writable_session("main")
    await more.upload(b"after", "n")
    await more.commit("after gc")
    assert await repo.branch("main").download("n") == b"after"
