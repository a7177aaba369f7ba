"""Instantiation and configuration: create / open / open_or_create / exists / fetch_config,
``sapwood.repository``, ``repo.config``, ``save_config`` and ``reopen``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import sapwood

from .conftest import unique_name


def test_create_has_main_branch_with_a_root_commit(memory_url: str) -> None:
    store = sapwood.ObjectStoreConfig.from_url(memory_url)
    repo = sapwood.Repository.create(store)
    root = repo.branch("main").get_commit()
    assert root.parents == () or list(root.parents) == []
    assert root.id
    assert [b.id for b in repo.list_branches()] == ["main"]
    repo.close()


def test_create_accepts_a_url_string(memory_url: str) -> None:
    repo = sapwood.Repository.create(memory_url)
    assert repo.branch("main").get_commit().id
    repo.close()


def test_create_twice_raises_repository_exists(memory_url: str) -> None:
    store = sapwood.ObjectStoreConfig.from_url(memory_url)
    sapwood.Repository.create(store).close()
    with pytest.raises(sapwood.RepositoryExistsError):
        sapwood.Repository.create(store)


def test_open_missing_raises_repository_not_found(memory_url: str) -> None:
    store = sapwood.ObjectStoreConfig.from_url(memory_url)
    with pytest.raises(sapwood.RepositoryNotFoundError):
        sapwood.Repository.open(store)


def test_exists_before_and_after_create(memory_url: str) -> None:
    store = sapwood.ObjectStoreConfig.from_url(memory_url)
    assert sapwood.Repository.exists(store) is False
    sapwood.Repository.create(store).close()
    assert sapwood.Repository.exists(store) is True
    assert sapwood.Repository.exists(memory_url) is True


def test_open_or_create_creates_then_opens(memory_url: str) -> None:
    store = sapwood.ObjectStoreConfig.from_url(memory_url)
    first = sapwood.Repository.open_or_create(store)
    first.branch("main").upload(b"kept", "a.txt")
    first.branch("main").commit_changes("one")
    first.close()
    second = sapwood.Repository.open_or_create(store)
    assert second.branch("main").download("a.txt") == b"kept"
    second.close()


def test_memory_url_names_one_store_per_process() -> None:
    url = f"memory://{unique_name()}"
    writer = sapwood.repository(url)
    writer.branch("main").upload(b"shared", "x.bin")
    commit = writer.branch("main").commit_changes("write")
    reader = sapwood.repository(url)
    assert reader.branch("main").get_commit().id == commit.id
    assert reader.branch("main").download("x.bin") == b"shared"
    other = sapwood.repository(f"memory://{unique_name()}")
    assert not other.branch("main").exists("x.bin")


def test_repository_function_on_file_url_persists(file_url: str) -> None:
    repo = sapwood.repository(file_url)
    repo.branch("main").upload(b"disk", "d.txt")
    repo.branch("main").commit_changes("disk")
    repo.close()
    again = sapwood.Repository.open(sapwood.ObjectStoreConfig.from_url(file_url))
    assert again.branch("main").download("d.txt") == b"disk"
    again.close()


def test_repository_function_on_plain_folder_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with sapwood.repository("plain-folder") as repo:
        repo.branch("main").upload(b"x", "x")
        repo.branch("main").commit_changes("x")
    assert (tmp_path / "plain-folder").is_dir()
    assert os.listdir(tmp_path / "plain-folder")
    with sapwood.repository(str(tmp_path / "plain-folder")) as again:
        assert again.branch("main").download("x") == b"x"


def test_repository_function_accepts_object_store_config(memory_url: str) -> None:
    store = sapwood.ObjectStoreConfig.from_url(memory_url)
    with sapwood.repository(store) as repo:
        assert repo.branch("main").get_commit().message


def test_repository_is_a_context_manager(memory_url: str) -> None:
    with sapwood.repository(memory_url) as repo:
        assert isinstance(repo, sapwood.Repository)
        repo.branch("main").upload(b"1", "one")
        repo.branch("main").commit_changes("one")


def test_repo_config_is_a_repository_config(repo: sapwood.Repository) -> None:
    assert isinstance(repo.config, sapwood.RepositoryConfig)


def test_create_with_config_is_stored_and_fetched(memory_url: str) -> None:
    store = sapwood.ObjectStoreConfig.from_url(memory_url)
    config = sapwood.RepositoryConfig(inline_chunk_threshold_bytes=123)
    sapwood.Repository.create(store, config=config).close()
    fetched = sapwood.Repository.fetch_config(store)
    assert fetched is not None
    assert fetched.inline_chunk_threshold_bytes == 123


def test_open_with_config_changes_one_field_over_stored(memory_url: str) -> None:
    store = sapwood.ObjectStoreConfig.from_url(memory_url)
    created = sapwood.Repository.create(
        store, config=sapwood.RepositoryConfig(inline_chunk_threshold_bytes=77)
    )
    created.close()
    repo = sapwood.Repository.open(
        store, config=sapwood.RepositoryConfig(get_partial_values_concurrency=3)
    )
    assert repo.config.get_partial_values_concurrency == 3
    assert repo.config.inline_chunk_threshold_bytes == 77
    repo.close()


def test_reopen_changes_config_and_save_config_persists(memory_url: str) -> None:
    store = sapwood.ObjectStoreConfig.from_url(memory_url)
    repo = sapwood.Repository.create(store)
    reopened = repo.reopen(config=sapwood.RepositoryConfig(inline_chunk_threshold_bytes=55))
    assert reopened.config.inline_chunk_threshold_bytes == 55
    stored = sapwood.Repository.fetch_config(store)
    assert stored is None or stored.inline_chunk_threshold_bytes != 55
    reopened.save_config()
    stored = sapwood.Repository.fetch_config(store)
    assert stored is not None
    assert stored.inline_chunk_threshold_bytes == 55


def test_reopen_keeps_the_data(repo: sapwood.Repository) -> None:
    repo.branch("main").upload(b"v", "v")
    repo.branch("main").commit_changes("v")
    reopened = repo.reopen(config=sapwood.RepositoryConfig(get_partial_values_concurrency=2))
    assert reopened.branch("main").download("v") == b"v"


def test_repo_metadata_is_a_mapping(repo: sapwood.Repository) -> None:
    metadata = repo.metadata()
    assert isinstance(dict(metadata), dict)


def test_branch_handle_is_the_same_within_one_repository(repo: sapwood.Repository) -> None:
    assert repo.branch("main") is repo.branch("main")
    repo.branch("main").upload(b"a", "a")
    repo.branch("main").upload(b"b", "b")
    assert sorted(c.path for c in repo.branch("main").list_uncommitted()) == ["a", "b"]


def test_init_with_no_arguments_is_accepted() -> None:
    sapwood.init()


def test_open_with_limits_changes_only_that_field(memory_url: str) -> None:
    store = sapwood.ObjectStoreConfig.from_url(memory_url)
    stored = sapwood.RepositoryConfig(
        limits=sapwood.LimitsConfig(max_concurrent_requests=8),
        inline_chunk_threshold_bytes=100,
    )
    sapwood.Repository.create(store, config=stored).close()
    override = sapwood.RepositoryConfig(limits=sapwood.LimitsConfig(requests_per_second=250.0))
    with sapwood.Repository.open(store, config=override) as repo:
        assert repo.config.limits is not None
        assert repo.config.limits.requests_per_second == 250.0
        assert repo.config.limits.max_concurrent_requests == 8
        assert repo.config.inline_chunk_threshold_bytes == 100
        repo.branch("main").upload(b"limited", "l")
        repo.branch("main").commit_changes("l")
        assert repo.branch("main").download("l") == b"limited"
