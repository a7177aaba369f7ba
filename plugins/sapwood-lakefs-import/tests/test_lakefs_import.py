"""``branch.import_from("lakefs://repo/ref/prefix/", ...)`` through lakeFS's S3 gateway.

No lakeFS server can run here: moto's S3 server stands in for the gateway, with a bucket
named like the lakeFS repository and keys ``<ref>/<path>``, exactly the layout the gateway
exposes. What is tested is the importer's side of that contract.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import sapwood
from sapwood.errors import ConfigError, NotFoundError, RefNotFoundError
from sapwood.registry import registry
from sapwood_lakefs_import.importer import LakeFSImporter
from sapwood_lakefs_import.options import ENV_ENDPOINT_URL, resolve_options
from sapwood_lakefs_import.plugin import make_importer
from sapwood_lakefs_import.uri import parse_lakefs_uri
from sapwood_s3.testing import MotoServer

OBJECTS = {
    "main/data/a.csv": b"a,1\n",
    "main/data/sub/b.json": b'{"b": 2}',
    "main/data-other/c.txt": b"not under data/",
    "main/top.txt": b"top of main",
    "dev/data/a.csv": b"another branch",
}


def fill(server: MotoServer, bucket: str) -> None:
    client = server.client()
    for key, body in OBJECTS.items():
        client.put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/plain")


def test_import_copies_exactly_the_objects_under_the_ref_and_prefix(
    lakectl_env: MotoServer, s3_bucket: str, memory_repo: sapwood.Repository
) -> None:
    fill(lakectl_env, s3_bucket)
    main = memory_repo.branch("main")
    status = main.import_from(f"lakefs://{s3_bucket}/main/data/", "imported/", "msg").run()
    assert status.completed
    assert status.ingested_objects == 2
    assert status.commit is not None
    assert status.commit.message == "msg"
    head = main.head()
    assert [o.path for o in head.list_objects()] == ["imported/a.csv", "imported/sub/b.json"]
    assert head.download("imported/a.csv") == b"a,1\n"
    assert head.download("imported/sub/b.json") == b'{"b": 2}'


def test_a_whole_ref_is_imported_without_a_prefix(
    lakectl_env: MotoServer, s3_bucket: str, memory_repo: sapwood.Repository
) -> None:
    fill(lakectl_env, s3_bucket)
    main = memory_repo.branch("main")
    main.import_from(f"lakefs://{s3_bucket}/dev", "", "dev").run()
    assert [o.path for o in main.head().list_objects()] == ["data/a.csv"]
    assert main.head().download("data/a.csv") == b"another branch"


async def test_scan_reports_sizes_addresses_and_content_types(
    lakectl_env: MotoServer, s3_bucket: str
) -> None:
    fill(lakectl_env, s3_bucket)
    importer = make_importer({})
    assert isinstance(importer, LakeFSImporter)
    try:
        found = [s async for s in importer.scan(f"lakefs://{s3_bucket}/main/data/")]
        assert [(s.path, s.size_bytes) for s in found] == [("a.csv", 4), ("sub/b.json", 8)]
        assert found[0].physical_address == f"lakefs://{s3_bucket}/main/data/a.csv"
        # ListObjectsV2 returns no content types; a HEAD per object would be needed for them
        assert found[0].content_type is None
        assert found[0].etag
        assert await importer.read(found[1]) == b'{"b": 2}'
    finally:
        await importer.close()


def test_a_missing_repository_is_named(
    lakectl_env: MotoServer, memory_repo: sapwood.Repository
) -> None:
    main = memory_repo.branch("main")
    before = main.get_commit()
    with pytest.raises(NotFoundError, match="lakeFS repository 'no-such-repo' was not found"):
        main.import_from("lakefs://no-such-repo/main/", "x/", "never").run()
    assert main.get_commit() == before


def test_a_missing_ref_is_named(
    lakectl_env: MotoServer, s3_bucket: str, memory_repo: sapwood.Repository
) -> None:
    fill(lakectl_env, s3_bucket)
    main = memory_repo.branch("main")
    with pytest.raises(RefNotFoundError, match="ref 'nope'"):
        main.import_from(f"lakefs://{s3_bucket}/nope/data/", "x/", "never").run()
    with pytest.raises(RefNotFoundError, match="ref 'gone'"):
        main.import_from(f"lakefs://{s3_bucket}/gone/", "x/", "never").run()


def test_an_empty_prefix_of_an_existing_ref_imports_nothing(
    lakectl_env: MotoServer, s3_bucket: str, memory_repo: sapwood.Repository
) -> None:
    fill(lakectl_env, s3_bucket)
    main = memory_repo.branch("main")
    before = main.get_commit()
    status = main.import_from(f"lakefs://{s3_bucket}/main/none/", "x/", "m").run()
    assert status.completed
    assert status.ingested_objects == 0
    assert status.commit is None
    assert main.get_commit() == before


def test_unknown_or_ill_typed_options_are_config_errors(lakectl_env: MotoServer) -> None:
    with pytest.raises(ConfigError, match="invalid lakefs importer options"):
        make_importer({"endpoint": "http://127.0.0.1:1"})
    with pytest.raises(ConfigError, match="invalid lakefs importer options"):
        make_importer({"access_key_id": 3})
    with pytest.raises(ConfigError, match="not an http"):
        make_importer({"endpoint_url": "127.0.0.1:8000"})


def test_missing_endpoint_or_key_are_config_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("LAKECTL_"):
            monkeypatch.delenv(name)
    with pytest.raises(ConfigError, match=ENV_ENDPOINT_URL):
        make_importer({})
    with pytest.raises(ConfigError, match="LAKECTL_CREDENTIALS_ACCESS_KEY_ID"):
        make_importer({"endpoint_url": "http://127.0.0.1:8000"})


def test_options_win_over_the_environment_and_secrets_stay_hidden(
    lakectl_env: MotoServer,
) -> None:
    resolved = resolve_options(
        {"endpoint_url": "http://127.0.0.1:9/api/v1/", "secret_access_key": "s3cr3t-value"}
    )
    assert resolved.endpoint_url == "http://127.0.0.1:9"
    assert resolved.access_key_id == "testing"
    assert resolved.secret_access_key == "s3cr3t-value"
    assert "s3cr3t-value" not in repr(resolved)


def test_bad_uris_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="names no repository or no ref"):
        parse_lakefs_uri("lakefs://repo")
    with pytest.raises(ConfigError, match="query"):
        parse_lakefs_uri("lakefs://repo/main/?x=1")
    location = parse_lakefs_uri("lakefs://repo/main//data/x")
    assert (location.repository, location.ref, location.prefix) == ("repo", "main", "data/x/")


def test_the_importer_is_registered_for_lakefs_uris() -> None:
    record = registry().importer_for_scheme("lakefs")
    assert record.name == "lakefs"
    assert record.url_schemes == ("lakefs",)


def test_sapwood_plugins_lists_it(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sapwood.cli", "plugins"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "250"},
        cwd=tmp_path,
        check=False,
    )
    assert "sapwood-lakefs-import" in result.stdout, result.stdout + result.stderr
    assert "importer:lakefs" in result.stdout or "lakefs" in result.stdout
