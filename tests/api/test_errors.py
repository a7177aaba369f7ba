"""The errors DESIGN.md lists, each raised where it should be, under SapwoodError, with a
message that says what was wrong and what to do."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

import sapwood
from sapwood import _loop
from sapwood.stores import open_storage
from sapwood_s3.testing import MotoServer


def test_every_listed_error_is_a_sapwood_error() -> None:
    listed = [
        sapwood.RepositoryNotFoundError,
        sapwood.RepositoryExistsError,
        sapwood.ObjectNotFoundError,
        sapwood.RefNotFoundError,
        sapwood.RefExistsError,
        sapwood.ConflictError,
        sapwood.InvalidPathError,
        sapwood.InvalidRefError,
        sapwood.ConfigError,
        sapwood.CredentialsError,
        sapwood.PluginError,
        sapwood.IntegrityError,
        sapwood.StorageError,
    ]
    assert all(issubclass(error, sapwood.SapwoodError) for error in listed)
    assert issubclass(sapwood.ObjectNotFoundError, FileNotFoundError)


def test_missing_and_existing_repositories(memory_url: str) -> None:
    with pytest.raises(sapwood.RepositoryNotFoundError, match=r"open_or_create\(\)"):
        sapwood.Repository.open(memory_url)
    with (
        sapwood.Repository.create(memory_url),
        pytest.raises(sapwood.RepositoryExistsError, match="open"),
    ):
        sapwood.Repository.create(memory_url)


def test_a_missing_object_is_also_a_file_not_found_error(repo: sapwood.Repository) -> None:
    with pytest.raises(FileNotFoundError, match=r"'nope.txt'.*list_objects"):
        repo.branch("main").download("nope.txt")
    with pytest.raises(sapwood.ObjectNotFoundError):
        repo.branch("main").open("nope.txt")
    with pytest.raises(sapwood.ObjectNotFoundError):
        repo.branch("main").copy_object("main", "nope.txt", "copy.txt")


def test_an_unknown_branch_lists_the_existing_ones(repo: sapwood.Repository) -> None:
    repo.branch("dev").create("main")
    with pytest.raises(sapwood.RefNotFoundError, match=r"'nope'.*dev, main"):
        repo.branch("nope").get_commit()
    with pytest.raises(sapwood.RefNotFoundError, match="tag 'v9'"):
        repo.tag("v9").download("x")
    with pytest.raises(sapwood.RefNotFoundError):
        repo.commit("abcd" * 16).get_commit()


def test_existing_refs_are_not_created_again(repo: sapwood.Repository) -> None:
    with pytest.raises(sapwood.RefExistsError):
        repo.branch("main").create("main")
    repo.tag("v1").create("main")
    with pytest.raises(sapwood.RefExistsError):
        repo.tag("v1").create("main")


def test_conflicts_carry_the_paths(repo: sapwood.Repository) -> None:
    first, second = repo.writable_session("main"), repo.writable_session("main")
    first.upload(b"1", "same.txt")
    second.upload(b"2", "same.txt")
    first.commit("first")
    with pytest.raises(sapwood.ConflictError) as caught:
        second.commit("second")
    assert caught.value.conflicts == ("same.txt",)


@pytest.mark.parametrize("path", ["", "/abs", "../up", "a//b", "a/./b"])
def test_bad_paths_are_refused_with_the_rule(repo: sapwood.Repository, path: str) -> None:
    with pytest.raises(sapwood.InvalidPathError) as caught:
        repo.branch("main").upload(b"x", path)
    assert str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_bad_ref_names_and_expressions_are_refused(repo: sapwood.Repository) -> None:
    with pytest.raises(sapwood.InvalidRefError, match="branch name"):
        repo.branch("bad name")
    with pytest.raises(sapwood.InvalidRefError, match="main~2"):
        repo.ref("main~x")
    with pytest.raises(sapwood.InvalidRefError, match="hex"):
        repo.commit("not-hex")


def test_config_errors_name_the_field() -> None:
    with pytest.raises(sapwood.ConfigError) as caught:
        sapwood.RepositoryConfig(limits=sapwood.LimitsConfig(max_concurrent_requests=-1))
    assert caught.value.field == "max_concurrent_requests"
    assert "max_concurrent_requests" in str(caught.value)
    with pytest.raises(sapwood.ConfigError, match="scheme"):
        sapwood.Repository.open("no-scheme-but-not-a-path://")


def test_an_unknown_scheme_lists_the_known_ones_without_inventing_a_dist() -> None:
    with pytest.raises(sapwood.PluginError) as caught:
        sapwood.repository("hdfs://cluster/data")
    message = str(caught.value)
    assert "no storage backend named 'hdfs' is installed" in message
    assert "known URL schemes:" in message
    assert "s3://" in message
    assert "a third-party plugin may" in message
    assert "pip install sapwood-hdfs" not in message


def test_half_set_credentials_say_what_is_missing(
    clean_chain: Path, moto_server: MotoServer, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAPWOOD_ACCESS_KEY_ID", "testing")
    store = moto_server.store_config(s3_bucket)
    with pytest.raises(sapwood.CredentialsError, match="SAPWOOD_SECRET_ACCESS_KEY"):
        sapwood.repository(store)


def test_changed_bytes_raise_integrity_error() -> None:
    name = f"integrity-{uuid.uuid4().hex[:8]}"
    with sapwood.repository(f"memory://{name}") as repository:
        main = repository.branch("main")
        main.upload(b"a" * 4096, "a.bin")
        main.upload(b"b" * 4096, "b.bin")
        main.commit_changes("two blobs")
        a_key = main.stat_object("a.bin").physical_address
        b_key = main.stat_object("b.bin").physical_address
    assert a_key
    assert b_key
    store = open_storage(f"memory://{name}")
    _loop.run(store.put(b_key, _loop.run(store.get(a_key))))
    with sapwood.repository(f"memory://{name}") as reopened:
        with pytest.raises(sapwood.IntegrityError):
            reopened.branch("main").download("b.bin")
        assert reopened.branch("main").download("a.bin") == b"a" * 4096


def test_storage_failures_are_storage_errors(tmp_path: Path) -> None:
    with pytest.raises(sapwood.StorageError, match="does not exist"):
        sapwood.repository(tmp_path / "missing-parent" / "repo")
