"""Ref expressions, log (with a path filter), time travel and merge bases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sapwood.aio import AsyncRepository
from sapwood.engine.history import merge_base
from sapwood.engine.refexpr import parse_ref_expression
from sapwood.errors import InvalidRefError, RefNotFoundError
from sapwood.models import Commit


async def commit(
    repo: AsyncRepository, branch: str, files: dict[str, bytes], message: str
) -> Commit:
    handle = repo.branch(branch)
    for path, data in files.items():
        await handle.upload(data, path)
    return await handle.commit_changes(message)


def test_expressions_split_into_a_name_and_steps() -> None:
    assert parse_ref_expression("main") == ("main", [])
    assert parse_ref_expression("main~2") == ("main", [("~", 2)])
    assert parse_ref_expression("v1^") == ("v1", [("^", 1)])
    assert parse_ref_expression("feature/x~^2~") == ("feature/x", [("~", 1), ("^", 2), ("~", 1)])
    for bad in ("", "~1", "main~x", "main^^a", "a..b~1"):
        with pytest.raises(InvalidRefError):
            parse_ref_expression(bad)


async def test_tilde_and_caret_walk_parents(repo: AsyncRepository) -> None:
    first = await commit(repo, "main", {"a": b"1"}, "first")
    second = await commit(repo, "main", {"a": b"2"}, "second")
    third = await commit(repo, "main", {"a": b"3"}, "third")
    assert (await repo.ref("main").get_commit()) == third
    assert (await repo.ref("main~1").get_commit()) == second
    assert (await repo.ref("main~2").get_commit()) == first
    assert (await repo.ref("main^^").get_commit()) == first
    assert (await repo.ref("main^0").get_commit()) == third
    await repo.tag("v3").create("main")
    assert (await repo.ref("v3^").get_commit()) == second
    assert await repo.ref("main~1").download("a") == b"2"
    with pytest.raises(RefNotFoundError, match="past the start of history"):
        await repo.ref("main~9").get_commit()


async def test_second_parents_and_commit_prefixes(repo: AsyncRepository) -> None:
    await commit(repo, "main", {"base": b"0"}, "base")
    await repo.branch("dev").create("main")
    dev_head = await commit(repo, "dev", {"d": b"1"}, "on dev")
    main_head = await commit(repo, "main", {"m": b"1"}, "on main")
    merged = await repo.branch("dev").merge_into("main")
    assert merged.parents == (main_head.id, dev_head.id)
    assert (await repo.ref("main^2").get_commit()) == dev_head
    assert (await repo.ref("main^1").get_commit()) == main_head
    assert (await repo.ref(merged.id[:10]).get_commit()) == merged
    assert (await repo.commit(merged.id[:8]).get_commit()) == merged
    with pytest.raises(InvalidRefError, match="too short"):
        await repo.commit("abc").get_commit()


async def test_an_unknown_name_lists_the_branches_and_tags(repo: AsyncRepository) -> None:
    await repo.tag("v1").create("main")
    with pytest.raises(RefNotFoundError, match=r"branches: main; tags: v1"):
        await repo.ref("nope").get_commit()


async def test_log_is_newest_first_and_filters_by_path(repo: AsyncRepository) -> None:
    a1 = await commit(repo, "main", {"data/a": b"1"}, "a1")
    b1 = await commit(repo, "main", {"data/b": b"1"}, "b1")
    other = await commit(repo, "main", {"other": b"1"}, "other")
    a2 = await commit(repo, "main", {"data/a": b"2"}, "a2")
    main = repo.branch("main")
    messages = [c.message async for c in main.log()]
    assert messages == ["a2", "other", "b1", "a1", "Repository created"]
    assert [c async for c in main.log(max_amount=2)] == [a2, other]
    assert [c async for c in main.log(paths=["data/a"])] == [a2, a1]
    assert [c async for c in main.log(paths="data")] == [a2, b1, a1]
    assert [c async for c in main.log(paths=["data/"], max_amount=1)] == [a2]
    assert [c async for c in main.log(paths=["nothing"])] == []


async def test_log_includes_both_sides_of_a_merge(repo: AsyncRepository) -> None:
    await commit(repo, "main", {"x": b"0"}, "base")
    await repo.branch("dev").create("main")
    await commit(repo, "dev", {"d": b"1"}, "dev work")
    await commit(repo, "main", {"m": b"1"}, "main work")
    await repo.branch("dev").merge_into("main", message="merge dev")
    messages = [c.message async for c in repo.branch("main").log()]
    assert messages[0] == "merge dev"
    assert set(messages[1:3]) == {"dev work", "main work"}
    assert messages[3:] == ["base", "Repository created"]
    assert [c.message async for c in repo.branch("main").log(paths=["d"])] == ["dev work"]


async def test_as_of_reads_the_branch_as_it_was(repo: AsyncRepository) -> None:
    start = datetime.now(UTC) + timedelta(days=1)
    clock = [start]

    def now() -> datetime:
        clock[0] += timedelta(hours=1)
        return clock[0]

    repo.engine.clock = now
    await commit(repo, "main", {"f": b"v1"}, "v1")
    await commit(repo, "main", {"f": b"v2"}, "v2")
    session = await repo.readonly_session("main", as_of=start + timedelta(hours=2, minutes=30))
    assert await session.download("f") == b"v1"
    latest = await repo.readonly_session(branch="main", as_of=start + timedelta(days=9))
    assert await latest.download("f") == b"v2"
    with pytest.raises(RefNotFoundError, match="no commit at or before"):
        await repo.readonly_session("main", as_of=datetime(2000, 1, 1, tzinfo=UTC))
    with pytest.raises(InvalidRefError):
        await repo.readonly_session("main", tag="x")


async def test_merge_base_is_the_newest_common_ancestor(repo: AsyncRepository) -> None:
    base = await commit(repo, "main", {"x": b"0"}, "base")
    await repo.branch("dev").create("main")
    left = await commit(repo, "main", {"m": b"1"}, "m")
    right = await commit(repo, "dev", {"d": b"1"}, "d")
    engine = repo.engine
    found = await merge_base(engine, bytes.fromhex(left.id), bytes.fromhex(right.id))
    assert found == bytes.fromhex(base.id)
    assert await merge_base(
        engine, bytes.fromhex(left.id), bytes.fromhex(base.id)
    ) == bytes.fromhex(base.id)


async def test_commit_times_never_go_backwards(repo: AsyncRepository) -> None:
    repo.engine.clock = lambda: datetime(2000, 1, 1, tzinfo=UTC)
    first = await commit(repo, "main", {"a": b"1"}, "1")
    second = await commit(repo, "main", {"a": b"2"}, "2")
    assert second.committed_at > first.committed_at
