"""Names that look valid but are not: ref names ending in a newline, and paths (or
metadata) holding lone surrogates, which are refused when staged, not at every commit."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sapwood.aio import AsyncRepository
from sapwood.engine.ids import is_hex_prefix
from sapwood.engine.paths import validate_prefix, validate_ref_name
from sapwood.errors import InvalidPathError, InvalidRefError

SURROGATE_PATH = os.fsdecode(b"data/caf\xe9.csv")  # a Latin-1 file name, as Python sees it


@pytest.fixture(params=["memory", "local"])
async def repo(
    request: pytest.FixtureRequest, memory_name: str, tmp_path: Path
) -> AsyncIterator[AsyncRepository]:
    """A new repository in memory or in a local folder."""
    url = f"memory://{memory_name}" if request.param == "memory" else (tmp_path / "r").as_uri()
    repository = await AsyncRepository.create(url)
    yield repository
    await repository.close()


@pytest.mark.parametrize("name", ["main\n", "dev\n", "v1\r\n", "a/b\n", "x\t", "\nx"])
async def test_ref_names_with_line_breaks_are_refused(repo: AsyncRepository, name: str) -> None:
    with pytest.raises(InvalidRefError):
        validate_ref_name(name)
    with pytest.raises(InvalidRefError):
        await repo.branch(name).create("main")
    with pytest.raises(InvalidRefError):
        await repo.tag(name).create("main")
    assert [b.id async for b in repo.list_branches()] == ["main"]


def test_a_hex_prefix_with_a_newline_is_no_commit_id() -> None:
    assert is_hex_prefix("dead")
    assert not is_hex_prefix("dead\n")


async def test_a_path_with_a_lone_surrogate_is_refused_when_staged(repo: AsyncRepository) -> None:
    main = repo.branch("main")
    with pytest.raises(InvalidPathError, match="surrogate"):
        await main.upload(b"x", SURROGATE_PATH)
    with pytest.raises(InvalidPathError, match="surrogate"):
        await main.delete_objects([SURROGATE_PATH])
    await main.upload(b"fine", "data/ok.csv")
    with pytest.raises(InvalidPathError, match="surrogate"):
        await main.copy_object("main", "data/ok.csv", SURROGATE_PATH)
    with pytest.raises(InvalidPathError, match="surrogate"):
        await main.upload(b"x", "data/m.csv", metadata={"origin": SURROGATE_PATH})
    with pytest.raises(InvalidPathError, match="surrogate"):
        await main.upload(b"x", "data/t.csv", content_type="text/\udcff")
    with pytest.raises(InvalidPathError, match="surrogate"):
        validate_prefix("data/\udcff")
    commit = await main.commit_changes("only the good one")  # the branch still commits
    reader = await repo.readonly_session(snapshot_id=commit.id)
    assert [info.path async for info in reader.list_objects()] == ["data/ok.csv"]
