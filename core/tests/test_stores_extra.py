"""Backends validate ``ObjectStoreConfig.extra`` with their own Struct; stores open through
the registry with a credential provider."""

from __future__ import annotations

import importlib.metadata
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from types import ModuleType

import msgspec
import pytest

from sapwood import hookimpl
from sapwood.config import ObjectStoreConfig
from sapwood.credentials import (
    AnonymousCredentials,
    AnonymousProvider,
    CredentialProvider,
    StaticCredentials,
    StaticProvider,
)
from sapwood.errors import ConfigError, NotFoundError, PluginError
from sapwood.extensions import StorageBackend
from sapwood.registry import Registry
from sapwood.storage import BaseStorage, ByteRange, ListEntry, ObjectMeta, PutMode
from sapwood.stores import credential_provider, open_storage, validate_extra


class StrictExtra(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The settings the ``checked`` backend accepts in ``extra``."""

    retries: int = 3
    addressing_style: str = "virtual"


class LenientExtra(msgspec.Struct, frozen=True):
    """A Struct that forgot ``forbid_unknown_fields``: the core still rejects unknown keys."""

    mode: str = "fast"


class RecordingStorage(BaseStorage):
    """Remembers how it was built; stores nothing (these tests never do I/O)."""

    def __init__(self, config: ObjectStoreConfig, provider: CredentialProvider | None) -> None:
        self.config = config
        self.provider = provider

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        raise NotFoundError(f"{key!r} does not exist", key=key)

    async def head(self, key: str) -> ObjectMeta:
        raise NotFoundError(f"{key!r} does not exist", key=key)

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        return ObjectMeta(key=key, size=len(data))

    async def delete(self, key: str) -> None:
        return None

    async def delete_many(self, keys: Iterable[str]) -> None:
        return None

    async def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        nothing: list[ListEntry] = []
        for entry in nothing:
            yield entry


@pytest.fixture
def backends(
    use_registry: Callable[[Registry], None], core_builtins: importlib.metadata.EntryPoint
) -> Registry:
    """The core's built-ins and three test backends, as the process-wide registry."""
    module = ModuleType("extra_test_backends")

    @hookimpl
    def sapwood_register_storage_backends(register: Callable[[StorageBackend], None]) -> None:
        register(StorageBackend("checked", RecordingStorage, ("checked",), StrictExtra))
        register(StorageBackend("lenient", RecordingStorage, ("lenient",), LenientExtra))
        register(StorageBackend("plain", RecordingStorage, ("plain",)))

    module.sapwood_register_storage_backends = sapwood_register_storage_backends  # type: ignore[attr-defined]
    built = Registry()
    built.discover([core_builtins])
    info = built.add_plugin(module, name="extra-tests", dist="sapwood-extra-tests")
    assert info.error is None
    use_registry(built)
    return built


def test_extra_is_validated_into_the_backends_struct(backends: Registry) -> None:
    config = ObjectStoreConfig.from_url("checked://b/p?retries=7&addressing_style=path")

    validated = validate_extra(config)

    assert validated == StrictExtra(retries=7, addressing_style="path")


def test_an_unknown_extra_key_is_rejected_naming_the_backend(backends: Registry) -> None:
    config = ObjectStoreConfig.from_url("checked://b?retires=7")

    with pytest.raises(ConfigError) as caught:
        validate_extra(config)

    assert caught.value.field == "extra.retires"
    assert "storage backend 'checked' has no setting 'retires'" in str(caught.value)
    assert "expected one of: retries, addressing_style" in str(caught.value)


def test_a_struct_without_forbid_unknown_fields_still_rejects(backends: Registry) -> None:
    config = ObjectStoreConfig(object_store="lenient", bucket="b", extra={"mood": "slow"})
    with pytest.raises(ConfigError, match="has no setting 'mood'"):
        validate_extra(config)


def test_a_bad_extra_value_names_the_field(backends: Registry) -> None:
    config = ObjectStoreConfig(object_store="checked", bucket="b", extra={"retries": "lots"})

    with pytest.raises(ConfigError) as caught:
        validate_extra(config)

    assert caught.value.field == "extra.retries"
    assert "ObjectStoreConfig.extra.retries" in str(caught.value)
    assert "found 'lots' (type str)" in str(caught.value)


def test_a_backend_without_settings_refuses_any(backends: Registry) -> None:
    assert validate_extra(ObjectStoreConfig(object_store="plain", bucket="b")) is None
    with pytest.raises(ConfigError, match="takes no extra settings, got: a, b"):
        validate_extra(ObjectStoreConfig(object_store="plain", bucket="b", extra={"b": 1, "a": 2}))


def test_open_storage_passes_config_and_provider(backends: Registry) -> None:
    credentials = StaticCredentials(access_key_id="id", secret_access_key="secret-value")

    store = open_storage("checked://bucket/prefix?retries=2", credentials)

    assert isinstance(store, RecordingStorage)
    assert store.config.bucket == "bucket"
    assert isinstance(store.provider, StaticProvider)
    assert store.provider.spec is credentials


def test_an_anonymous_config_gets_the_anonymous_provider(backends: Registry) -> None:
    store = open_storage(ObjectStoreConfig(object_store="plain", bucket="b", anonymous=True))
    assert isinstance(store, RecordingStorage)
    assert isinstance(store.provider, AnonymousProvider)


def test_no_credentials_leaves_the_backend_its_own_chain(backends: Registry) -> None:
    store = open_storage(ObjectStoreConfig(object_store="plain", bucket="b"))
    assert isinstance(store, RecordingStorage)
    assert store.provider is None


def test_open_storage_validates_extra_before_building(backends: Registry) -> None:
    with pytest.raises(ConfigError, match="no setting 'oops'"):
        open_storage("checked://b?oops=1")


def test_open_storage_of_an_unknown_backend_names_the_dist(backends: Registry) -> None:
    with pytest.raises(PluginError, match="pip install sapwood-s3"):
        open_storage("s3://bucket/p")


def test_a_provider_passes_through_unchanged(backends: Registry) -> None:
    provider = AnonymousProvider()
    assert credential_provider(provider) is provider
    assert credential_provider(None) is None
    assert isinstance(credential_provider(AnonymousCredentials()), AnonymousProvider)
