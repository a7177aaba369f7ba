"""A merge whose fork point was expired never silently becomes a two-way merge."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sapwood.aio import AsyncRepository
from sapwood.errors import ConflictError


def later() -> datetime:
    return datetime.now(UTC) + timedelta(days=1)


@pytest.fixture(params=["memory", "local"])
async def repo(
    request: pytest.FixtureRequest, memory_name: str, tmp_path: Path
) -> AsyncIterator[AsyncRepository]:
    """A repository where ``dev`` forked from ``main``, then ``main`` deleted ``b.txt`` and
    ``dev`` added ``c.txt``; every commit but the heads is expired."""
    url = f"memory://{memory_name}" if request.param == "memory" else (tmp_path / "r").as_uri()
    repository = await AsyncRepository.create(url)
    main = repository.branch("main")
    await main.upload(b"a", "a.txt")
    await main.upload(b"b", "b.txt")
    await main.commit_changes("fork point")
    dev = await repository.branch("dev").create("main")
    await main.delete_objects("b.txt")
    await main.commit_changes("delete b")
    await dev.upload(b"c", "c.txt")
    await dev.commit_changes("add c")
    assert await repository.expire_snapshots(later())  # the fork point among them
    yield repository
    await repository.close()


async def test_a_collected_fork_point_stops_the_merge(repo: AsyncRepository) -> None:
    await repo.garbage_collect(later())
    head = (await repo.branch("main").get_commit()).id
    with pytest.raises(ConflictError, match="expire_snapshots cut it"):
        await repo.branch("dev").merge_into("main")
    assert (await repo.branch("main").get_commit()).id == head
    assert not await repo.branch("main").exists("b.txt")


async def test_an_expired_fork_point_still_on_storage_is_the_base(repo: AsyncRepository) -> None:
    merged = await repo.branch("dev").merge_into("main")
    reader = await repo.readonly_session(snapshot_id=merged.id)
    assert not await reader.exists("b.txt")  # the deletion holds
    assert await reader.download("c.txt") == b"c"
    assert len(merged.parents) == 2
    assert {c.message async for c in repo.branch("main").log()} == {
        merged.message,
        "delete b",
        "add c",
    }
