"""Creating and opening repositories: sapwood.repository(), create/open/open_or_create,
exists, config overrides that change one field, reopen and save_config."""

from __future__ import annotations

from pathlib import Path

import pytest

import sapwood
from sapwood import LimitsConfig, ObjectStoreConfig, RepositoryConfig
from sapwood.stores import open_storage


def test_repository_opens_or_creates_from_a_url(memory_url: str) -> None:
    with sapwood.repository(memory_url) as first:
        first.branch("main").upload(b"kept", "kept.txt")
        first.branch("main").commit_changes("keep")
    with sapwood.repository(memory_url) as again:
        assert again.branch("main").download("kept.txt") == b"kept"
        assert [c.message for c in again.branch("main").log()] == ["keep", "Repository created"]


def test_repository_takes_a_plain_folder_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    with sapwood.repository("data/repo") as relative:
        relative.branch("main").upload(b"x", "x")
        relative.branch("main").commit_changes("x")
    assert (tmp_path / "data" / "repo").is_dir()
    with sapwood.repository(tmp_path / "data" / "repo") as as_path:
        assert as_path.branch("main").download("x") == b"x"
    url = (tmp_path / "data" / "repo").as_uri()
    with sapwood.Repository.open(url) as as_url:
        assert as_url.branch("main").download("x") == b"x"
    assert sapwood.Repository.exists(ObjectStoreConfig(object_store="local", prefix="data/repo"))


def test_repository_takes_a_config_or_a_store(memory_url: str) -> None:
    config = ObjectStoreConfig.from_url(memory_url)
    with sapwood.repository(config) as by_config:
        by_config.branch("main").upload(b"c", "c")
        by_config.branch("main").commit_changes("c")
    with sapwood.repository(open_storage(memory_url)) as by_store:
        assert by_store.branch("main").download("c") == b"c"


def test_create_and_open_check_what_is_there(memory_url: str) -> None:
    assert sapwood.Repository.exists(memory_url) is False
    assert sapwood.Repository.fetch_config(memory_url) is None
    with pytest.raises(sapwood.RepositoryNotFoundError, match="create"):
        sapwood.Repository.open(memory_url)
    with sapwood.Repository.create(memory_url):
        pass
    assert sapwood.Repository.exists(memory_url) is True
    with pytest.raises(sapwood.RepositoryExistsError, match="open"):
        sapwood.Repository.create(memory_url)
    with sapwood.Repository.open_or_create(memory_url) as opened:
        assert opened.branch("main").get_commit().message == "Repository created"


def test_open_with_one_field_changes_only_that_field(memory_url: str) -> None:
    stored = RepositoryConfig(
        inline_chunk_threshold_bytes=100,
        limits=LimitsConfig(max_concurrent_requests=8, requests_per_second=50),
    )
    with sapwood.Repository.create(memory_url, config=stored):
        pass
    override = RepositoryConfig(limits=LimitsConfig(max_concurrent_requests=3))
    with sapwood.Repository.open(memory_url, config=override) as repository:
        assert repository.config.limits == LimitsConfig(
            max_concurrent_requests=3, requests_per_second=50
        )
        assert repository.config.inline_chunk_threshold_bytes == 100
    assert sapwood.Repository.fetch_config(memory_url) == stored


def test_reopen_gives_a_handle_with_other_overrides(memory_url: str) -> None:
    with sapwood.Repository.create(memory_url) as repository:
        faster = repository.reopen(config=RepositoryConfig(get_partial_values_concurrency=32))
        with faster:
            assert faster is not repository
            assert faster.config.get_partial_values_concurrency == 32
            assert repository.config.get_partial_values_concurrency is None
            repository.branch("main").upload(b"shared", "shared.txt")
            repository.branch("main").commit_changes("seen by both")
            assert faster.branch("main").download("shared.txt") == b"shared"


def test_save_config_stores_the_config_in_effect(memory_url: str) -> None:
    override = RepositoryConfig(inline_chunk_threshold_bytes=64)
    with (
        sapwood.Repository.create(memory_url) as repository,
        repository.reopen(config=override) as changed,
    ):
        changed.save_config()
    assert sapwood.Repository.fetch_config(memory_url) == override
    with sapwood.Repository.open(memory_url) as later:
        assert later.config.inline_chunk_threshold_bytes == 64


def test_the_author_of_commits_can_be_set(repo: sapwood.Repository) -> None:
    repo.author = "Ada <ada@example.org>"
    repo.branch("main").upload(b"a", "a")
    assert repo.branch("main").commit_changes("by Ada").author == "Ada <ada@example.org>"


def test_repr_names_the_location_and_never_a_secret(memory_url: str) -> None:
    secret = sapwood.StaticCredentials(access_key_id="AKIA", secret_access_key="hunter2")
    with sapwood.Repository.create(memory_url, store_credentials=secret) as repository:
        assert memory_url in repr(repository)
        assert "hunter2" not in repr(repository)
        assert "hunter2" not in repr(repository.aio.opener)
