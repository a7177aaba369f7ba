"""Names two plugins claim are rejected naming both distributions; bad names are rejected."""

from __future__ import annotations

import importlib.metadata
import sys
from typing import TYPE_CHECKING

import pytest

from sapwood.credentials import StaticCredentials
from sapwood.errors import PluginError
from sapwood.registry import Registry

if TYPE_CHECKING:
    from core.tests.conftest import FakeDists

TWO_BACKENDS = """
from sapwood import hookimpl
from sapwood.extensions import StorageBackend

def _factory(config, credentials):
    raise AssertionError("conflict tests register backends and never open a store")

@hookimpl
def sapwood_register_storage_backends(register):
    register(StorageBackend(name="twin", factory=_factory))
    register(StorageBackend(name={own!r}, factory=_factory))
"""


def discover(fake_dists: FakeDists) -> Registry:
    found = Registry()
    found.discover(fake_dists.entry_points())
    return found


def test_a_name_claimed_by_two_dists_is_used_by_neither(fake_dists: FakeDists) -> None:
    fake_dists.add("sapwood-left", {"left": TWO_BACKENDS.format(own="leftonly")})
    fake_dists.add("sapwood-right", {"right": TWO_BACKENDS.format(own="rightonly")})

    found = discover(fake_dists)

    with pytest.raises(PluginError) as caught:
        found.storage_backend("twin")
    assert "sapwood-left" in str(caught.value)
    assert "sapwood-right" in str(caught.value)
    assert "SAPWOOD_DISABLE_PLUGINS" in str(caught.value)
    for name in ("left", "right"):
        error = found.plugins[name].error
        assert error is not None
        assert "'twin' is provided by both sapwood-left and sapwood-right" in error
    assert found.storage_backend("leftonly").name == "leftonly"
    assert found.storage_backend("rightonly").name == "rightonly"


def test_a_third_claimant_is_named_too(fake_dists: FakeDists) -> None:
    for side in ("one", "two", "three"):
        fake_dists.add(f"sapwood-{side}", {side: TWO_BACKENDS.format(own=f"{side}only")})

    found = discover(fake_dists)

    with pytest.raises(PluginError) as caught:
        found.storage_backend("twin")
    for side in ("one", "two", "three"):
        assert f"sapwood-{side}" in str(caught.value)


def test_a_dist_registering_a_name_twice_is_reported(fake_dists: FakeDists) -> None:
    source = TWO_BACKENDS.format(own="twin")
    fake_dists.add("sapwood-stutter", {"stutter": source})

    found = discover(fake_dists)

    assert found.plugins["stutter"].error == (
        "storage backend 'twin' is registered 2 times by sapwood-stutter"
    )
    with pytest.raises(PluginError):
        found.storage_backend("twin")


def test_the_same_entry_point_name_in_two_dists_loads_only_the_first(
    fake_dists: FakeDists,
) -> None:
    first = fake_dists.add("sapwood-aaa", {"shared": fake_dists.backend("fromaaa")})
    second = fake_dists.add("sapwood-bbb", {"shared": fake_dists.backend("frombbb")})

    found = discover(fake_dists)

    assert found.storage_backend("fromaaa").name == "fromaaa"
    assert "frombbb" not in found.storage_backends.items
    assert second["shared"] not in sys.modules
    assert first["shared"] in sys.modules
    duplicate = found.plugins["shared (sapwood-bbb)"]
    assert duplicate.dist == "sapwood-bbb"
    assert duplicate.error is not None
    assert "also used by sapwood-aaa" in duplicate.error
    assert "SAPWOOD_DISABLE_PLUGINS=sapwood-bbb" in duplicate.error


INVALID_NAMES = ["S3", "3d", "has space", "", "-dash", "x" * 64, "ünï", "a/b"]
VALID_NAMES = ["a", "s3", "my-store", "my_store.v2", "x" * 63]

NAMED = """
from sapwood import hookimpl
from sapwood.extensions import StorageBackend

@hookimpl
def sapwood_register_storage_backends(register):
    register(StorageBackend(name={name!r}, factory=lambda config, credentials: None))
"""


@pytest.mark.parametrize("name", INVALID_NAMES)
def test_invalid_names_are_rejected(fake_dists: FakeDists, name: str) -> None:
    fake_dists.add("sapwood-naming", {"naming": NAMED.format(name=name)})

    found = discover(fake_dists)

    assert found.storage_backends.items == {}
    error = found.plugins["naming"].error
    assert error is not None
    assert f"storage backend name {name!r} is invalid" in error
    assert found.plugins["naming"].registers == []


@pytest.mark.parametrize("name", VALID_NAMES)
def test_valid_names_are_accepted(fake_dists: FakeDists, name: str) -> None:
    fake_dists.add("sapwood-naming", {"naming": NAMED.format(name=name)})

    found = discover(fake_dists)

    assert found.plugins["naming"].error is None
    assert found.storage_backend(name).name == name
    assert found.plugins["naming"].registers == [f"storage:{name}"]


WRONG_RECORD = """
from sapwood import hookimpl
from sapwood.extensions import MetricsBackendType

@hookimpl
def sapwood_register_storage_backends(register):
    register(MetricsBackendType(name="confused", factory=lambda: None))
"""


def test_a_record_of_the_wrong_type_is_rejected(fake_dists: FakeDists) -> None:
    fake_dists.add("sapwood-confused", {"confused": WRONG_RECORD})

    found = discover(fake_dists)

    assert found.storage_backends.items == {}
    assert found.plugins["confused"].error == (
        "registered a MetricsBackendType where a StorageBackend was expected"
    )


def test_each_hook_fills_its_own_kind(fake_dists: FakeDists) -> None:
    source = """
from sapwood import hookimpl
from sapwood.extensions import (
    CacheType, CredentialProviderType, ImporterType, LimiterType, MetricsBackendType,
    StorageBackend,
)

@hookimpl
def sapwood_register_storage_backends(register):
    register(StorageBackend(name="k-store", factory=lambda config, credentials: None))

@hookimpl
def sapwood_register_credential_providers(register):
    register(CredentialProviderType(name="k-cred", spec_type=int, factory=lambda spec: None))

@hookimpl
def sapwood_register_caches(register):
    register(CacheType(name="k-cache", factory=lambda config: None))

@hookimpl
def sapwood_register_limiters(register):
    register(LimiterType(name="k-limiter", factory=lambda config, clock: None))

@hookimpl
def sapwood_register_importers(register):
    register(ImporterType(name="k-import", factory=lambda options: None, url_schemes=("kk",)))

@hookimpl
def sapwood_register_metrics_backends(register):
    register(MetricsBackendType(name="k-metrics", factory=lambda: None))
"""
    fake_dists.add("sapwood-kinds", {"kinds": source})

    found = discover(fake_dists)

    assert found.plugins["kinds"].error is None
    assert sorted(found.plugins["kinds"].registers) == [
        "cache:k-cache",
        "credentials:k-cred",
        "importer:k-import",
        "limiter:k-limiter",
        "metrics:k-metrics",
        "storage:k-store",
    ]
    assert found.storage_backend("k-store").name == "k-store"
    assert found.credential_provider_type(7).name == "k-cred"
    assert found.cache("k-cache").name == "k-cache"
    assert found.limiter("k-limiter").name == "k-limiter"
    assert found.importer("k-import").name == "k-import"
    assert found.importer_for_scheme("kk").name == "k-import"
    assert found.metrics_backend("k-metrics").name == "k-metrics"


SECOND_STATIC_PROVIDER = """
from sapwood import hookimpl
from sapwood.credentials import StaticCredentials
from sapwood.extensions import CredentialProviderType

@hookimpl
def sapwood_register_credential_providers(register):
    register(CredentialProviderType(name="sneaky", spec_type=StaticCredentials, factory=repr))
"""


def test_a_second_provider_for_a_taken_credentials_type_is_refused(
    fake_dists: FakeDists, core_builtins: importlib.metadata.EntryPoint
) -> None:
    fake_dists.add("sapwood-sneaky", {"sneaky": SECOND_STATIC_PROVIDER})
    found = Registry()

    found.discover([core_builtins, *fake_dists.entry_points()])

    assert found.plugins["sneaky"].error == (
        "credential provider 'sneaky' accepts StaticCredentials, which 'static' from sapwood "
        "already handles; it is not used"
    )
    assert found.credential_provider_type(StaticCredentials()).name == "static"
    assert "sneaky" not in found.credential_providers.items


SCHEMES = """
from sapwood import hookimpl
from sapwood.extensions import StorageBackend

def _factory(config, credentials):
    raise AssertionError("scheme tests register backends and never open a store")

@hookimpl
def sapwood_register_storage_backends(register):
    register(StorageBackend(name={name!r}, factory=_factory, url_schemes={schemes!r}))
"""


def test_a_scheme_claimed_twice_is_reported_and_the_first_party_owner_keeps_it(
    fake_dists: FakeDists,
) -> None:
    # Registered first, so without the rule it would take s3:// from sapwood-s3.
    fake_dists.add("acme-hijack", {"hijack": SCHEMES.format(name="mys3", schemes=("S3", "x1"))})
    fake_dists.add("sapwood-s3", {"s3": SCHEMES.format(name="s3", schemes=("s3",))})
    fake_dists.add("acme-other", {"other": SCHEMES.format(name="other", schemes=("x1",))})

    found = discover(fake_dists)

    assert found.url_schemes() == {"s3": "s3", "x1": "mys3"}
    hijack = found.plugins["hijack"].error
    assert hijack is not None
    assert "'s3://' of storage backend 'mys3' (acme-hijack)" in hijack
    assert "claimed by storage backend 's3' (sapwood-s3), which keeps it" in hijack
    other = found.plugins["other"].error
    assert other is not None
    assert "'x1://' of storage backend 'other' (acme-other)" in other
    assert found.plugins["s3"].error is None
    assert found.storage_backend("mys3").name == "mys3"  # still reachable by name


@pytest.mark.parametrize(
    ("schemes", "problem"),
    [
        (("s3://",), "claims URL scheme 's3://', which is not one"),
        (("my store",), "claims URL scheme 'my store', which is not one"),
        ("dict", "gives url_schemes as str"),
    ],
)
def test_a_backend_with_a_malformed_scheme_is_rejected(
    fake_dists: FakeDists, schemes: object, problem: str
) -> None:
    fake_dists.add("acme-bad", {"bad": SCHEMES.format(name="bad", schemes=schemes)})

    found = discover(fake_dists)

    error = found.plugins["bad"].error
    assert error is not None
    assert problem in error
    assert found.plugins["bad"].registers == []
    with pytest.raises(PluginError):
        found.storage_backend("bad")


def test_a_record_whose_factory_is_not_callable_is_rejected(fake_dists: FakeDists) -> None:
    source = """
from sapwood import hookimpl
from sapwood.extensions import CacheType

@hookimpl
def sapwood_register_caches(register):
    register(CacheType(name="broken-cache", factory="not a function"))
"""
    fake_dists.add("acme-cache", {"cachy": source})

    found = discover(fake_dists)

    error = found.plugins["cachy"].error
    assert error is not None
    assert "'broken-cache' has a factory that is not callable" in error
    with pytest.raises(PluginError):
        found.cache("broken-cache")


def test_an_importer_scheme_claimed_twice_is_reported_and_the_first_keeps_it(
    fake_dists: FakeDists,
) -> None:
    source = """
from sapwood import hookimpl
from sapwood.extensions import ImporterType

def _factory(options):
    raise AssertionError("never built")

@hookimpl
def sapwood_register_importers(register):
    register(ImporterType(name={name!r}, factory=_factory, url_schemes=("catalog",)))
"""
    fake_dists.add("acme-first", {"first": source.format(name="first-catalog")})
    fake_dists.add("acme-second", {"second": source.format(name="second-catalog")})

    found = discover(fake_dists)

    assert found.importer_for_scheme("catalog").name == "first-catalog"
    assert found.plugins["first"].error is None
    error = found.plugins["second"].error
    assert error is not None
    assert "'catalog://' of importer 'second-catalog' (acme-second)" in error
    assert found.importer("second-catalog").name == "second-catalog"


def test_a_third_backend_claiming_a_first_party_scheme_is_told_who_keeps_it(
    fake_dists: FakeDists,
) -> None:
    fake_dists.add("acme-one", {"one": SCHEMES.format(name="one", schemes=("s3",))})
    fake_dists.add("sapwood-s3", {"s3": SCHEMES.format(name="s3", schemes=("s3",))})
    fake_dists.add("acme-two", {"two": SCHEMES.format(name="two", schemes=("s3",))})

    found = discover(fake_dists)

    assert found.url_schemes() == {"s3": "s3"}
    for plugin in ("one", "two"):
        error = found.plugins[plugin].error
        assert error is not None
        assert "claimed by storage backend 's3' (sapwood-s3), which keeps it" in error


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        (
            "register(StorageBackend(name='settings', factory=_factory, extra_type=dict))",
            "gives extra_type <class 'dict'>, which is not a msgspec.Struct class",
        ),
        (
            "register(CredentialProviderType(name='vaulty', spec_type='Vault', factory=_factory))",
            "gives spec_type 'Vault', which is not a class",
        ),
    ],
)
def test_a_record_with_an_unusable_type_is_rejected(
    fake_dists: FakeDists, source: str, problem: str
) -> None:
    hook = (
        "sapwood_register_storage_backends"
        if "StorageBackend" in source
        else "sapwood_register_credential_providers"
    )
    module = f"""
from sapwood import hookimpl
from sapwood.extensions import CredentialProviderType, StorageBackend

def _factory(*args):
    raise AssertionError("never built")

@hookimpl
def {hook}(register):
    {source}
"""
    fake_dists.add("acme-types", {"typed": module})

    found = discover(fake_dists)

    error = found.plugins["typed"].error
    assert error is not None
    assert problem in error
    assert found.plugins["typed"].registers == []
