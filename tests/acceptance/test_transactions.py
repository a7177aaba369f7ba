"""Transactions: ``with branch.transaction(...)`` and ``async with`` on the async twin commit
on success, rebase onto a moved branch when no path conflicts, and discard on error."""

from __future__ import annotations

import pytest

import sapwood
from sapwood.aio import AsyncRepository


def test_transaction_commits_once_on_success(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    before = main.get_commit()
    with main.transaction("atomic", metadata={"job": "7"}) as tx:
        tx.upload(b"a", "a.txt")
        tx.upload(b"b", "b.txt")
        assert main.get_commit().id == before.id
        assert not main.exists("a.txt")
    head = main.get_commit()
    assert head.message == "atomic"
    assert head.metadata == {"job": "7"}
    assert list(head.parents) == [before.id]
    assert main.download("a.txt") == b"a"
    assert main.download("b.txt") == b"b"
    assert list(main.list_uncommitted()) == []


def test_transaction_reads_its_own_writes(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"old", "x")
    main.commit_changes("x")
    with main.transaction("edit") as tx:
        assert tx.download("x") == b"old"
        tx.upload(b"new", "x")
        assert tx.download("x") == b"new"
        assert tx.exists("x")
        assert [i.path for i in tx.list_objects()] == ["x"]
    assert main.download("x") == b"new"


def test_transaction_copy_and_delete(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"readme", "README.txt")
    main.commit_changes("readme")
    with main.transaction("rename") as tx:
        tx.copy_object("main", "README.txt", "README.md")
        tx.delete_objects("README.txt")
    assert main.exists("README.md")
    assert not main.exists("README.txt")


def fail_inside_transaction(branch: sapwood.Branch) -> None:
    """Stage a file in a transaction, then raise."""
    with branch.transaction("never") as tx:
        tx.upload(b"half", "broken.csv")
        raise RuntimeError("boom")


def test_transaction_discards_and_reraises(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    before = main.get_commit()
    with pytest.raises(RuntimeError, match="boom"):
        fail_inside_transaction(main)
    assert main.get_commit().id == before.id
    assert not main.exists("broken.csv")


def test_transaction_does_not_touch_staged_changes(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"staged", "staged.txt")
    with main.transaction("tx") as tx:
        tx.upload(b"t", "t.txt")
    assert not repo.commit(main.get_commit().id).exists("staged.txt")
    assert [c.path for c in main.list_uncommitted()] == ["staged.txt"]


def test_transaction_rebases_onto_moved_branch(memory_url: str) -> None:
    repo = sapwood.repository(memory_url)
    other = sapwood.repository(memory_url)
    main = repo.branch("main")
    with main.transaction("mine") as tx:
        tx.upload(b"mine", "mine.txt")
        other.branch("main").upload(b"theirs", "theirs.txt")
        theirs = other.branch("main").commit_changes("theirs")
    head = main.get_commit()
    assert head.message == "mine"
    assert list(head.parents) == [theirs.id]
    assert main.download("mine.txt") == b"mine"
    assert main.download("theirs.txt") == b"theirs"


def test_transaction_conflict_raises_conflict_error(memory_url: str) -> None:
    main = sapwood.repository(memory_url).branch("main")
    main.upload(b"base", "same.txt")
    main.commit_changes("base")
    dev_repo = sapwood.repository(memory_url)
    theirs: list[sapwood.Commit] = []

    def race() -> None:
        with main.transaction("mine") as tx:
            tx.upload(b"mine", "same.txt")
            dev_repo.branch("main").upload(b"theirs", "same.txt")
            theirs.append(dev_repo.branch("main").commit_changes("theirs"))

    with pytest.raises(sapwood.ConflictError) as info:
        race()
    assert "same.txt" in [getattr(c, "path", c) for c in info.value.conflicts]
    assert main.get_commit().id == theirs[0].id
    assert main.download("same.txt") == b"theirs"


async def test_async_transaction(memory_url: str) -> None:
    repo = await AsyncRepository.create(memory_url)
    branch = repo.branch("main")
    async with branch.transaction("async atomic") as tx:
        await tx.upload(b"1", "one")
        await tx.upload(b"2", "two")
    commit = await branch.get_commit()
    assert commit.message == "async atomic"
    assert await branch.download("one") == b"1"
    assert await branch.download("two") == b"2"
    await repo.close()


async def test_async_transaction_discards_on_error(memory_url: str) -> None:
    repo = await AsyncRepository.create(memory_url)
    branch = repo.branch("main")
    before = await branch.get_commit()

    async def fail() -> None:
        async with branch.transaction("never") as tx:
            await tx.upload(b"1", "one")
            raise KeyError("oops")

    with pytest.raises(KeyError):
        await fail()
    assert (await branch.get_commit()).id == before.id
    assert not await branch.exists("one")
    await repo.close()
