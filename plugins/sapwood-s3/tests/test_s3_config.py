"""The ``s3`` backend's registration, URL form and ``extra`` settings."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sapwood.config import ObjectStoreConfig
from sapwood.errors import ConfigError
from sapwood.registry import registry
from sapwood.stores import open_storage, validate_extra
from sapwood_s3.settings import MIB, S3Extra, resolve_settings
from sapwood_s3.testing import TEST_CREDENTIALS


def test_the_plugin_registers_the_s3_backend() -> None:
    backend = registry().storage_backend("s3")
    assert backend.url_schemes == ("s3",)
    assert backend.extra_type is S3Extra
    assert registry().plugins["s3"].dist == "sapwood-s3"
    assert "storage:s3" in registry().plugins["s3"].registers


def test_sapwood_plugins_lists_s3() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "sapwood.cli", "plugins"],
        capture_output=True,
        text=True,
        check=True,
        env={"COLUMNS": "200", "PATH": ""},
    ).stdout
    assert "sapwood-s3" in shown
    assert "storage:s3" in shown


def test_plugin_module_does_not_import_boto3() -> None:
    code = "import sys, sapwood_s3.plugin, sapwood_s3; print('boto3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_boto3_names_the_dist_to_install() -> None:
    code = (
        "import sys; sys.modules['boto3'] = None\n"
        "from sapwood.stores import open_storage\n"
        "try:\n    open_storage('s3://bkt/p')\n"
        "except Exception as exc:\n    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("PluginError")
    assert "pip install sapwood-s3" in out.stdout


def test_url_with_query_settings() -> None:
    url = (
        "s3://bkt/some/prefix?region=eu-west-1&endpoint_url=https://s3.example.com"
        "&multipart_part_bytes=8388608&addressing_style=virtual"
    )
    config = ObjectStoreConfig.from_url(url)
    assert config.object_store == "s3"
    extra = validate_extra(config)
    assert isinstance(extra, S3Extra)
    assert extra.multipart_part_bytes == 8 * MIB
    settings = resolve_settings(config)
    assert settings.root == "some/prefix/"
    assert settings.region == "eu-west-1"
    assert settings.addressing_style == "virtual"
    assert settings.full_key("a/b") == "some/prefix/a/b"


def test_addressing_defaults_to_path_with_a_custom_endpoint() -> None:
    custom = ObjectStoreConfig(object_store="s3", bucket="b", endpoint_url="http://127.0.0.1:9")
    assert resolve_settings(custom).addressing_style == "path"
    assert resolve_settings(ObjectStoreConfig(object_store="s3", bucket="b")).addressing_style == (
        "auto"
    )


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"unknown_setting": 1}, "unknown_setting"),
        ({"multipart_part_bytes": 1024}, "multipart_part_bytes"),
        ({"addressing_style": "sideways"}, "addressing_style"),
        ({"max_connections": 0}, "max_connections"),
        ({"list_page_size": 5000}, "list_page_size"),
    ],
)
def test_bad_extra_is_a_config_error_naming_it(extra: dict[str, object], field: str) -> None:
    config = ObjectStoreConfig(object_store="s3", bucket="b", extra=extra)
    with pytest.raises(ConfigError, match=field):
        open_storage(config, TEST_CREDENTIALS)


def test_plain_http_to_a_remote_host_needs_allow_http() -> None:
    remote = ObjectStoreConfig(object_store="s3", bucket="b", endpoint_url="http://s3.example.com")
    with pytest.raises(ConfigError, match="allow_http") as caught:
        open_storage(remote, TEST_CREDENTIALS)
    assert caught.value.field == "allow_http"
    allowed = ObjectStoreConfig.from_url("s3://b?endpoint_url=http://s3.example.com&allow_http=1")
    assert resolve_settings(allowed).endpoint_url == "http://s3.example.com"
    local = ObjectStoreConfig(object_store="s3", bucket="b", endpoint_url="http://localhost:9000")
    assert resolve_settings(local).endpoint_url == "http://localhost:9000"


def test_a_bucket_is_required() -> None:
    with pytest.raises(ConfigError, match="needs a bucket"):
        resolve_settings(ObjectStoreConfig(object_store="s3"))


def test_repr_shows_where_but_no_secret() -> None:
    store = open_storage(
        "s3://bkt/pre?region=us-east-1",
        TEST_CREDENTIALS.__class__(
            access_key_id="AKIAEXAMPLE", secret_access_key="very-secret-value"
        ),
    )
    shown = repr(store)
    assert "bkt" in shown
    assert "pre" in shown
    assert "very-secret-value" not in shown
