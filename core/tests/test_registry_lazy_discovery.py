"""Plugins are discovered on first use of the registry, never by ``import sapwood``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import sapwood.registry
from sapwood.config import ObjectStoreConfig
from sapwood.registry import Registry, registry, reset_registry

if TYPE_CHECKING:
    from collections.abc import Callable

    from core.tests.conftest import FakeDists, RunPython

REPORT_MODULES = """
import json, sys
import sapwood

def loaded():
    return {
        "stevedore": "stevedore" in sys.modules,
        "builtins": "sapwood.builtins" in sys.modules,
        "plugin": PLUGIN in sys.modules,
    }

before = loaded()
from sapwood.registry import registry
backend = registry().storage_backend("lazyone")
print(json.dumps({"before": before, "after": loaded(), "backend": backend.name}))
"""


def test_import_sapwood_imports_no_plugin_module(
    fake_dists: FakeDists, run_python: RunPython
) -> None:
    modules = fake_dists.add("sapwood-lazyone", {"lazyone": fake_dists.backend("lazyone")})
    code = REPORT_MODULES.replace("PLUGIN", repr(modules["lazyone"]))

    report = run_python(code, path=fake_dists.root).json()

    assert report["before"] == {"stevedore": False, "builtins": False, "plugin": False}
    assert report["after"] == {"stevedore": True, "builtins": True, "plugin": True}
    assert report["backend"] == "lazyone"


def test_registry_is_built_once_and_rebuilt_after_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sapwood.registry, "_current", None)
    first = registry()
    assert registry() is first
    reset_registry()
    second = registry()
    assert second is not first
    assert "builtins" in second.plugins


def test_a_fresh_registry_is_empty_until_discovery() -> None:
    fresh = Registry()
    assert fresh.plugins == {}
    assert fresh.storage_backends.items == {}
    assert fresh.credential_providers.items == {}


def test_from_url_maps_a_plugin_scheme_through_the_registry(
    fake_dists: FakeDists, use_registry: Callable[[Registry], None]
) -> None:
    fake_dists.add("sapwood-minio", {"minio": fake_dists.backend("minio", scheme="minio+s3")})
    built = Registry()
    built.discover(fake_dists.entry_points())
    use_registry(built)

    config = ObjectStoreConfig.from_url("minio+s3://bucket/some/prefix")

    assert config.object_store == "minio"
    assert (config.bucket, config.prefix) == ("bucket", "some/prefix")


def test_an_unregistered_scheme_is_kept_as_the_backend_name(
    use_registry: Callable[[Registry], None],
) -> None:
    use_registry(Registry())
    config = ObjectStoreConfig.from_url("sftp://host/folder")
    assert config.object_store == "sftp"
