"""Reads through a branch handle with staged changes: the branch's current head (even one
moved by a transaction, an import or another handle) with the staged changes on top."""

from __future__ import annotations

import pytest

import sapwood
from sapwood.aio import AsyncRepository


def test_a_commit_made_meanwhile_shows_through_staged_changes(
    repo: sapwood.Repository,
) -> None:
    main = repo.branch("main")
    main.upload(b"base", "base.txt")
    main.commit_changes("base")
    main.upload(b"staged", "staged.txt")
    main.upload(b"staged version", "base.txt")
    with main.transaction("meanwhile") as tx:
        tx.upload(b"from a transaction", "tx.txt")
    other = repo.writable_session("main")
    other.upload(b"from a session", "session.txt")
    other.commit("another writer")

    assert main.download("tx.txt") == b"from a transaction"
    assert main.download("session.txt") == b"from a session"
    assert main.exists("tx.txt")
    assert main.download("staged.txt") == b"staged"
    assert main.download("base.txt") == b"staged version"
    assert [i.path for i in main.list_objects()] == [
        "base.txt",
        "session.txt",
        "staged.txt",
        "tx.txt",
    ]
    with main.open("tx.txt", "rb") as reader:
        assert reader.read() == b"from a transaction"
    # What is staged is still compared with the commit the changes were staged on.
    assert sorted((c.type, c.path) for c in main.list_uncommitted()) == [
        ("added", "staged.txt"),
        ("changed", "base.txt"),
    ]
    main.commit_changes("staged")
    assert main.download("tx.txt") == b"from a transaction"
    assert main.download("base.txt") == b"staged version"
    assert list(main.list_uncommitted()) == []


def test_a_staged_path_hides_a_concurrent_commit_until_the_conflict_is_reported(
    repo: sapwood.Repository,
) -> None:
    main = repo.branch("main")
    main.upload(b"mine", "same.txt")
    with main.transaction("theirs") as tx:
        tx.upload(b"theirs", "same.txt")
    assert main.download("same.txt") == b"mine"
    with pytest.raises(sapwood.ConflictError):
        main.commit_changes("mine")


def test_a_staged_deletion_hides_the_object_at_the_new_head(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"x", "gone.txt")
    main.commit_changes("x")
    main.delete_objects("gone.txt")
    with main.transaction("other") as tx:
        tx.upload(b"y", "other.txt")
    assert not main.exists("gone.txt")
    assert main.exists("other.txt")


def test_copying_from_the_branch_itself_sees_the_moved_head(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"staged", "staged.txt")
    with main.transaction("meanwhile") as tx:
        tx.upload(b"new", "new.txt")
    main.copy_object(main, "new.txt", "copy.txt")
    assert main.download("copy.txt") == b"new"
    main.commit_changes("copy")
    assert main.download("copy.txt") == b"new"


async def test_async_branch_reads_see_an_import_like_commit(memory_url: str) -> None:
    repo = await AsyncRepository.create(memory_url)
    main = repo.branch("main")
    await main.upload(b"staged", "staged.txt")
    session = await repo.writable_session(main)
    await session.upload(b"imported", "imported/a.txt")
    await session.commit("import")
    assert await main.download("imported/a.txt") == b"imported"
    assert await main.download("staged.txt") == b"staged"
    await repo.close()
