"""The plugin as sapwood sees it: registration, URL schemes, extra validation, endpoint
rules, import-lightness and the error for a missing SDK."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sapwood.config import ObjectStoreConfig
from sapwood.errors import ConfigError
from sapwood.registry import registry
from sapwood.stores import open_storage, validate_extra
from sapwood_gcs import GcsExtra
from sapwood_gcs.storage import GcsStorage


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )


def test_gcs_is_registered_for_both_schemes() -> None:
    backend = registry().storage_backend("gcs")
    assert backend.url_schemes == ("gs", "gcs")
    assert backend.extra_type is GcsExtra
    assert registry().plugins["gcs"].dist == "sapwood-gcs"
    assert registry().plugins["gcs"].error is None


def test_sapwood_plugins_lists_gcs() -> None:
    result = run_python("from sapwood.cli import main; raise SystemExit(main(['plugins']))")
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if " gcs " in line)
    assert "sapwood-gcs" in line
    assert "storage:gcs" in line


@pytest.mark.parametrize("scheme", ["gs", "gcs"])
def test_urls_parse_into_a_gcs_config(scheme: str) -> None:
    config = ObjectStoreConfig.from_url(
        f"{scheme}://my-bucket/data/set?endpoint_url=http://127.0.0.1:4443&allow_http=true"
        "&max_connections=8&project=demo"
    )
    assert config.object_store == "gcs"
    assert (config.bucket, config.prefix) == ("my-bucket", "data/set")
    assert config.endpoint_url == "http://127.0.0.1:4443"
    assert config.allow_http is True
    extra = validate_extra(config)
    assert extra == GcsExtra(max_connections=8, project="demo")
    store = open_storage(config)
    assert isinstance(store, GcsStorage)
    assert store.extra.max_connections == 8
    assert store.prefix == "data/set"


def test_unknown_extra_keys_are_refused() -> None:
    config = ObjectStoreConfig(object_store="gcs", bucket="b", extra={"max_conections": 4})
    with pytest.raises(ConfigError, match="max_conections"):
        open_storage(config)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"max_connections": 0}, "max_connections"),
        ({"upload_chunk_bytes": 1000}, "upload_chunk_bytes"),
        ({"upload_chunk_bytes": 300 * 1024}, "upload_chunk_bytes"),
        ({"list_page_size": 5000}, "list_page_size"),
        ({"read_timeout_seconds": 0}, "read_timeout_seconds"),
        ({"project": 12}, "project"),
    ],
)
def test_bad_extra_values_name_the_field(extra: dict[str, object], field: str) -> None:
    config = ObjectStoreConfig(object_store="gcs", bucket="b", extra=extra)
    with pytest.raises(ConfigError) as caught:
        open_storage(config)
    assert caught.value.field == f"extra.{field}"
    assert f"ObjectStoreConfig.extra.{field}" in str(caught.value)


def test_plain_http_needs_allow_http() -> None:
    config = ObjectStoreConfig(object_store="gcs", bucket="b", endpoint_url="http://127.0.0.1:1")
    with pytest.raises(ConfigError, match="allow_http") as caught:
        open_storage(config)
    assert caught.value.field == "allow_http"


def test_an_endpoint_must_be_an_http_url() -> None:
    config = ObjectStoreConfig(object_store="gcs", bucket="b", endpoint_url="127.0.0.1:4443")
    with pytest.raises(ConfigError, match="endpoint_url") as caught:
        open_storage(config)
    assert caught.value.field == "endpoint_url"


def test_a_bucket_is_required() -> None:
    with pytest.raises(ConfigError, match="needs a bucket"):
        open_storage(ObjectStoreConfig(object_store="gcs"))


def test_opening_a_store_does_no_io() -> None:
    # An endpoint nobody serves: opening must still succeed, as no request is made yet.
    store = open_storage("gs://b/p?endpoint_url=https://127.0.0.1:9&max_connections=2")
    assert isinstance(store, GcsStorage)
    assert store._clients.current is None
    assert store._executor is None


def test_the_plugin_module_does_not_import_the_sdk() -> None:
    result = run_python(
        "import sys\n"
        "from sapwood.registry import registry\n"
        "assert registry().storage_backend('gcs')\n"
        "heavy = sorted(m for m in sys.modules if m.startswith(('google.cloud', 'google.auth')))\n"
        "print(heavy)\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_missing_sdk_says_what_to_install() -> None:
    result = run_python(
        "import sys\n"
        "sys.modules['google.cloud.storage'] = None\n"
        "from sapwood.errors import PluginError\n"
        "from sapwood.stores import open_storage\n"
        "try:\n"
        "    open_storage('gs://bucket/prefix')\n"
        "except PluginError as exc:\n"
        "    print(exc)\n"
    )
    assert result.returncode == 0, result.stderr
    assert "pip install sapwood-gcs" in result.stdout
    assert "google-cloud-storage" in result.stdout
