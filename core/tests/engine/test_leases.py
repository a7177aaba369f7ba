"""What staged changes refer to survives garbage collection, whatever its age (leases)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sapwood.aio import AsyncRepository
from sapwood.engine import leases
from sapwood.engine.keys import blob_key
from sapwood.engine.leases import GC_RUNS, LEASES
from sapwood.engine.listing import list_objects
from sapwood.errors import IntegrityError
from sapwood.storage import ForwardingStorage, ListEntry, Storage
from sapwood_memory.storage import MemoryStorage

DATA = b"copied data " * 100  # large enough to be a blob of its own
FRESH = b"fresh upload " * 100


def much_later() -> datetime:
    """A cutoff after everything: only leases and the run's own start protect anything."""
    return datetime.now(UTC) + timedelta(days=30)


@pytest.fixture(params=["memory", "local"])
async def repo(
    request: pytest.FixtureRequest, memory_name: str, tmp_path: Path
) -> AsyncIterator[AsyncRepository]:
    """A new repository in memory or in a local folder."""
    url = f"memory://{memory_name}" if request.param == "memory" else (tmp_path / "r").as_uri()
    repository = await AsyncRepository.create(url)
    yield repository
    await repository.close()


async def scratch_commit(repo: AsyncRepository, data: bytes = DATA) -> str:
    """A commit holding ``data`` at ``src.bin`` that no ref reaches any more."""
    scratch = await repo.branch("scratch").create("main")
    await scratch.upload(data, "src.bin")
    commit = await scratch.commit_changes("scratch")
    await scratch.delete()
    return commit.id


async def test_a_staged_copy_of_unreachable_data_survives_gc(repo: AsyncRepository) -> None:
    scratch = repo.branch("scratch")
    await scratch.create("main")
    await scratch.upload(DATA, "src.bin")
    await scratch.commit_changes("scratch")
    session = await repo.writable_session("main")
    await session.copy_object("scratch", "src.bin", "copy.bin")
    await scratch.delete()  # the staged copy is now the only reference
    summary = await repo.garbage_collect(much_later())
    assert summary.snapshots_deleted >= 1  # the scratch commit went, its blob stayed
    commit = await session.commit("copy")
    reader = await repo.readonly_session(snapshot_id=commit.id)
    assert await reader.download("copy.bin") == DATA
    assert await list_objects(repo.engine.layer, LEASES) == []  # released after commit


async def test_a_staged_upload_survives_gc_whatever_the_cutoff(repo: AsyncRepository) -> None:
    session = await repo.writable_session("main")
    await session.upload(FRESH, "fresh.bin")
    summary = await repo.garbage_collect(much_later())
    assert summary.blobs_deleted == 0
    commit = await session.commit("fresh")
    assert await (await repo.readonly_session(snapshot_id=commit.id)).download("fresh.bin") == FRESH


async def test_gc_deletes_the_data_once_the_lease_is_released(repo: AsyncRepository) -> None:
    session = await repo.writable_session("main")
    await session.upload(FRESH, "fresh.bin")
    await session.discard()
    assert await list_objects(repo.engine.layer, LEASES) == []
    summary = await repo.garbage_collect(much_later())
    assert summary.blobs_deleted == 1


async def test_a_stale_lease_protects_nothing_and_the_commit_refuses(
    repo: AsyncRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = await scratch_commit(repo)
    session = await repo.writable_session("main")
    await session.copy_object(source, "src.bin", "copy.bin")
    head = (await repo.branch("main").get_commit()).id
    monkeypatch.setattr(leases, "LEASE_TTL", timedelta(0))
    summary = await repo.garbage_collect(much_later())
    assert summary.blobs_deleted == 1
    assert await list_objects(repo.engine.layer, LEASES) == []  # stale: deleted
    with pytest.raises(IntegrityError, match=r"copy\.bin"):
        await session.commit("copy")
    assert (await repo.branch("main").get_commit()).id == head  # the branch did not move


async def test_copying_data_already_collected_is_refused(repo: AsyncRepository) -> None:
    source = await scratch_commit(repo)
    entry = await (await repo.engine.tree(bytes.fromhex(source))).get("src.bin")
    assert entry is not None
    assert entry.chunks
    # A collection in another process deleted the data (this process's trees stay cached).
    await repo.engine.layer.delete(blob_key(entry.chunks[0].id))
    session = await repo.writable_session("main")
    with pytest.raises(IntegrityError, match="no longer in the store"):
        await session.copy_object(source, "src.bin", "copy.bin")
    assert not session.has_uncommitted_changes


async def test_a_writer_waits_for_a_running_collection(repo: AsyncRepository) -> None:
    layer = repo.engine.layer
    source = await scratch_commit(repo)
    entry = await (await repo.engine.tree(bytes.fromhex(source))).get("src.bin")
    assert entry is not None
    assert entry.chunks
    await layer.put(f"{GC_RUNS}manual", b'{"state": "running"}')
    session = await repo.writable_session("main")
    copying = asyncio.create_task(session.copy_object(source, "src.bin", "copy.bin"))
    for _ in range(20):
        await asyncio.sleep(0.01)
    assert not copying.done()  # it waits while the collection runs
    await layer.delete(blob_key(entry.chunks[0].id))  # what the collection deleted
    await layer.put(f"{GC_RUNS}manual", b'{"state": "done"}')
    with pytest.raises(IntegrityError):  # then sees what the collection deleted
        await copying


async def test_a_dead_collection_does_not_block_writers(
    repo: AsyncRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = await scratch_commit(repo)
    await repo.engine.layer.put(f"{GC_RUNS}killed", b'{"state": "running"}')
    monkeypatch.setattr(leases, "GC_STALE_AFTER", timedelta(0))
    session = await repo.writable_session("main")
    await session.copy_object(source, "src.bin", "copy.bin")
    commit = await session.commit("copy")
    assert await (await repo.readonly_session(snapshot_id=commit.id)).download("copy.bin") == DATA


async def test_gc_leaves_a_run_record_only_when_it_deleted_something(
    repo: AsyncRepository,
) -> None:
    layer = repo.engine.layer
    await repo.garbage_collect(much_later())
    assert await list_objects(layer, GC_RUNS) == []
    await scratch_commit(repo)
    await repo.garbage_collect(much_later())
    records = await list_objects(layer, GC_RUNS)
    assert len(records) == 1
    assert await layer.get(records[0].key) == b'{"state": "done"}'


async def test_a_damaged_lease_stops_gc_with_the_file_named(repo: AsyncRepository) -> None:
    await repo.engine.layer.put(f"{LEASES}x/part-00000000", b"{not json")
    with pytest.raises(IntegrityError, match="leases/x/part-00000000"):
        await repo.garbage_collect(much_later())


class RewriteAfterListing(ForwardingStorage):
    """Runs ``hook`` once, right after a listing of ``blobs/`` has been read through (as
    a writer re-uploading identical content between a collection's listing and its
    deletions would)."""

    def __init__(self, inner: Storage, hook: Callable[[], Awaitable[None]]) -> None:
        super().__init__(inner)
        self.hook: Callable[[], Awaitable[None]] | None = hook

    def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        return self._list(prefix, delimiter, start_after)

    async def _list(
        self, prefix: str, delimiter: str | None, start_after: str | None
    ) -> AsyncIterator[ListEntry]:
        async for item in self.inner.list(prefix, delimiter, start_after):
            yield item
        if prefix == "blobs/" and self.hook is not None:
            hook, self.hook = self.hook, None
            await hook()


async def test_a_blob_stored_again_during_a_collection_is_spared(memory_name: str) -> None:
    repo = await AsyncRepository.create(f"memory://{memory_name}")
    source = await scratch_commit(repo)
    entry = await (await repo.engine.tree(bytes.fromhex(source))).get("src.bin")
    assert entry is not None
    assert entry.chunks
    key = blob_key(entry.chunks[0].id)
    inner = MemoryStorage(memory_name)

    async def upload_again() -> None:
        await inner.put(key, await inner.get(key), metadata=(await inner.head(key)).metadata)

    collector = await AsyncRepository.open(RewriteAfterListing(inner, upload_again))
    summary = await collector.garbage_collect(much_later())
    assert summary.snapshots_deleted == 1  # the scratch commit went
    assert summary.blobs_deleted == 0  # its blob, stored again meanwhile, stayed
    assert await inner.get(key)
    await collector.close()
    await repo.close()


async def test_a_merge_leases_what_it_brings_and_leaves_no_lease(repo: AsyncRepository) -> None:
    dev = await repo.branch("dev").create("main")
    await dev.upload(DATA, "from-dev.bin")
    await dev.commit_changes("dev")
    merged = await dev.merge_into("main")
    reader = await repo.readonly_session(snapshot_id=merged.id)
    assert await reader.download("from-dev.bin") == DATA
    assert await list_objects(repo.engine.layer, LEASES) == []


async def test_a_merge_whose_data_a_collection_removed_is_refused(repo: AsyncRepository) -> None:
    dev = await repo.branch("dev").create("main")
    await dev.upload(DATA, "from-dev.bin")
    commit = await dev.commit_changes("dev")
    entry = await (await repo.engine.tree(bytes.fromhex(commit.id))).get("from-dev.bin")
    assert entry is not None
    assert entry.chunks
    # A collection (in another process) just ran and the blob is gone.
    await repo.engine.layer.delete(blob_key(entry.chunks[0].id))
    await repo.engine.layer.put(f"{GC_RUNS}recent", b'{"state": "done"}')
    head = (await repo.branch("main").get_commit()).id
    with pytest.raises(IntegrityError, match=r"from-dev\.bin"):
        await dev.merge_into("main")
    assert (await repo.branch("main").get_commit()).id == head
    assert await list_objects(repo.engine.layer, LEASES) == []


async def test_a_collection_still_marking_does_not_hold_a_writer_up(memory_name: str) -> None:
    repo = await AsyncRepository.create(f"memory://{memory_name}")
    source = await scratch_commit(repo)
    session = await repo.writable_session("main")

    async def copy_meanwhile() -> None:
        # Runs inside the collection's listing: were the writer to wait for it, this
        # would never return (the guard below turns that into a failure, not a hang).
        await session.copy_object(source, "src.bin", "copy.bin")

    collector = await AsyncRepository.open(
        RewriteAfterListing(MemoryStorage(memory_name), copy_meanwhile)
    )
    summary = await asyncio.wait_for(collector.garbage_collect(much_later()), timeout=60)
    assert summary.blobs_deleted == 0  # the copy's lease, read again before deleting
    commit = await session.commit("copy")
    assert await (await repo.readonly_session(snapshot_id=commit.id)).download("copy.bin") == DATA
    await collector.close()
    await repo.close()


async def test_a_merge_keeps_its_source_commit_through_a_collection(memory_name: str) -> None:
    repo = await AsyncRepository.create(f"memory://{memory_name}")
    dev = await repo.branch("dev").create("main")
    await dev.upload(DATA, "from-dev.bin")
    source = (await dev.commit_changes("dev")).id
    await dev.delete()  # the source commit is now unreachable, and old for the cutoff
    merged: list[str] = []

    async def merge_meanwhile() -> None:
        merged.append((await repo.ref(source).merge_into("main")).id)

    collector = await AsyncRepository.open(
        RewriteAfterListing(MemoryStorage(memory_name), merge_meanwhile)
    )
    summary = await asyncio.wait_for(collector.garbage_collect(much_later()), timeout=60)
    assert summary.snapshots_deleted == 0  # the merge's second parent stayed
    [merge] = merged
    assert [c.message async for c in repo.ref(merge).log()][:2] == [
        f"Merge {source!r} into 'main'",
        "dev",
    ]
    fresh = await AsyncRepository.open(f"memory://{memory_name}")
    assert (await fresh.verify()).ok
    await fresh.close()
    await collector.close()
    await repo.close()
