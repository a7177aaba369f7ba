"""The composition root is the one place that consults the registry and wires opening."""

from __future__ import annotations

import ast
import importlib.metadata
import uuid
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

import sapwood
from sapwood import composition, hookimpl
from sapwood.config import (
    CachingConfig,
    LimitsConfig,
    ObjectStoreConfig,
    RepositoryConfig,
    VirtualChunkContainer,
)
from sapwood.engine.virtual import VirtualResolver
from sapwood.errors import ConfigError
from sapwood.extensions import Cache, CacheStats, CacheType, StorageBackend
from sapwood.layer.metrics import MemoryMetrics
from sapwood.registry import Registry
from sapwood.storage import Storage

PACKAGE = Path(sapwood.__file__).parent

ALLOWED = {"composition.py", "cli/plugins.py", "registry.py"}
"""registry.py defines it; ``sapwood plugins`` (cli/plugins.py) lists what it found."""


def _consults_the_registry(source: str) -> bool:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "sapwood.registry":
            return True
        from_package = isinstance(node, ast.ImportFrom) and node.module == "sapwood"
        if from_package and any(alias.name == "registry" for alias in node.names):  # type: ignore[attr-defined]
            return True
        if isinstance(node, ast.Import) and any(a.name == "sapwood.registry" for a in node.names):
            return True
    return False


def test_only_the_composition_root_and_the_cli_consult_the_registry() -> None:
    offenders = sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if _consults_the_registry(path.read_text(encoding="utf-8"))
    )
    assert "composition.py" in offenders  # the scan does find imports
    assert set(offenders) - ALLOWED == set(), offenders


class CountingCache:
    """A cache plugin that keeps everything and counts lookups."""

    def __init__(self, config: CachingConfig) -> None:
        self.config = config
        self.values: dict[str, bytes] = {}
        self.lookups = 0

    async def get(self, key: str) -> bytes | None:
        self.lookups += 1
        return self.values.get(key)

    async def set(self, key: str, value: bytes) -> None:
        self.values[key] = value

    async def delete(self, key: str) -> None:
        self.values.pop(key, None)

    async def clear(self) -> None:
        self.values.clear()

    def stats(self) -> CacheStats:
        return CacheStats(entries=len(self.values))


def _cache_plugin() -> ModuleType:
    module = ModuleType("counting_cache_plugin")

    @hookimpl
    def sapwood_register_caches(register: Callable[[CacheType], None]) -> None:
        register(CacheType(name="counting", factory=CountingCache))

    module.sapwood_register_caches = sapwood_register_caches  # type: ignore[attr-defined]
    return module


async def test_build_layer_hands_the_layer_the_plugins_it_names(
    use_registry: Callable[[Registry], None],
) -> None:
    built = Registry()
    built.discover(_core_entry_points())
    built.add_plugin(_cache_plugin(), name="counting", dist="my-cache")
    use_registry(built)
    storage = composition.open_storage(f"memory://composition-{uuid.uuid4().hex[:8]}")
    config = RepositoryConfig(
        caching=CachingConfig(cache="counting"),
        limits=LimitsConfig(max_concurrent_requests=3),
    )

    layer = composition.build_layer(storage, config, metrics="memory")

    assert isinstance(layer.cache, CountingCache)
    assert layer.cache.config.cache == "counting"
    assert isinstance(layer.metrics, MemoryMetrics)
    await layer.put("k", b"value", immutable=True)
    assert await layer.get("k", immutable=True) == b"value"
    assert layer.cache.lookups >= 1
    await layer.close()


def _core_entry_points() -> list[importlib.metadata.EntryPoint]:
    return [
        ep
        for ep in importlib.metadata.entry_points(group="sapwood")
        if ep.name in ("builtins", "memory")
    ]


def test_an_unknown_cache_plugin_is_refused_by_name() -> None:
    storage = composition.open_storage(f"memory://composition-{uuid.uuid4().hex[:8]}")
    with pytest.raises(sapwood.PluginError, match="no cache named 'nope'"):
        composition.build_layer(storage, RepositoryConfig(caching=CachingConfig(cache="nope")))


def test_a_metrics_instance_passes_through() -> None:
    metrics = MemoryMetrics()
    assert composition.build_metrics(metrics) is metrics
    assert type(composition.build_metrics(None)).__name__ == "NoopMetrics"


async def test_the_engine_reads_virtual_containers_only_through_the_opener_it_was_given() -> None:
    container = VirtualChunkContainer(
        name="ext", prefix="memory://ext/", store=ObjectStoreConfig(object_store="memory")
    )
    config = RepositoryConfig(virtual_chunk_containers={"ext": container}).resolved()
    resolver = VirtualResolver(config)  # built without the composition root
    with pytest.raises(ConfigError, match="without a way to open stores"):
        await resolver._layer(container)


def test_open_store_turns_a_folder_into_a_local_config(tmp_path: Path) -> None:
    opened = composition.open_store(tmp_path / "repo")
    assert opened.owns
    assert isinstance(opened.spec, ObjectStoreConfig)
    assert opened.spec.object_store == "local"
    assert opened.location == f"file://{tmp_path / 'repo'}"


def test_open_store_refuses_other_types() -> None:
    with pytest.raises(TypeError, match="store must be an ObjectStoreConfig"):
        composition.open_store(42)  # type: ignore[arg-type]


def _plugin_needing_an_sdk() -> ModuleType:
    """A third-party plugin whose factories import an SDK that is not installed, without
    turning the ImportError into a PluginError themselves."""
    module = ModuleType("sdk_needing_plugin")

    def open_store(config: ObjectStoreConfig, provider: object) -> Storage:
        import sapwood_probe_absent_sdk  # type: ignore[import-not-found]  # noqa: F401

        raise AssertionError("unreachable: the SDK is not installed")

    def open_cache(config: CachingConfig) -> Cache:
        import sapwood_probe_absent_sdk  # noqa: F401

        raise AssertionError("unreachable: the SDK is not installed")

    @hookimpl
    def sapwood_register_storage_backends(register: Callable[[StorageBackend], None]) -> None:
        register(StorageBackend(name="needs-sdk", factory=open_store, url_schemes=("needsdk",)))

    @hookimpl
    def sapwood_register_caches(register: Callable[[CacheType], None]) -> None:
        register(CacheType(name="needs-sdk", factory=open_cache))

    module.sapwood_register_storage_backends = sapwood_register_storage_backends  # type: ignore[attr-defined]
    module.sapwood_register_caches = sapwood_register_caches  # type: ignore[attr-defined]
    return module


def test_a_factory_missing_its_sdk_raises_a_plugin_error_naming_the_dist(
    use_registry: Callable[[Registry], None],
) -> None:
    built = Registry()
    built.discover(_core_entry_points())
    built.add_plugin(_plugin_needing_an_sdk(), name="needs-sdk", dist="acme-sapwood-sdk")
    use_registry(built)

    with pytest.raises(sapwood.PluginError, match="acme-sapwood-sdk") as opened:
        composition.open_storage("needsdk://bucket/data")
    assert "'sapwood_probe_absent_sdk'" in str(opened.value)
    assert "pip install --force-reinstall acme-sapwood-sdk" in str(opened.value)
    with pytest.raises(sapwood.PluginError, match="acme-sapwood-sdk"):
        composition.build_cache(RepositoryConfig(caching=CachingConfig(cache="needs-sdk")))
    with pytest.raises(sapwood.PluginError, match="storage backend 'needs-sdk'"):
        sapwood.repository("needsdk://bucket/data")
