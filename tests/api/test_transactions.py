"""Transactions: ``with branch.transaction(msg) as tx`` commits on success, rebases onto a
moved branch when no path collides, and commits nothing when the block raises."""

from __future__ import annotations

import pytest

import sapwood
import sapwood.aio


def test_a_transaction_commits_when_the_block_ends(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    before = main.get_commit()
    transaction = main.transaction("Add two files", metadata={"by": "test"})
    with transaction as tx:
        assert isinstance(tx, sapwood.Session)
        tx.upload(b"1", "one.txt")
        tx.upload(b"2", "two.txt")
        assert not main.exists("one.txt")  # isolated until the commit
    commit = transaction.commit
    assert commit is not None
    assert commit.message == "Add two files"
    assert commit.metadata == {"by": "test"}
    assert commit.parents == (before.id,)
    assert main.get_commit() == commit
    assert main.download("two.txt") == b"2"


def test_an_exception_discards_everything_and_propagates(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    before = main.get_commit()
    transaction = main.transaction("never")

    def fail() -> None:
        with transaction as tx:
            tx.upload(b"x", "x.txt")
            raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        fail()
    assert transaction.commit is None
    assert main.get_commit() == before
    assert not main.exists("x.txt")


def test_a_moved_branch_is_rebased_onto_when_paths_do_not_collide(
    repo: sapwood.Repository,
) -> None:
    main = repo.branch("main")
    with main.transaction("mine") as tx:
        tx.upload(b"mine", "mine.txt")
        with main.transaction("theirs, committed meanwhile") as other:
            other.upload(b"theirs", "theirs.txt")
    assert [c.message for c in main.log(max_amount=2)] == ["mine", "theirs, committed meanwhile"]
    assert main.download("mine.txt") == b"mine"
    assert main.download("theirs.txt") == b"theirs"


def test_a_collision_raises_conflict_error_naming_the_paths(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"base", "shared.txt")
    main.commit_changes("base")

    def collide() -> None:
        with main.transaction("mine") as tx:
            tx.upload(b"mine", "shared.txt")
            tx.upload(b"mine", "only-mine.txt")
            main.upload(b"theirs", "shared.txt")
            main.commit_changes("theirs")

    with pytest.raises(sapwood.ConflictError) as caught:
        collide()
    assert caught.value.conflicts == ("shared.txt",)
    assert "shared.txt" in str(caught.value)
    assert main.download("shared.txt") == b"theirs"
    assert not main.exists("only-mine.txt")


async def test_the_async_twin_is_an_async_with(memory_url: str) -> None:
    async with await sapwood.aio.AsyncRepository.create(memory_url) as repository:
        main = repository.branch("main")
        async with main.transaction("async") as tx:
            await tx.upload(b"a", "a.txt")
        assert (await main.get_commit()).message == "async"

        async def fail() -> None:
            async with main.transaction("discarded") as tx:
                await tx.upload(b"b", "b.txt")
                raise ValueError("stop")

        with pytest.raises(ValueError, match="stop"):
            await fail()
        assert not await main.exists("b.txt")
