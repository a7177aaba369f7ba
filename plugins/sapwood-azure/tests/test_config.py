"""URLs, ``extra`` validation, locations and plugin registration (no emulator needed)."""

from __future__ import annotations

import importlib
import io
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from sapwood.cli import main as sapwood_cli
from sapwood.config import ObjectStoreConfig
from sapwood.errors import ConfigError, PluginError
from sapwood.registry import registry
from sapwood.stores import open_storage, validate_extra
from sapwood_azure.settings import AzureExtra, resolve_location
from sapwood_azure.storage import AzureStorage, _trust_env


@pytest.mark.parametrize("scheme", ["az", "azure", "abfs"])
def test_url_schemes_map_to_the_azure_backend(scheme: str) -> None:
    config = ObjectStoreConfig.from_url(f"{scheme}://data/team/set")
    assert config.object_store == "azure"
    assert (config.bucket, config.prefix) == ("data", "team/set")


def test_abfs_url_names_container_and_account() -> None:
    config = ObjectStoreConfig.from_url("abfs://lake@myaccount.dfs.core.windows.net/raw/2024")
    location = resolve_location(config, AzureExtra(), None)
    assert location.container == "lake"
    assert location.account_name == "myaccount"
    assert location.prefix == "raw/2024"
    assert location.account_url == "https://myaccount.blob.core.windows.net"


def test_account_comes_from_credentials_then_extra_then_endpoint() -> None:
    emulator = ObjectStoreConfig(
        object_store="azure", bucket="box", endpoint_url="http://127.0.0.1:10000/devstoreaccount1"
    )
    assert resolve_location(emulator, AzureExtra(), None).account_name == "devstoreaccount1"
    named = AzureExtra(account_name="fromextra")
    assert resolve_location(emulator, named, None).account_name == "fromextra"
    assert resolve_location(emulator, named, "fromcreds").account_name == "fromcreds"
    cloud = ObjectStoreConfig(object_store="azure", bucket="box")
    location = resolve_location(cloud, named, None)
    assert location.account_url == "https://fromextra.blob.core.windows.net"


def test_extra_settings_are_validated_by_the_plugin() -> None:
    good = ObjectStoreConfig.from_url("az://box/p?max_concurrency=4&account_name=acct")
    extra = validate_extra(good)
    assert isinstance(extra, AzureExtra)
    assert (extra.max_concurrency, extra.account_name) == (4, "acct")

    with pytest.raises(ConfigError) as unknown:
        validate_extra(ObjectStoreConfig.from_url("az://box?max_concurency=4"))
    assert "max_concurency" in str(unknown.value)

    with pytest.raises(ConfigError) as too_big:
        validate_extra(
            ObjectStoreConfig(object_store="azure", bucket="box", extra={"delete_batch_size": 1000})
        )
    assert (too_big.value.field or "").endswith("delete_batch_size")
    assert "ObjectStoreConfig.extra.delete_batch_size" in str(too_big.value)


def test_open_storage_rejects_bad_extra_before_any_io() -> None:
    with pytest.raises(ConfigError, match="list_page_size"):
        open_storage("az://box?list_page_size=0&endpoint_url=http://127.0.0.1:9/devstoreaccount1")


@pytest.mark.parametrize("bad", ["ab", "Upper", "under_score", "-lead", "double--hyphen"])
def test_invalid_container_names_fail_fast(bad: str) -> None:
    with pytest.raises(ConfigError) as caught:
        AzureStorage(
            ObjectStoreConfig(object_store="azure", bucket=bad, extra={"account_name": "a1b"})
        )
    assert caught.value.field == "bucket"
    assert bad in str(caught.value)


def test_plain_http_needs_allow_http_except_on_loopback() -> None:
    remote = ObjectStoreConfig(
        object_store="azure", bucket="box", endpoint_url="http://storage.example/acct"
    )
    with pytest.raises(ConfigError) as caught:
        AzureStorage(remote)
    assert caught.value.field == "allow_http"
    allowed = ObjectStoreConfig(
        object_store="azure",
        bucket="box",
        endpoint_url="http://storage.example/acct",
        allow_http=True,
    )
    assert AzureStorage(allowed).location.account_url == "http://storage.example/acct"
    loopback = ObjectStoreConfig(
        object_store="azure", bucket="box", endpoint_url="http://localhost:10000/devstoreaccount1"
    )
    assert AzureStorage(loopback).location.account_name == "devstoreaccount1"


def test_the_registry_lists_the_azure_backend() -> None:
    backend = registry().storage_backend("azure")
    assert backend.url_schemes == ("az", "azure", "abfs")
    assert backend.extra_type is AzureExtra
    info = registry().plugins["azure"]
    assert info.dist == "sapwood-azure"
    assert info.error is None
    assert "storage:azure" in info.registers


def test_sapwood_plugins_command_lists_azure() -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        sapwood_cli(["plugins"])
    text = out.getvalue()
    row = next((line for line in text.splitlines() if "sapwood-azure" in line), "")
    assert row, f"`sapwood plugins` does not list sapwood-azure:\n{text}"
    assert "storage:azure" in text


def test_the_entry_point_module_does_not_import_the_sdk() -> None:
    def ours(name: str) -> bool:
        return name == "azure" or name.startswith(("azure.", "sapwood_azure."))

    saved = {name: module for name, module in sys.modules.items() if ours(name)}
    for name in saved:
        del sys.modules[name]
    sys.modules["azure"] = None  # type: ignore[assignment]  # any azure import now fails
    try:
        plugin = importlib.import_module("sapwood_azure.plugin")
        assert not any(name.startswith("azure.") for name in sys.modules)
        config = ObjectStoreConfig(
            object_store="azure", bucket="box", extra={"account_name": "ab1"}
        )
        with pytest.raises(PluginError) as caught:
            plugin.open_azure_storage(config)
        assert "pip install sapwood-azure" in str(caught.value)
    finally:
        for name in [name for name in sys.modules if ours(name)]:
            del sys.modules[name]
        sys.modules.update(saved)


def test_env_lookups_per_request_only_when_something_uses_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "ws_proxy", "wss_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    assert _trust_env(None) is False
    assert _trust_env(True) is True
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    assert _trust_env(None) is True
    assert _trust_env(False) is False
    monkeypatch.delenv("HTTPS_PROXY")
    (tmp_path / "no-netrc").write_text("machine example login a password b\n")
    assert _trust_env(None) is True


def test_a_sas_token_in_the_endpoint_is_refused_without_showing_it() -> None:
    endpoint = "https://acct.blob.core.windows.net/?sv=2024-01-01&sig=HUSH-SIGNATURE"
    config = ObjectStoreConfig(object_store="azure", bucket="data", endpoint_url=endpoint)
    with pytest.raises(ConfigError, match="bearer_token") as caught:
        resolve_location(config, AzureExtra(), None)
    assert "HUSH-SIGNATURE" not in str(caught.value)
    assert "HUSH-SIGNATURE" not in repr(config)
