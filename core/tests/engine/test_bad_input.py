"""Bad input and damaged documents end in typed errors that name what is wrong."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from sapwood.aio import AsyncRepository
from sapwood.engine.keys import CONFIG_KEY, branch_pointer_key, tag_pointer_key
from sapwood.errors import ConfigError, IntegrityError


@pytest.fixture(params=["memory", "local"])
def url(request: pytest.FixtureRequest, memory_name: str, tmp_path: Path) -> str:
    """Where a test's repository lives: in memory or in a local folder."""
    return f"memory://{memory_name}" if request.param == "memory" else (tmp_path / "r").as_uri()


@pytest.fixture
async def repo(url: str) -> AsyncIterator[AsyncRepository]:
    """A repository with one commit on main and a tag on it."""
    repository = await AsyncRepository.create(url)
    await repository.branch("main").upload(b"x" * 600, "a.bin")
    commit = await repository.branch("main").commit_changes("one")
    await repository.tag("v1").create(commit.id)
    yield repository
    await repository.close()


@pytest.mark.parametrize(
    "older_than",
    [
        "2024-01-01",
        "2024-01-01T12:00:00+02:00",
        date(2024, 1, 1),
        datetime(2024, 1, 1),  # naive: UTC
        timedelta(days=30),
    ],
)
async def test_expiry_and_gc_take_what_a_user_would_pass(
    repo: AsyncRepository, older_than: object
) -> None:
    assert await repo.expire_snapshots(older_than) == frozenset()  # type: ignore[arg-type]
    summary = await repo.garbage_collect(older_than, dry_run=True)  # type: ignore[arg-type]
    assert summary.objects_deleted == 0


@pytest.mark.parametrize("older_than", ["last tuesday", 1_700_000_000, None, timedelta(days=-1)])
async def test_a_moment_that_is_not_one_is_a_config_error(
    repo: AsyncRepository, older_than: object
) -> None:
    with pytest.raises(ConfigError, match="older_than") as caught:
        await repo.expire_snapshots(older_than)  # type: ignore[arg-type]
    assert caught.value.field == "older_than"
    with pytest.raises(ConfigError, match="older_than"):
        await repo.garbage_collect(older_than)  # type: ignore[arg-type]


async def test_dry_run_must_be_a_bool(repo: AsyncRepository) -> None:
    with pytest.raises(ConfigError, match="dry_run"):
        await repo.garbage_collect(datetime.now(UTC), dry_run="no")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change",
    [
        {"format_version": -1},
        {"format_version": "1"},
        {"ref_mode": "bogus"},
        {"created_at": "yesterday"},
        {"config": {"caching": {"max_bytes": -1}}},
        {"config": {"compression": {"algorithm": "lz4"}}},
        {"config": {"limits": {"no_such_limit": 1}}},
    ],
)
async def test_a_damaged_config_document_is_an_integrity_error_naming_it(
    repo: AsyncRepository, url: str, change: dict[str, object]
) -> None:
    document = json.loads(await repo.engine.layer.get(CONFIG_KEY))
    await repo.engine.layer.put(CONFIG_KEY, json.dumps({**document, **change}).encode())
    with pytest.raises(IntegrityError, match=r"config\.json"):
        await AsyncRepository.open(url)


@pytest.mark.parametrize("raw", [b"", b"{", b"[" * 100_000, b"\xff\xfe", b"null"])
async def test_config_bytes_that_are_not_json_are_an_integrity_error(
    repo: AsyncRepository, url: str, raw: bytes
) -> None:
    await repo.engine.layer.put(CONFIG_KEY, raw)
    with pytest.raises(IntegrityError, match=r"config\.json"):
        await AsyncRepository.open(url)


@pytest.mark.parametrize(
    "pointer",
    [
        {"snapshot": "not-hex"},
        {"snapshot": "ab" * 31},  # too short
        {"snapshot": "AB" * 32},  # uppercase is not how sapwood writes ids
        {"snapshot": ""},
        {},
        {"snapshot": 42},
    ],
)
async def test_a_damaged_branch_ref_is_an_integrity_error_everywhere(
    repo: AsyncRepository, pointer: dict[str, object]
) -> None:
    await repo.branch("dev").create("main")
    await repo.engine.layer.put(branch_pointer_key("dev"), json.dumps(pointer).encode())
    dev = repo.branch("dev")
    checks = [
        lambda: dev.get_commit(),
        lambda: dev.download("a.bin"),
        lambda: _drain(dev.log()),
        lambda: _drain(repo.branch("main").diff("dev")),
        lambda: repo.garbage_collect(datetime.now(UTC)),
        lambda: repo.expire_snapshots(datetime.now(UTC)),
    ]
    for check in checks:
        with pytest.raises(IntegrityError, match="refs/branches/dev"):
            await check()


async def test_a_damaged_tag_ref_is_an_integrity_error(repo: AsyncRepository) -> None:
    await repo.engine.layer.put(tag_pointer_key("v1"), b'{"snapshot": "zz"}')
    with pytest.raises(IntegrityError, match="refs/tags/v1"):
        await repo.tag("v1").get_commit()


async def _drain(items: AsyncIterator[object]) -> None:
    async for _ in items:
        pass
