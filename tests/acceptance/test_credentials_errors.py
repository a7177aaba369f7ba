"""Credentials types, secrets never shown or stored, and the error hierarchy."""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import sapwood

SECRET = "s3cr3t-Value-9f8e7d"
TOKEN = "sess-Token-4c3b2a"
BEARER = "bearer-Token-1a2b3c"

ERRORS = [
    "RepositoryNotFoundError",
    "RepositoryExistsError",
    "ObjectNotFoundError",
    "RefNotFoundError",
    "RefExistsError",
    "ConflictError",
    "InvalidPathError",
    "InvalidRefError",
    "ConfigError",
    "CredentialsError",
    "PluginError",
    "IntegrityError",
    "StorageError",
]


@pytest.mark.parametrize("name", ERRORS)
def test_every_error_is_a_sapwood_error(name: str) -> None:
    error_type = getattr(sapwood, name)
    assert issubclass(error_type, sapwood.SapwoodError)
    assert issubclass(sapwood.SapwoodError, Exception)


def test_object_not_found_is_also_file_not_found() -> None:
    assert issubclass(sapwood.ObjectNotFoundError, FileNotFoundError)


def test_missing_object_can_be_caught_as_file_not_found(repo: sapwood.Repository) -> None:
    with pytest.raises(FileNotFoundError):
        repo.branch("main").download("missing.txt")


def test_static_credentials_defaults_are_none() -> None:
    creds = sapwood.StaticCredentials()
    assert creds.access_key_id is None
    assert creds.secret_access_key is None
    assert creds.session_token is None
    assert creds.bearer_token is None


def test_static_credentials_repr_hides_secrets() -> None:
    creds = sapwood.StaticCredentials(
        access_key_id="AKIDEXAMPLE",
        secret_access_key=SECRET,
        session_token=TOKEN,
        bearer_token=BEARER,
    )
    for text in (repr(creds), str(creds)):
        assert SECRET not in text
        assert TOKEN not in text
        assert BEARER not in text
    assert creds.secret_access_key == SECRET


def test_static_credentials_take_their_fields_by_position_in_the_documented_order() -> None:
    creds = sapwood.StaticCredentials("AKIDEXAMPLE", SECRET, TOKEN, BEARER)
    assert creds == sapwood.StaticCredentials(
        access_key_id="AKIDEXAMPLE",
        secret_access_key=SECRET,
        session_token=TOKEN,
        bearer_token=BEARER,
    )
    assert SECRET not in repr(creds)
    expiring = sapwood.ExpiringCredentials("AKIDEXAMPLE", SECRET, expiration=datetime.now(UTC))
    assert expiring.secret_access_key == SECRET


def test_expiring_credentials_keep_expiration_and_hide_secrets() -> None:
    expiration = datetime.now(UTC) + timedelta(hours=1)
    creds = sapwood.ExpiringCredentials(
        access_key_id="AKIDEXAMPLE", secret_access_key=SECRET, expiration=expiration
    )
    assert creds.expiration == expiration
    assert SECRET not in repr(creds)


def test_refreshable_credentials_take_fetch_with_and_refresh_with() -> None:
    def fetch() -> sapwood.ExpiringCredentials:
        return sapwood.ExpiringCredentials(
            access_key_id="AKID",
            secret_access_key=SECRET,
            expiration=datetime.now(UTC) + timedelta(hours=1),
        )

    creds = sapwood.RefreshableCredentials(fetch_with=fetch, refresh_with=None)
    assert SECRET not in repr(creds)


def test_anonymous_and_from_env_credentials_construct() -> None:
    assert sapwood.AnonymousCredentials() is not None
    assert sapwood.FromEnvCredentials() is not None


def test_credentials_are_accepted_on_a_memory_store(memory_url: str) -> None:
    creds = sapwood.StaticCredentials(access_key_id="AKID", secret_access_key=SECRET)
    with sapwood.Repository.create(memory_url, store_credentials=creds) as repo:
        repo.branch("main").upload(b"x", "x")
        repo.branch("main").commit_changes("x")
    assert sapwood.Repository.exists(memory_url, store_credentials=creds)


def test_secrets_never_written_to_storage(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    creds = sapwood.StaticCredentials(access_key_id="AKID", secret_access_key=SECRET)
    container = sapwood.VirtualChunkContainer(
        name="archive",
        prefix="s3://archive/",
        store=sapwood.ObjectStoreConfig.from_url("s3://archive"),
    )
    config = sapwood.RepositoryConfig(virtual_chunk_containers={"archive": container})
    repo = sapwood.Repository.create(
        folder.as_uri(),
        store_credentials=creds,
        config=config,
        virtual_chunk_credentials={"archive": creds},
    )
    repo.branch("main").upload(b"data", "d")
    repo.branch("main").commit_changes("d", metadata={"k": "v"})
    repo.save_config()
    repo.close()
    written = [p for p in folder.rglob("*") if p.is_file()]
    assert written
    for path in written:
        content = path.read_bytes()
        assert SECRET.encode() not in content, path


def test_secrets_never_logged(memory_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    creds = sapwood.StaticCredentials(
        access_key_id="AKID", secret_access_key=SECRET, session_token=TOKEN
    )
    with sapwood.Repository.create(memory_url, store_credentials=creds) as repo:
        repo.branch("main").upload(b"x", "x")
        repo.branch("main").commit_changes("x")
        with contextlib.suppress(sapwood.ObjectNotFoundError):
            repo.branch("main").download("missing")
    logged = caplog.text + "".join(repr(record.args) for record in caplog.records)
    assert SECRET not in logged
    assert TOKEN not in logged


def test_secret_not_in_error_messages(memory_url: str) -> None:
    creds = sapwood.StaticCredentials(access_key_id="AKID", secret_access_key=SECRET)
    with pytest.raises(sapwood.RepositoryNotFoundError) as info:
        sapwood.Repository.open(memory_url, store_credentials=creds)
    assert SECRET not in str(info.value)
    assert SECRET not in repr(info.value)


def test_unknown_backend_is_a_plugin_error_naming_it() -> None:
    with pytest.raises(sapwood.PluginError) as info:
        sapwood.repository("nosuchbackend://bucket/path")
    assert "nosuchbackend" in str(info.value)


def test_disabled_backend_plugin_error_names_dist_to_install(tmp_path: Path) -> None:
    script = (
        "import sapwood\n"
        "try:\n"
        "    sapwood.repository('memory://disabled')\n"
        "except sapwood.PluginError as error:\n"
        "    print('PLUGIN-ERROR', error)\n"
    )
    env = {"SAPWOOD_DISABLE_PLUGINS": "memory", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert "PLUGIN-ERROR" in result.stdout, result.stderr
    assert "sapwood-memory" in result.stdout


def test_invalid_path_error(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    with pytest.raises(sapwood.InvalidPathError):
        main.upload(b"x", "")
    with pytest.raises(sapwood.InvalidPathError):
        main.upload(b"x", "../escape.txt")


def test_invalid_ref_error(repo: sapwood.Repository) -> None:
    with pytest.raises(sapwood.InvalidRefError):
        repo.ref("main~x").get_commit()


def test_missing_ref_error(repo: sapwood.Repository) -> None:
    with pytest.raises(sapwood.RefNotFoundError):
        repo.branch("no-such-branch").get_commit()
    with pytest.raises(sapwood.RefNotFoundError):
        repo.tag("no-such-tag").get_commit()
    with pytest.raises(sapwood.RefNotFoundError):
        repo.ref("no-such-thing").get_commit()


def test_ref_exists_error(repo: sapwood.Repository) -> None:
    repo.branch("dev").create("main")
    with pytest.raises(sapwood.RefExistsError):
        repo.branch("dev").create("main")
    repo.tag("v1").create("main")
    with pytest.raises(sapwood.RefExistsError):
        repo.tag("v1").create("main")


def test_config_error_names_the_field(memory_url: str) -> None:
    with pytest.raises(sapwood.ConfigError) as info:
        sapwood.Repository.create(
            memory_url, config=sapwood.RepositoryConfig(get_partial_values_concurrency=0)
        )
    assert "get_partial_values_concurrency" in str(info.value)


def test_plugin_extra_is_validated_by_the_plugin(memory_url: str) -> None:
    store = sapwood.ObjectStoreConfig.from_url(memory_url, extra={"no_such_option": 1})
    with pytest.raises(sapwood.ConfigError) as info:
        sapwood.Repository.create(store)
    assert "no_such_option" in str(info.value)


def test_conflict_error_has_conflicts(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"base", "c.txt")
    main.commit_changes("base")
    dev = repo.branch("dev").create(main)
    dev.upload(b"dev", "c.txt")
    dev.commit_changes("dev")
    main.upload(b"main", "c.txt")
    main.commit_changes("main")
    with pytest.raises(sapwood.ConflictError) as info:
        dev.merge_into(main)
    conflicts = list(info.value.conflicts)
    paths = [getattr(c, "path", c) for c in conflicts]
    assert "c.txt" in paths
    assert "c.txt" in str(info.value)


def test_plugin_error_names_installed_backends() -> None:
    with pytest.raises(sapwood.PluginError) as info:
        sapwood.repository("nosuchbackend://bucket/path")
    message = str(info.value)
    assert "memory" in message
    assert "local" in message


@pytest.mark.parametrize(
    "payload", [b"compressible text " * 20_000, bytes(range(256)) * 1000], ids=["text", "bytes"]
)
@pytest.mark.parametrize("read", ["download", "open"])
def test_damaged_blob_raises_integrity_error(tmp_path: Path, payload: bytes, read: str) -> None:
    folder = tmp_path / "repo"
    repo = sapwood.repository(folder.as_uri())
    repo.branch("main").upload(payload, "data.bin")
    repo.branch("main").commit_changes("data")
    repo.close()
    blobs = (p for p in (folder / "blobs").rglob("*") if p.is_file())
    biggest = max(blobs, key=lambda p: p.stat().st_size)
    damaged = bytearray(biggest.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    biggest.write_bytes(bytes(damaged))
    with sapwood.repository(folder.as_uri()) as reopened:
        main = reopened.branch("main")
        with pytest.raises(sapwood.IntegrityError):
            read_all(main, read)


def read_all(branch: sapwood.Branch, how: str) -> bytes:
    """The whole of ``data.bin``, through ``download`` or ``open``."""
    if how == "download":
        return branch.download("data.bin")
    with branch.open("data.bin", "rb") as reader:
        return reader.read()
