"""Creating, opening and configuring repositories, and their resource handles."""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec
import pytest

from sapwood.aio import AsyncBranch, AsyncRepository
from sapwood.config import (
    CachingConfig,
    ObjectStoreConfig,
    RepositoryConfig,
    VirtualChunkContainer,
)
from sapwood.engine.format import FORMAT_VERSION
from sapwood.engine.keys import CONFIG_KEY
from sapwood.errors import (
    ConfigError,
    InvalidRefError,
    RefNotFoundError,
    RepositoryExistsError,
    RepositoryNotFoundError,
)
from sapwood_memory.storage import MemoryStorage


async def test_create_makes_main_with_the_creation_commit(repo: AsyncRepository) -> None:
    commit = await repo.branch("main").get_commit()
    assert commit.parents == ()
    assert commit.message == "Repository created"
    assert [b.id async for b in repo.list_branches()] == ["main"]
    assert [o async for o in repo.branch("main").list_objects()] == []


async def test_creating_twice_is_refused(memory_name: str) -> None:
    await AsyncRepository.create(f"memory://{memory_name}")
    with pytest.raises(RepositoryExistsError, match="open_or_create"):
        await AsyncRepository.create(f"memory://{memory_name}")


async def test_opening_nothing_is_refused(memory_name: str) -> None:
    with pytest.raises(RepositoryNotFoundError, match="create"):
        await AsyncRepository.open(f"memory://{memory_name}")
    assert not await AsyncRepository.exists(f"memory://{memory_name}")
    assert await AsyncRepository.fetch_config(f"memory://{memory_name}") is None


async def test_open_or_create_creates_once_then_opens(memory_name: str) -> None:
    first = await AsyncRepository.open_or_create(f"memory://{memory_name}")
    await first.branch("main").upload(b"x", "x")
    await first.branch("main").commit_changes("x")
    second = await AsyncRepository.open_or_create(f"memory://{memory_name}")
    assert await second.branch("main").download("x") == b"x"
    assert await AsyncRepository.exists(f"memory://{memory_name}")


async def test_racing_creators_leave_one_repository(memory_name: str) -> None:
    results = await asyncio.gather(
        *(AsyncRepository.open_or_create(f"memory://{memory_name}") for _ in range(5))
    )
    heads = {(await r.branch("main").get_commit()).id for r in results}
    assert len(heads) == 1


async def test_store_may_be_a_config_a_url_or_a_storage(memory_name: str) -> None:
    await AsyncRepository.create(ObjectStoreConfig(object_store="memory", bucket=memory_name))
    by_url = await AsyncRepository.open(f"memory://{memory_name}")
    by_storage = await AsyncRepository.open(MemoryStorage(memory_name))
    assert (await by_url.branch("main").get_commit()) == (
        await by_storage.branch("main").get_commit()
    )
    with pytest.raises(TypeError, match="ObjectStoreConfig"):
        await AsyncRepository.open(42)  # type: ignore[arg-type]


async def test_open_reads_config_and_refs_concurrently(
    memory_name: str, wrappers: dict[str, type]
) -> None:
    await AsyncRepository.create(f"memory://{memory_name}")
    store = wrappers["instrumented"](MemoryStorage(memory_name))
    await AsyncRepository.open(store)
    seen = store.seen
    config_read = f"get {CONFIG_KEY}"
    refs_read = next(name for name in seen.log if name.startswith("list refs/"))
    assert any({config_read, refs_read} <= moment for moment in seen.together), seen.together


async def test_the_stored_config_is_merged_with_overrides(memory_name: str) -> None:
    stored = RepositoryConfig(inline_chunk_threshold_bytes=100)
    await AsyncRepository.create(f"memory://{memory_name}", config=stored)
    assert await AsyncRepository.fetch_config(f"memory://{memory_name}") == stored
    override = RepositoryConfig(caching=CachingConfig(max_bytes=1024))
    repo = await AsyncRepository.open(f"memory://{memory_name}", config=override)
    assert repo.config.inline_chunk_threshold_bytes == 100
    assert repo.config.caching == CachingConfig(max_bytes=1024)
    await repo.save_config()
    saved = await AsyncRepository.fetch_config(f"memory://{memory_name}")
    assert saved is not None
    assert saved.caching == CachingConfig(max_bytes=1024)
    reopened = await repo.reopen(config=RepositoryConfig(inline_chunk_threshold_bytes=7))
    assert reopened.config.inline_chunk_threshold_bytes == 7
    assert reopened.config.caching == CachingConfig(max_bytes=1024)


async def test_secret_looking_settings_are_never_stored(memory_name: str) -> None:
    container = VirtualChunkContainer(
        name="ext",
        prefix="s3://public/",
        store=ObjectStoreConfig(object_store="memory", bucket="x", extra={"secret_key": "hush"}),
    )
    config = RepositoryConfig(virtual_chunk_containers={"ext": container})
    with pytest.raises(ConfigError, match="never stored"):
        await AsyncRepository.create(f"memory://{memory_name}", config=config)
    assert not await AsyncRepository.exists(f"memory://{memory_name}")


@pytest.mark.parametrize(
    ("prefix", "extra"),
    [
        ("https://acct.blob.core.windows.net/c/?sv=1&sig=hush-sig", {}),
        ("s3://public/", {"options": {"nested": [{"client_secret": "hush"}]}}),
        ("s3://public/", {"conn": "AccountName=a;AccountKey=hush"}),
        ("s3://public/", {"sig": "hush"}),
        ("s3://public/", {"mirror": "https://user:hush@example.com/x"}),
    ],
)
async def test_secrets_at_any_depth_of_a_container_are_never_stored(
    tmp_path: Path, prefix: str, extra: dict[str, object]
) -> None:
    container = VirtualChunkContainer(
        name="ext",
        prefix=prefix,
        store=ObjectStoreConfig(object_store="memory", bucket="x", extra=extra),
    )
    config = RepositoryConfig(virtual_chunk_containers={"ext": container})
    url = (tmp_path / "repo").as_uri()
    with pytest.raises(ConfigError, match="never stored") as caught:
        await AsyncRepository.create(url, config=config)
    assert "hush" not in str(caught.value)
    assert not await AsyncRepository.exists(url)


async def test_credentials_passed_in_are_not_written(tmp_path: Path) -> None:
    from sapwood.credentials import StaticCredentials

    url = f"file://{tmp_path / 'repo'}"
    secret = "very-secret-value-123"
    repo = await AsyncRepository.create(
        url,
        virtual_chunk_credentials={
            "ext": StaticCredentials(access_key_id="id", secret_access_key=secret)
        },
    )
    await repo.branch("main").upload(b"x", "x")
    await repo.branch("main").commit_changes("x")
    for path in (tmp_path / "repo").rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


async def test_the_config_document_is_plain_json(memory_name: str) -> None:
    await AsyncRepository.create(f"memory://{memory_name}")
    document = msgspec.json.decode(await MemoryStorage(memory_name).get(CONFIG_KEY))
    assert document["format_version"] == FORMAT_VERSION == 2
    assert document["ref_mode"] == "cas"


async def test_metadata_describes_the_repository(repo: AsyncRepository) -> None:
    facts = await repo.metadata()
    assert facts["default_branch"] == "main"
    assert facts["ref_mode"] == "cas"
    assert facts["format_version"] == str(FORMAT_VERSION)


async def test_branch_handles_are_shared(repo: AsyncRepository) -> None:
    main = repo.branch("main")
    assert main is repo.branch("main")
    assert isinstance(main, AsyncBranch)
    await main.upload(b"x", "x")
    assert [c.path async for c in repo.branch("main").list_uncommitted()] == ["x"]


async def test_bad_names_fail_before_any_io(repo: AsyncRepository) -> None:
    with pytest.raises(InvalidRefError):
        repo.branch("bad name")
    with pytest.raises(InvalidRefError):
        repo.tag("a..b")
    with pytest.raises(InvalidRefError):
        repo.commit("not-hex")
    with pytest.raises(InvalidRefError):
        repo.ref("main~x")


async def test_listing_branches_pages_by_name(repo: AsyncRepository) -> None:
    for name in ("b", "a", "c/1", "c/2"):
        await repo.branch(name).create()
    assert [b.id async for b in repo.list_branches()] == ["a", "b", "c/1", "c/2", "main"]
    assert [b.id async for b in repo.list_branches(max_amount=2, after="a")] == ["b", "c/1"]
    assert [b.id async for b in repo.list_branches(prefix="c/")] == ["c/1", "c/2"]


async def test_listing_tags(repo: AsyncRepository) -> None:
    await repo.tag("v2").create("main")
    await repo.tag("v1").create(repo.branch("main"))
    assert [t.id async for t in repo.list_tags()] == ["v1", "v2"]
    assert [t.id async for t in repo.list_tags(after="v1")] == ["v2"]


async def test_branch_create_and_delete(repo: AsyncRepository) -> None:
    dev = await repo.branch("dev").create("main")
    with pytest.raises(Exception, match="already exists"):
        await dev.create("main")
    assert await dev.create("main", exist_ok=True) is dev
    await dev.delete()
    with pytest.raises(RefNotFoundError, match="existing branches: main"):
        await dev.get_commit()
    with pytest.raises(RefNotFoundError):
        await repo.branch("ghost").create("nothing-like-this")


async def test_closing_twice_is_harmless(memory_name: str) -> None:
    async with await AsyncRepository.create(f"memory://{memory_name}") as repo:
        await repo.close()


async def test_the_author_comes_from_the_environment(
    memory_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAPWOOD_AUTHOR", "Ada Lovelace <ada@example.org>")
    repo = await AsyncRepository.create(f"memory://{memory_name}")
    await repo.branch("main").upload(b"x", "x")
    commit = await repo.branch("main").commit_changes("x")
    assert commit.author == "Ada Lovelace <ada@example.org>"
    monkeypatch.delenv("SAPWOOD_AUTHOR")
    from sapwood.engine.repo import default_author

    assert default_author()
