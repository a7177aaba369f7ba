"""One URL-scheme table, filled from the storage backends' registrations
(:mod:`sapwood.schemes`); the first-party catalogue answers for plugins not installed."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest

from sapwood import hookimpl
from sapwood.composition import open_storage
from sapwood.config import ObjectStoreConfig
from sapwood.credentials import CredentialProvider
from sapwood.errors import PluginError
from sapwood.extensions import StorageBackend
from sapwood.registry import Registry, registry
from sapwood.schemes import FIRST_PARTY, URL_SCHEMES, SchemeTable
from sapwood.storage import Storage


def _never_opened(config: ObjectStoreConfig, credentials: CredentialProvider | None) -> Storage:
    raise AssertionError("scheme tests never open a store")


def _backend_module(name: str, *schemes: str) -> ModuleType:
    module = ModuleType(f"schemes_{name}")

    @hookimpl
    def sapwood_register_storage_backends(register: Callable[[StorageBackend], None]) -> None:
        register(StorageBackend(name=name, factory=_never_opened, url_schemes=schemes))

    module.sapwood_register_storage_backends = sapwood_register_storage_backends  # type: ignore[attr-defined]
    return module


def test_a_scheme_registered_with_add_plugin_is_mapped_by_from_url(
    use_registry: Callable[[Registry], None],
) -> None:
    built = Registry()
    use_registry(built)
    assert ObjectStoreConfig.from_url("hdfs+ha://cluster/x").object_store == "hdfs+ha"

    built.add_plugin(_backend_module("hdfs", "hdfs+ha", "webhdfs"), name="hdfs", dist="my-hdfs")

    config = ObjectStoreConfig.from_url("webhdfs://cluster/warehouse/t")
    assert (config.object_store, config.bucket, config.prefix) == ("hdfs", "cluster", "warehouse/t")
    assert ObjectStoreConfig.from_url("hdfs+ha://cluster").object_store == "hdfs"
    # to_url writes the backend's first registered scheme, which parses back the same
    assert config.to_url() == "hdfs+ha://cluster/warehouse/t"
    assert ObjectStoreConfig.from_url(config.to_url()) == config
    assert ObjectStoreConfig.SCHEMES["webhdfs"] == "hdfs"


def test_a_registration_wins_over_the_first_party_catalogue(
    use_registry: Callable[[Registry], None],
) -> None:
    built = Registry()
    built.add_plugin(_backend_module("minio", "s3"), name="minio", dist="my-minio")
    use_registry(built)

    assert ObjectStoreConfig.from_url("s3://bucket").object_store == "minio"


def test_an_uninstalled_first_party_scheme_parses_and_names_its_dist(
    use_registry: Callable[[Registry], None],
) -> None:
    use_registry(Registry())  # nothing installed at all

    config = ObjectStoreConfig.from_url("s3://bucket/data")
    assert config.object_store == "s3"
    assert ObjectStoreConfig.from_url("abfs://container").object_store == "azure"
    assert ObjectStoreConfig(object_store="gcs", bucket="b").to_url() == "gs://b"

    with pytest.raises(PluginError, match=r"install it with: pip install sapwood-s3"):
        open_storage(config)


def test_an_unknown_scheme_lists_the_known_ones_and_invents_no_dist(
    use_registry: Callable[[Registry], None],
) -> None:
    built = Registry()
    built.add_plugin(_backend_module("hdfs", "webhdfs"), name="hdfs", dist="my-hdfs")
    use_registry(built)

    config = ObjectStoreConfig.from_url("s4://bucket")
    assert config.object_store == "s4"  # kept: a plugin installed later may provide it
    with pytest.raises(PluginError) as caught:
        open_storage(config)

    message = str(caught.value)
    assert "no storage backend named 's4' is installed (installed: hdfs)" in message
    assert "known URL schemes:" in message
    for scheme in ("webhdfs://", "s3://", "gs://", "file://", "memory://"):
        assert scheme in message
    assert "a third-party plugin may" in message
    assert "pip install" not in message


def test_without_a_loader_the_table_knows_the_catalogue_only() -> None:
    table = SchemeTable()
    assert table.backend_for("gs") == "gcs"
    assert table.backend_for("webhdfs") is None
    assert table.scheme_for("azure") == "az"
    assert table.scheme_for("sftp") == "sftp"

    table.install(lambda: {"webhdfs": "hdfs"})
    assert table.backend_for("WEBHDFS") == "hdfs"
    assert dict(table)["file"] == "local"


def test_the_catalogue_matches_what_the_installed_first_party_plugins_register() -> None:
    found = registry()
    checked = 0
    for plugin in FIRST_PARTY:
        if not plugin.url_schemes or plugin.name not in found.storage_backends.items:
            continue
        assert found.storage_backend(plugin.name).url_schemes == plugin.url_schemes
        checked += 1
    assert checked >= 2  # memory and local at least are installed wherever tests run


def test_the_process_wide_table_is_filled_from_the_registry() -> None:
    assert registry().url_schemes().items() <= dict(URL_SCHEMES).items()
