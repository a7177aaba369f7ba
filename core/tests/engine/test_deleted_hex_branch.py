"""A deleted branch (or tag) whose name looks like a commit-id prefix never silently
resolves to a commit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sapwood.aio import AsyncRepository
from sapwood.errors import RefNotFoundError


@pytest.fixture(params=["memory", "local"])
async def repo(
    request: pytest.FixtureRequest, memory_name: str, tmp_path: Path
) -> AsyncIterator[AsyncRepository]:
    """A new repository in memory or in a local folder."""
    url = f"memory://{memory_name}" if request.param == "memory" else (tmp_path / "r").as_uri()
    repository = await AsyncRepository.create(url)
    yield repository
    await repository.close()


async def hex_named_commit(repo: AsyncRepository) -> tuple[str, str]:
    """A commit, and a 4-character name that is a prefix of its id."""
    main = repo.branch("main")
    await main.upload(b"x", "x")
    commit = await main.commit_changes("x")
    return commit.id, commit.id[:4]


async def test_a_deleted_hex_named_branch_is_not_a_commit_prefix(repo: AsyncRepository) -> None:
    commit, name = await hex_named_commit(repo)
    assert (await repo.ref(name).get_commit()).id == commit  # a prefix, while no ref has it
    branch = await repo.branch(name).create("main")
    await branch.delete()
    with pytest.raises(RefNotFoundError, match="was deleted"):
        await repo.ref(name).get_commit()
    assert (await repo.ref(commit[:8]).get_commit()).id == commit  # more characters work
    await repo.branch(name).create("main")  # the name can be reused
    assert (await repo.ref(name).get_commit()).id == commit
    assert [b.id async for b in repo.list_branches()] == sorted(["main", name])


async def test_a_deleted_hex_named_tag_is_not_a_commit_prefix(repo: AsyncRepository) -> None:
    commit, name = await hex_named_commit(repo)
    await repo.tag(name).create(commit)
    await repo.tag(name).delete()
    with pytest.raises(RefNotFoundError, match=r"tag .* was deleted"):
        await repo.ref(name).get_commit()
