"""sapwood finds sapwood-dict through its entry point, and each registered part works."""

from __future__ import annotations

import pytest
from sapwood_dict import plugin
from sapwood_dict.settings import VaultCredentials
from sapwood_dict.storage import DictStorage, open_dict_storage

from sapwood.config import CachingConfig, LimitsConfig, ObjectStoreConfig
from sapwood.credentials import CredentialProvider
from sapwood.errors import ConfigError, CredentialsError, StorageError
from sapwood.extensions import Cache, Importer, Limiter, MetricsBackend
from sapwood.registry import Registry, registry
from sapwood.stores import open_storage

EVERYTHING = [
    "storage:dict",
    "credentials:vault",
    "cache:fifo",
    "limiter:concurrency",
    "importer:catalog",
    "metrics:collect",
]


def test_the_installed_entry_point_registers_everything() -> None:
    info = registry().plugins["dict"]
    assert info.error is None
    assert info.dist == "sapwood-dict"
    assert sorted(info.registers) == sorted(EVERYTHING)


def test_the_module_registers_everything_into_a_fresh_registry() -> None:
    fresh = Registry()
    info = fresh.add_plugin(plugin, name="dict", dist="sapwood-dict", version="0.1.0")
    assert info.error is None
    assert sorted(info.registers) == sorted(EVERYTHING)


@pytest.mark.asyncio  # a test of our own: the suites' plugin leaves it alone
async def test_a_dict_url_opens_a_dict_store() -> None:
    store = open_storage("dict://scratch")
    assert isinstance(store, DictStorage)
    await store.put("k", b"v")
    assert await store.get("k") == b"v"


@pytest.mark.asyncio
async def test_max_objects_bounds_the_store() -> None:
    store = open_dict_storage(
        ObjectStoreConfig(object_store="dict", bucket="small", extra={"max_objects": 2}), None
    )
    await store.put("a", b"1")
    await store.put("b", b"2")
    await store.put("a", b"replacing a key adds no object")
    with pytest.raises(StorageError, match="max_objects=2"):
        await store.put("c", b"3")


@pytest.mark.parametrize(
    ("config", "complaint"),
    [
        (ObjectStoreConfig(object_store="dict"), "name the dict store"),
        (ObjectStoreConfig(object_store="dict", bucket="b", prefix="p/"), "prefix"),
        (ObjectStoreConfig(object_store="dict", bucket="b", region="eu"), "region"),
        (ObjectStoreConfig(object_store="dict", bucket="b", extra={"max_objects": 0}), "0"),
        (ObjectStoreConfig(object_store="dict", bucket="b", extra={"size": 1}), "size"),
    ],
)
def test_settings_it_cannot_honour_are_refused(config: ObjectStoreConfig, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        open_dict_storage(config, None)


def vault(path: str) -> CredentialProvider:
    """The provider the registry builds for ``VaultCredentials(path)``."""
    spec = VaultCredentials(path=path)
    return registry().credential_provider_type(spec).factory(spec)


def test_credentials_are_refused() -> None:
    provider = vault("teams/data")
    with pytest.raises(ConfigError, match="no credentials"):
        open_dict_storage(ObjectStoreConfig(object_store="dict", bucket="b"), provider)


@pytest.mark.asyncio
async def test_the_vault_provider_is_chosen_by_its_credentials_type() -> None:
    assert vault("teams/data").name == "vault"
    missing = vault("nowhere")
    with pytest.raises(CredentialsError, match="nowhere"):
        await missing.credentials()


@pytest.mark.asyncio
async def test_the_fifo_cache_evicts_the_oldest_entry() -> None:
    cache = registry().cache("fifo").factory(CachingConfig(max_bytes=8))
    assert isinstance(cache, Cache)
    await cache.set("a", b"1234")
    await cache.set("b", b"5678")
    await cache.set("c", b"90")
    assert [await cache.get(key) for key in "abc"] == [None, b"5678", b"90"]


@pytest.mark.asyncio
async def test_the_concurrency_limiter_counts_bytes_and_refuses_rates() -> None:
    factory = registry().limiter("concurrency").factory
    limiter = factory(LimitsConfig(max_concurrent_requests=2), None)
    assert isinstance(limiter, Limiter)
    async with limiter.slot("write", 100):
        pass
    async with limiter.slot("read") as slot:
        await slot.charge(40)
    assert getattr(limiter, "bytes_moved", None) == 140
    with pytest.raises(ConfigError, match="requests_per_second, read_bytes_per_second"):
        factory(LimitsConfig(requests_per_second=5, read_bytes_per_second=5), None)


@pytest.mark.asyncio
async def test_the_catalog_importer_scans_and_reads() -> None:
    importer = registry().importer_for_scheme("catalog").factory({})
    assert isinstance(importer, Importer)
    sources = [source async for source in importer.scan("catalog://reports")]
    assert [source.path for source in sources] == ["2024/q1.csv", "2024/q2.csv"]
    assert await importer.read(sources[0]) == b"id,total\n1,10\n"
    with pytest.raises(ConfigError, match="no options"):
        registry().importer_for_scheme("catalog").factory({"depth": 1})


def test_the_collect_metrics_backend_keeps_every_record() -> None:
    metrics = registry().metrics_backend("collect").factory()
    assert isinstance(metrics, MetricsBackend)
    metrics.record("storage.get.latency_ms", 3.5, {"backend": "dict"})
    assert getattr(metrics, "records", None) == [
        ("storage.get.latency_ms", 3.5, {"backend": "dict"})
    ]
