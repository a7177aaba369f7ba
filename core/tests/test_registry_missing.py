"""Asking for something no plugin provides says what is installed and what to install."""

from __future__ import annotations

import importlib.metadata
from datetime import UTC, datetime
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

from sapwood import hookimpl
from sapwood.config import ObjectStoreConfig
from sapwood.credentials import CredentialProvider, ExpiringCredentials, StaticCredentials
from sapwood.errors import PluginError
from sapwood.extensions import StorageBackend
from sapwood.registry import FIRST_PARTY_DISTS, Registry
from sapwood.storage import Storage

if TYPE_CHECKING:
    from collections.abc import Callable

    from core.tests.conftest import FakeDists


@pytest.fixture
def two_backends(fake_dists: FakeDists) -> Registry:
    fake_dists.add("sapwood-alpha", {"alpha": fake_dists.backend("alpha")})
    fake_dists.add("sapwood-beta", {"beta": fake_dists.backend("beta")})
    found = Registry()
    found.discover(fake_dists.entry_points())
    return found


@pytest.mark.parametrize(
    ("name", "dist"),
    sorted((name, dist) for name, dist in FIRST_PARTY_DISTS.items() if name != "lakefs"),
)
def test_a_first_party_backend_names_its_dist(two_backends: Registry, name: str, dist: str) -> None:
    with pytest.raises(PluginError) as caught:
        two_backends.storage_backend(name)

    message = str(caught.value)
    assert f"no storage backend named {name!r} is installed" in message
    assert "(installed: alpha, beta)" in message
    assert f"pip install {dist}" in message


def test_the_first_party_names_map_to_their_dists() -> None:
    assert FIRST_PARTY_DISTS["s3"] == "sapwood-s3"
    assert FIRST_PARTY_DISTS["gcs"] == "sapwood-gcs"
    assert FIRST_PARTY_DISTS["azure"] == "sapwood-azure"
    assert FIRST_PARTY_DISTS["lakefs"] == "sapwood-lakefs-import"


def test_a_third_party_backend_suggests_a_plugin_without_inventing_its_name(
    two_backends: Registry,
) -> None:
    with pytest.raises(PluginError) as caught:
        two_backends.storage_backend("minio")
    message = str(caught.value)
    assert "(installed: alpha, beta)" in message
    assert "a third-party plugin may" in message
    assert "alpha://" in message  # the registered schemes are listed...
    assert "s3://" in message  # ...and the first-party ones
    assert "pip install" not in message  # no package name is made up


def test_an_empty_registry_says_none_is_installed() -> None:
    with pytest.raises(PluginError, match=r"\(installed: none\); install it with: pip install"):
        Registry().storage_backend("s3")


def test_a_missing_importer_names_its_dist() -> None:
    with pytest.raises(PluginError, match="pip install sapwood-lakefs-import"):
        Registry().importer("lakefs")
    with pytest.raises(PluginError, match=r"no importer handles lakefs:// URIs"):
        Registry().importer_for_scheme("lakefs")


@pytest.mark.parametrize(
    "lookup",
    [Registry.cache, Registry.limiter, Registry.metrics_backend],
    ids=["cache", "limiter", "metrics"],
)
def test_other_kinds_say_what_is_installed(lookup: Callable[[Registry, str], object]) -> None:
    with pytest.raises(PluginError, match=r"named 'nope' is installed \(installed: none\)"):
        lookup(Registry(), "nope")


def test_an_unknown_credentials_type_lists_the_known_ones(
    core_builtins: importlib.metadata.EntryPoint,
) -> None:
    found = Registry()
    found.discover([core_builtins])

    with pytest.raises(PluginError) as caught:
        found.credential_provider_type(object())

    message = str(caught.value)
    assert "no credential provider accepts object" in message
    for known in ("StaticCredentials", "AnonymousCredentials", "FromEnvCredentials"):
        assert known in message


def test_the_most_specific_credentials_type_wins(
    core_builtins: importlib.metadata.EntryPoint,
) -> None:
    found = Registry()
    found.discover([core_builtins])

    expiring = ExpiringCredentials(expiration=datetime(2030, 1, 1, tzinfo=UTC))
    assert found.credential_provider_type(expiring).name == "expiring"
    assert found.credential_provider_type(StaticCredentials()).name == "static"


def _no_storage(config: ObjectStoreConfig, credentials: CredentialProvider | None) -> Storage:
    raise AssertionError("registration tests never open a store")


def _module_with_backend(name: str) -> ModuleType:
    module = ModuleType(f"inline_{name}")

    @hookimpl
    def sapwood_register_storage_backends(register: Callable[[StorageBackend], None]) -> None:
        register(StorageBackend(name=name, factory=_no_storage))

    module.sapwood_register_storage_backends = sapwood_register_storage_backends  # type: ignore[attr-defined]
    return module


def test_add_plugin_registers_a_module_object() -> None:
    found = Registry()

    info = found.add_plugin(_module_with_backend("inline"), name="inline", dist="my-dist")

    assert info.error is None
    assert info.registers == ["storage:inline"]
    assert found.plugins["inline"] is info
    assert found.storage_backend("inline").name == "inline"


def test_add_plugin_refuses_a_taken_name() -> None:
    found = Registry()
    found.add_plugin(_module_with_backend("one"), name="same")

    info = found.add_plugin(_module_with_backend("two"), name="same")

    assert info.error == "a plugin named 'same' is already registered"
    assert "two" not in found.storage_backends.items
