"""Three-way merges, strategies, cherry-pick, revert and reset."""

from __future__ import annotations

import pytest

from sapwood.aio import AsyncRepository
from sapwood.errors import ConfigError, ConflictError
from sapwood.models import Change, Commit


async def commit(
    repo: AsyncRepository, branch: str, files: dict[str, bytes | None], message: str
) -> Commit:
    handle = repo.branch(branch)
    for path, data in files.items():
        if data is None:
            await handle.delete_objects(path)
        else:
            await handle.upload(data, path)
    return await handle.commit_changes(message)


async def files(repo: AsyncRepository, ref: str) -> dict[str, bytes]:
    reference = repo.ref(ref)
    return {
        item.path: await reference.download(item.path) async for item in reference.list_objects()
    }


@pytest.fixture
async def forked(repo: AsyncRepository) -> AsyncRepository:
    await commit(repo, "main", {"same": b"0", "both": b"0", "gone": b"0"}, "base")
    await repo.branch("dev").create("main")
    return repo


async def test_a_clean_merge_combines_both_sides(forked: AsyncRepository) -> None:
    repo = forked
    await commit(repo, "dev", {"dev-only": b"d", "gone": None}, "dev")
    main_head = await commit(repo, "main", {"main-only": b"m"}, "main")
    dev_head = await repo.branch("dev").get_commit()
    merged = await repo.branch("dev").merge_into(repo.branch("main"))
    assert merged.parents == (main_head.id, dev_head.id)
    assert merged.message == "Merge 'dev' into 'main'"
    assert await files(repo, "main") == {
        "same": b"0",
        "both": b"0",
        "dev-only": b"d",
        "main-only": b"m",
    }
    assert await files(repo, "dev") == {"same": b"0", "both": b"0", "dev-only": b"d"}


async def test_merging_what_is_already_merged_changes_nothing(forked: AsyncRepository) -> None:
    repo = forked
    head = await repo.branch("main").get_commit()
    assert await repo.branch("dev").merge_into("main") == head
    await commit(repo, "dev", {"x": b"1"}, "x")
    first = await repo.branch("dev").merge_into("main")
    assert await repo.branch("dev").merge_into("main") == first


async def test_identical_changes_on_both_sides_do_not_conflict(forked: AsyncRepository) -> None:
    repo = forked
    await commit(repo, "dev", {"both": b"same edit"}, "dev")
    await commit(repo, "main", {"both": b"same edit"}, "main")
    await repo.branch("dev").merge_into("main")
    assert (await files(repo, "main"))["both"] == b"same edit"


async def test_conflicts_name_the_paths_or_follow_a_strategy(forked: AsyncRepository) -> None:
    repo = forked
    await commit(repo, "dev", {"both": b"dev", "gone": b"dev edit"}, "dev")
    await commit(repo, "main", {"both": b"main", "gone": None}, "main")
    before = await repo.branch("main").get_commit()
    with pytest.raises(ConflictError) as caught:
        await repo.branch("dev").merge_into("main")
    assert caught.value.conflicts == ("both", "gone")
    assert "source-wins" in str(caught.value)
    assert await repo.branch("main").get_commit() == before
    await repo.branch("dev").merge_into("main", strategy="dest-wins")
    assert (await files(repo, "main"))["both"] == b"main"
    assert "gone" not in await files(repo, "main")
    await commit(repo, "dev", {"both": b"dev 2"}, "dev 2")
    await repo.branch("dev").merge_into("main", strategy="source-wins")
    assert (await files(repo, "main"))["both"] == b"dev 2"
    with pytest.raises(ConfigError, match="unknown merge strategy"):
        await repo.branch("dev").merge_into("main", strategy="ours")  # type: ignore[arg-type]


async def test_cherry_pick_repeats_one_commit(forked: AsyncRepository) -> None:
    repo = forked
    await commit(repo, "dev", {"a": b"1"}, "a")
    picked = await commit(repo, "dev", {"b": b"1", "same": None}, "b")
    result = await repo.branch("main").cherry_pick(picked)
    assert result.message == "b"
    assert result.metadata == {"operation": "cherry-pick", "source": picked.id}
    main_files = await files(repo, "main")
    assert main_files.get("b") == b"1"
    assert "a" not in main_files
    assert "same" not in main_files


async def test_revert_undoes_a_commit_unless_later_work_collides(forked: AsyncRepository) -> None:
    repo = forked
    bad = await commit(repo, "main", {"both": b"bad", "new": b"n"}, "bad")
    await commit(repo, "main", {"later": b"l"}, "later")
    reverted = await repo.branch("main").revert(bad.id)
    assert reverted.message == 'Revert "bad"'
    assert await files(repo, "main") == {"same": b"0", "both": b"0", "gone": b"0", "later": b"l"}
    again = await commit(repo, "main", {"both": b"x"}, "x")
    await commit(repo, "main", {"both": b"y"}, "y")
    with pytest.raises(ConflictError) as caught:
        await repo.branch("main").revert(again)
    assert caught.value.conflicts == ("both",)


async def test_reset_to_moves_the_branch_but_not_with_staged_changes(
    forked: AsyncRepository,
) -> None:
    repo = forked
    base = await repo.branch("main").get_commit()
    await commit(repo, "main", {"x": b"1"}, "x")
    main = repo.branch("main")
    await main.upload(b"staged", "s")
    with pytest.raises(ConflictError, match="staged") as caught:
        await main.reset_to(base)
    assert caught.value.conflicts == ("s",)
    with pytest.raises(ConflictError):
        await main.revert(base)
    await main.reset()
    await main.reset_to("main~1")
    assert await main.get_commit() == base


async def test_diff_lists_what_turns_one_ref_into_another(forked: AsyncRepository) -> None:
    repo = forked
    await commit(repo, "dev", {"same": None, "both": b"12345", "new/x": b"1"}, "dev")
    changes = [c async for c in repo.ref("main").diff("dev")]
    assert changes == [
        Change(type="changed", path="both", size_bytes=5),
        Change(type="added", path="new/x", size_bytes=1),
        Change(type="removed", path="same", size_bytes=1),
    ]
    assert [c.path async for c in repo.ref("main").diff(repo.branch("dev"), prefix="new/")] == [
        "new/x"
    ]
    assert len([c async for c in repo.ref("main").diff("dev", max_amount=2)]) == 2
    assert [c async for c in repo.ref("dev").diff("dev")] == []
