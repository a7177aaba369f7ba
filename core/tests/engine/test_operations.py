"""The engine's operations and staging modules called directly, as the public classes call
them: ref resolution, log, diff, merge, revert, cherry-pick, and folding forks."""

from __future__ import annotations

import pytest

from sapwood.aio import AsyncRepository
from sapwood.engine import operations, staging
from sapwood.engine.format import Entry
from sapwood.errors import ConflictError, InvalidRefError, RefNotFoundError
from sapwood.models import Change


async def commit_files(repo: AsyncRepository, branch: str, files: dict[str, bytes]) -> bytes:
    handle = repo.branch(branch)
    for path, data in files.items():
        await handle.upload(data, path)
    return bytes.fromhex((await handle.commit_changes(f"write {sorted(files)}")).id)


async def test_commit_ids_resolve_by_prefix_and_refuse_short_or_unknown_ones(
    repo: AsyncRepository,
) -> None:
    raw = await commit_files(repo, "main", {"a.txt": b"a"})
    engine = repo.engine
    assert await operations.resolve_commit_id(engine, raw.hex()) == raw
    assert await operations.resolve_commit_id(engine, raw.hex()[:10]) == raw
    with pytest.raises(InvalidRefError, match="too short"):
        await operations.resolve_commit_id(engine, raw.hex()[:3])
    with pytest.raises(RefNotFoundError):
        await operations.resolve_commit_id(engine, "0" * 64)


async def test_log_filters_by_path_and_stops_at_max_amount(repo: AsyncRepository) -> None:
    first = await commit_files(repo, "main", {"a.txt": b"1"})
    await commit_files(repo, "main", {"b.txt": b"2"})
    head = await commit_files(repo, "main", {"a.txt": b"3"})
    engine = repo.engine
    touching_a = [c.id async for c in operations.log(engine, head, None, ["a.txt"])]
    assert touching_a == [head.hex(), first.hex()]
    assert [c.id async for c in operations.log(engine, head, 1, [])] == [head.hex()]
    assert [c async for c in operations.log(engine, head, 0, [])] == []


async def test_diff_reports_changes_in_path_order(repo: AsyncRepository) -> None:
    before = await commit_files(repo, "main", {"a.txt": b"1", "b.txt": b"2"})
    await repo.branch("main").delete_objects("b.txt")
    await repo.branch("main").upload(b"22", "a.txt")
    await repo.branch("main").upload(b"3", "c.txt")
    after = bytes.fromhex((await repo.branch("main").commit_changes("edit")).id)
    changes = [c async for c in operations.diff(repo.engine, before, after, "", None)]
    assert changes == [
        Change(type="changed", path="a.txt", size_bytes=2),
        Change(type="removed", path="b.txt", size_bytes=1),
        Change(type="added", path="c.txt", size_bytes=1),
    ]


async def test_merge_names_the_source_in_conflicts_and_is_a_no_op_when_merged(
    repo: AsyncRepository,
) -> None:
    await commit_files(repo, "main", {"a.txt": b"base"})
    await repo.branch("dev").create("main")
    dev = await commit_files(repo, "dev", {"a.txt": b"dev"})
    await commit_files(repo, "main", {"a.txt": b"main"})
    engine = repo.engine
    with pytest.raises(ConflictError, match="merging 'dev' into 'main'"):
        await operations.merge(
            engine, dev, "main", None, source_name="dev", message="m", author="t"
        )
    merged = await operations.merge(
        engine, dev, "main", "source-wins", source_name="dev", message="m", author="t"
    )
    assert len(merged.parents) == 2
    again = await operations.merge(
        engine, dev, "main", None, source_name="dev", message="m", author="t"
    )
    assert again == merged


async def test_revert_and_cherry_pick_record_their_source(repo: AsyncRepository) -> None:
    await repo.branch("dev").create("main")
    picked = await commit_files(repo, "dev", {"new.txt": b"n"})
    engine = repo.engine
    copy = await operations.cherry_pick(engine, "main", picked, author="t")
    assert copy.metadata == {"operation": "cherry-pick", "source": picked.hex()}
    assert await repo.branch("main").download("new.txt") == b"n"
    undone = await operations.revert(engine, "main", bytes.fromhex(copy.id), author="t")
    assert undone.message.startswith('Revert "')
    assert not await repo.branch("main").exists("new.txt")


def entry(path: str, checksum: bytes) -> Entry:
    return Entry(path=path, size=1, checksum=checksum, modified_us=0, inline=b"x")


def test_folding_forks_keeps_agreeing_paths_and_lists_colliding_ones() -> None:
    mine = {"shared.txt": entry("shared.txt", b"1")}
    agreeing = [{"a.txt": entry("a.txt", b"a")}, {"shared.txt": entry("shared.txt", b"1")}]
    assert set(staging.fold_forks(mine, agreeing)) == {"a.txt", "shared.txt"}
    colliding = [{"a.txt": entry("a.txt", b"a")}, {"a.txt": entry("a.txt", b"b")}]
    with pytest.raises(ConflictError) as raised:
        staging.fold_forks({}, colliding)
    assert list(raised.value.conflicts) == ["a.txt"]


def test_metadata_must_map_str_to_str() -> None:
    assert staging.check_metadata({}, "object metadata") is None
    assert staging.check_metadata({"k": "v"}, "object metadata") == {"k": "v"}
    with pytest.raises(TypeError, match="object metadata maps str to str"):
        staging.check_metadata({"k": 1}, "object metadata")  # type: ignore[dict-item]
