"""What lakeFS users rely on (DESIGN.md's lakeFS-semantics paragraph), on memory and local
repositories: transaction tags, reverting a merge by parent number, cherry-picks keeping
metadata, ``exist_ok`` on tags, diff with ``delimiter`` and ``after``, deleting a
repository, a chosen default branch, and the traps a new user falls into."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

import sapwood
import sapwood.aio
from sapwood_memory.storage import drop_bucket


@pytest.fixture(params=["memory", "local"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh store's URL on each kind of backend that needs no server."""
    if request.param == "memory":
        name = f"lakefs-{uuid.uuid4().hex[:12]}"
        yield f"memory://{name}"
        drop_bucket(name)
    else:
        yield (tmp_path / "repo").as_uri()


@pytest.fixture
def any_repo(store_url: str) -> Iterator[sapwood.Repository]:
    """A new repository on memory or local."""
    with sapwood.Repository.create(store_url) as repository:
        yield repository


def test_transaction_tags_its_commit(any_repo: sapwood.Repository) -> None:
    main = any_repo.branch("main")
    with main.transaction("release", tag="v1") as tx:
        tx.upload(b"1", "version.txt")
    assert any_repo.tag("v1").get_commit().message == "release"
    head = main.get_commit().id
    with pytest.raises(sapwood.RefExistsError, match="v1"), main.transaction("again", tag="v1"):
        pytest.fail("the block must not run when the tag is taken")
    assert main.get_commit().id == head


def test_revert_a_merge_by_parent_number(any_repo: sapwood.Repository) -> None:
    main = any_repo.branch("main")
    main.upload(b"base", "base.txt")
    main.commit_changes("base")
    dev = any_repo.branch("dev").create("main")
    dev.upload(b"feature", "feature.txt")
    dev.commit_changes("feature")
    main.upload(b"hotfix", "hotfix.txt")
    main.commit_changes("hotfix")
    merge = dev.merge_into(main)
    assert len(merge.parents) == 2
    main.revert(merge, parent_number=1)  # undo what dev brought in
    assert not main.exists("feature.txt")
    assert main.exists("hotfix.txt")
    with pytest.raises(sapwood.InvalidRefError, match="parent_number 3"):
        main.revert(merge, parent_number=3)


def test_revert_against_the_second_parent(any_repo: sapwood.Repository) -> None:
    main = any_repo.branch("main")
    main.upload(b"base", "base.txt")
    main.commit_changes("base")
    dev = any_repo.branch("dev").create("main")
    dev.upload(b"feature", "feature.txt")
    dev.commit_changes("feature")
    main.upload(b"hotfix", "hotfix.txt")
    main.commit_changes("hotfix")
    merge = dev.merge_into(main)
    main.revert(merge, parent_number=2)  # undo what main had that dev lacked
    assert main.exists("feature.txt")
    assert not main.exists("hotfix.txt")


def test_cherry_pick_keeps_metadata_and_records_provenance(any_repo: sapwood.Repository) -> None:
    dev = any_repo.branch("dev").create("main")
    dev.upload(b"x", "x.txt")
    picked = dev.commit_changes("add x", metadata={"run": "42", "owner": "ml"})
    copy = any_repo.branch("main").cherry_pick(picked)
    assert copy.message == "add x"
    assert copy.metadata["run"] == "42"
    assert copy.metadata["owner"] == "ml"
    assert copy.metadata["source"] == picked.id
    assert copy.metadata["operation"] == "cherry-pick"


def test_revert_and_cherry_pick_take_a_message(any_repo: sapwood.Repository) -> None:
    main = any_repo.branch("main")
    dev = any_repo.branch("dev").create("main")
    dev.upload(b"x", "x.txt")
    picked = dev.commit_changes("add x", metadata={"run": "42"})
    copy = main.cherry_pick(picked, message="take x from dev")
    assert copy.message == "take x from dev"
    assert copy.metadata["run"] == "42"
    undone = main.revert(copy, message="drop x again")
    assert undone.message == "drop x again"
    assert not main.exists("x.txt")
    with pytest.raises(TypeError, match="commit message is a str"):
        main.revert(undone, message=b"bytes")  # type: ignore[arg-type]
    assert main.get_commit().id == undone.id


def test_a_conflicting_revert_says_how_to_settle_it_without_a_strategy(
    any_repo: sapwood.Repository,
) -> None:
    main = any_repo.branch("main")
    main.upload(b"1", "f.txt")
    first = main.commit_changes("one")
    main.upload(b"2", "f.txt")
    main.commit_changes("two")
    with pytest.raises(sapwood.ConflictError) as raised:
        main.revert(first)
    assert list(raised.value.conflicts) == ["f.txt"]
    assert "strategy" not in str(raised.value)  # revert takes none
    assert "revert again" in str(raised.value)


def test_tag_create_exist_ok(any_repo: sapwood.Repository) -> None:
    main = any_repo.branch("main")
    first = main.get_commit()
    tag = any_repo.tag("v1").create(first)
    assert any_repo.tag("v1").create(first, exist_ok=True).get_commit().id == first.id
    with pytest.raises(sapwood.RefExistsError):
        any_repo.tag("v1").create(first)
    main.upload(b"a", "a.txt")
    main.commit_changes("a")
    with pytest.raises(sapwood.RefExistsError, match="never move"):
        any_repo.tag("v1").create("main", exist_ok=True)
    tag.delete()
    with pytest.raises(sapwood.RefExistsError, match="deleted"):
        any_repo.tag("v1").create(first, exist_ok=True)


def test_diff_with_delimiter_and_after(any_repo: sapwood.Repository) -> None:
    main = any_repo.branch("main")
    before = main.get_commit()
    for path in ["a.txt", "data/1.bin", "data/2.bin", "logs/x/y.txt", "z.txt"]:
        main.upload(path.encode(), path)
    main.commit_changes("many")
    flat = [c.path for c in any_repo.ref(before.id).diff("main")]
    assert flat == ["a.txt", "data/1.bin", "data/2.bin", "logs/x/y.txt", "z.txt"]
    grouped = list(any_repo.ref(before.id).diff("main", delimiter="/"))
    assert [(c.path, c.path_type) for c in grouped] == [
        ("a.txt", "object"),
        ("data/", "common_prefix"),
        ("logs/", "common_prefix"),
        ("z.txt", "object"),
    ]
    assert [c.path for c in any_repo.ref(before.id).diff("main", after="data/1.bin")] == [
        "data/2.bin",
        "logs/x/y.txt",
        "z.txt",
    ]
    assert [c.path for c in any_repo.ref(before.id).diff("main", delimiter="/", after="data/")] == [
        "logs/",
        "z.txt",
    ]
    assert [
        c.path for c in any_repo.ref(before.id).diff("main", prefix="logs/", delimiter="/")
    ] == ["logs/x/"]
    assert [c.path for c in any_repo.ref(before.id).diff("main", max_amount=2)] == [
        "a.txt",
        "data/1.bin",
    ]


def test_repository_delete_removes_everything(store_url: str) -> None:
    repo = sapwood.Repository.create(store_url)
    main = repo.branch("main")
    main.upload(b"a", "a.txt")
    with pytest.raises(sapwood.ConflictError, match="main"):
        repo.delete()
    main.commit_changes("a")
    repo.delete()
    assert not sapwood.Repository.exists(store_url)
    with pytest.raises(sapwood.RepositoryNotFoundError):
        sapwood.Repository.open(store_url)
    sapwood.Repository.create(store_url).close()  # the location is empty again


async def test_async_repository_delete(store_url: str) -> None:
    repo = await sapwood.aio.AsyncRepository.create(store_url)
    await repo.delete()
    assert not await sapwood.aio.AsyncRepository.exists(store_url)


def test_a_chosen_default_branch(store_url: str) -> None:
    with sapwood.Repository.create(store_url, default_branch="trunk") as repo:
        assert repo.default_branch == "trunk"
        assert [b.id for b in repo.list_branches()] == ["trunk"]
        assert repo.metadata()["default_branch"] == "trunk"
        repo.branch("trunk").upload(b"t", "t.txt")
        on_trunk = repo.branch("trunk").commit_changes("t")
        assert repo.branch("feature").create().get_commit() == on_trunk
    for opened in (
        sapwood.Repository.open(store_url),
        sapwood.Repository.open_or_create(store_url),
        sapwood.repository(store_url),
    ):
        with opened as repo:
            assert repo.default_branch == "trunk"
            assert repo.readonly_session().snapshot_id == repo.branch("trunk").get_commit().id
            with pytest.raises(sapwood.ConflictError, match="default branch"):
                repo.branch("trunk").delete()
    with pytest.raises(sapwood.InvalidRefError):
        sapwood.Repository.create(store_url + "-other", default_branch="bad name~")


def test_the_default_branch_cannot_be_deleted(any_repo: sapwood.Repository) -> None:
    with pytest.raises(sapwood.ConflictError, match="default branch"):
        any_repo.branch("main").delete()
    assert any_repo.branch("main").get_commit()
    dev = any_repo.branch("dev").create("main")
    dev.delete()
    assert [b.id for b in any_repo.list_branches()] == ["main"]


def test_closing_with_staged_changes_warns_naming_the_branches(store_url: str) -> None:
    repo = sapwood.Repository.create(store_url)
    repo.branch("main").upload(b"a", "a.txt")
    repo.branch("dev").create("main").upload(b"b", "b.txt")
    with pytest.warns(sapwood.StagedChangesWarning, match="'dev', 'main'") as caught:
        repo.close()
    # Filters and pytest.warns written for either kind of warning catch it.
    assert issubclass(caught[0].category, ResourceWarning)
    assert issubclass(caught[0].category, UserWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with sapwood.Repository.open(store_url) as clean:
            clean.branch("main").upload(b"a", "a.txt")
            clean.branch("main").commit_changes("a")


def test_creating_in_a_folder_of_other_data_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.jpg").write_bytes(b"meow")
    for attempt in (sapwood.Repository.create, sapwood.repository):
        with pytest.raises(sapwood.ConfigError, match="not empty") as raised:
            attempt(folder)
        assert "'cat.jpg'" in str(raised.value)
        assert "ObjectMeta" not in str(raised.value)  # the key, not the backend's record
    assert sorted(p.name for p in folder.iterdir()) == ["cat.jpg"]


def test_creating_in_a_memory_prefix_of_other_data_is_refused() -> None:
    name = f"occupied-{uuid.uuid4().hex[:8]}"
    try:
        with sapwood.repository(f"memory://{name}/repo") as repo:
            repo.branch("main").upload(b"x", "x")
            repo.branch("main").commit_changes("x")
        with pytest.raises(sapwood.ConfigError, match="not empty"):
            sapwood.Repository.create(f"memory://{name}")
    finally:
        drop_bucket(name)


def test_sessions_count_as_staged_changes_for_close_and_delete(store_url: str) -> None:
    repo = sapwood.Repository.create(store_url)
    session = repo.writable_session("main")
    session.upload(b"s", "s.txt")
    with pytest.raises(sapwood.ConflictError, match="'main'"):
        repo.delete()
    with pytest.warns(ResourceWarning, match="'main'"):
        repo.close()
    with sapwood.Repository.open(store_url) as again:
        again.delete()
