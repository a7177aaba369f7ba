"""Values: Commit, ObjectInfo, Change and CommonPrefix carry DESIGN.md's fields."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import sapwood


def test_commit_fields(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    root = main.get_commit()
    main.upload(b"x", "x")
    commit = main.commit_changes("message", metadata={"k": "v"})
    assert isinstance(commit.id, str)
    assert len(commit.id) >= 12
    assert tuple(commit.parents) == (root.id,)
    assert commit.message == "message"
    assert commit.metadata == {"k": "v"}
    assert isinstance(commit.author, str)
    assert isinstance(commit.committed_at, datetime)
    assert commit.committed_at >= root.committed_at
    assert main.get_commit() == commit


def test_commit_ids_differ_and_are_stable(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"1", "x")
    first = main.commit_changes("same message")
    main.upload(b"2", "x")
    second = main.commit_changes("same message")
    assert first.id != second.id
    assert repo.commit(first.id).get_commit().id == first.id


def test_object_info_fields(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"abc", "dir/f", content_type="text/plain", metadata={"m": "1"})
    main.commit_changes("f")
    info = main.stat_object("dir/f")
    assert info.path == "dir/f"
    assert info.size_bytes == 3
    assert isinstance(info.checksum, str)
    assert info.content_type == "text/plain"
    assert info.metadata == {"m": "1"}
    assert isinstance(info.modified_time, datetime)
    assert hasattr(info, "physical_address")


def test_object_info_default_content_type(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"abc", "f.bin")
    main.commit_changes("f")
    assert isinstance(main.stat_object("f.bin").content_type, str)
    assert main.stat_object("f.bin").metadata == {}


def test_change_fields(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"12345", "five")
    change = next(iter(main.list_uncommitted()))
    assert change.type == "added"
    assert change.path == "five"
    assert isinstance(change.path_type, str)
    assert change.size_bytes == 5


def test_common_prefix_field() -> None:
    prefix = sapwood.CommonPrefix(path="a/b/")
    assert prefix.path == "a/b/"
    assert sapwood.CommonPrefix("a/") == sapwood.CommonPrefix(path="a/")


def test_values_construct_by_keyword() -> None:
    now = datetime.now(UTC)
    commit = sapwood.Commit(
        id="abc",
        parents=("def",),
        message="m",
        metadata={},
        author="me",
        committed_at=now,
    )
    assert commit.committed_at == now
    info = sapwood.ObjectInfo(
        path="p",
        size_bytes=1,
        checksum="c",
        content_type="text/plain",
        metadata={},
        modified_time=now,
        physical_address=None,
    )
    assert info.path == "p"
    change = sapwood.Change(type="removed", path="p", path_type="object", size_bytes=None)
    assert change.type == "removed"


def test_values_construct_positionally_in_design_order() -> None:
    now = datetime.now(UTC)
    commit = sapwood.Commit("abc", ("def",), "m", {}, "me", now)
    assert commit.author == "me"
    info = sapwood.ObjectInfo("p", 1, "c", "text/plain", {}, now, None)
    assert info.modified_time == now
    change = sapwood.Change("added", "p", "object", 1)
    assert change.size_bytes == 1


def test_parents_and_conflicts_compare_equal_to_tuples_and_lists(
    repo: sapwood.Repository,
) -> None:
    main = repo.branch("main")
    root = main.get_commit()
    main.upload(b"one", "a.txt")
    first = main.commit_changes("one")
    assert first.parents == (root.id,)
    assert first.parents == [root.id]
    assert [root.id] == first.parents
    assert first.parents != [first.id]
    assert list(first.parents) == [root.id]
    assert first.parents[0] == root.id
    dev = repo.branch("dev").create("main")
    dev.upload(b"dev", "a.txt")
    dev.commit_changes("dev")
    main.upload(b"main", "a.txt")
    main.commit_changes("main")
    with pytest.raises(sapwood.ConflictError) as conflict:
        dev.merge_into(main)
    assert conflict.value.conflicts == ["a.txt"]
    assert conflict.value.conflicts == ("a.txt",)
