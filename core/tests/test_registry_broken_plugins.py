"""A broken plugin is reported with its error and never breaks sapwood or other plugins."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import sapwood.registry
from sapwood.errors import PluginError
from sapwood.registry import Registry

if TYPE_CHECKING:
    from core.tests.conftest import FakeDists, RunPython

REPORT = """
import json
import sapwood
from sapwood.registry import registry

found = registry()
plugins = {name: [i.dist, i.error, i.registers] for name, i in found.plugins.items()}
print(json.dumps({"plugins": plugins, "good": found.storage_backend("stillgood").name}))
"""


def test_a_plugin_failing_to_import_is_reported_in_a_real_interpreter(
    fake_dists: FakeDists, run_python: RunPython
) -> None:
    fake_dists.add("sapwood-broken", {"broken": "import frobnicate_sdk_that_is_not_installed\n"})
    fake_dists.add("sapwood-stillgood", {"stillgood": fake_dists.backend("stillgood")})

    report = run_python(REPORT, path=fake_dists.root).json()

    dist, error, registers = report["plugins"]["broken"]
    assert dist == "sapwood-broken"
    assert "ModuleNotFoundError" in error
    assert "frobnicate_sdk_that_is_not_installed" in error
    assert registers == []
    assert report["good"] == "stillgood"
    assert report["plugins"]["stillgood"][1] is None
    assert report["plugins"]["builtins"][1] is None


BROKEN_MODULES = {
    "raises-runtime-error": (
        'raise RuntimeError("the plugin exploded on import")\n',
        "RuntimeError: the plugin exploded on import",
    ),
    "fails-an-assert": (
        'assert False, "an assert at import time"\n',
        "PluginError: AssertionError: an assert at import time",
    ),
    "calls-sys-exit": (
        'import sys\nsys.exit("a plugin that exits on import")\n',
        "PluginError: SystemExit: a plugin that exits on import",
    ),
    "has-a-syntax-error": ("def broken(:\n", "SyntaxError: "),
}


@pytest.mark.parametrize("case", sorted(BROKEN_MODULES))
def test_each_kind_of_import_failure_is_isolated(fake_dists: FakeDists, case: str) -> None:
    source, expected = BROKEN_MODULES[case]
    fake_dists.add("sapwood-bad", {"bad": source})
    fake_dists.add("sapwood-zgood", {"zgood": fake_dists.backend("zgood")})
    found = Registry()

    found.discover(fake_dists.entry_points())

    error = found.plugins["bad"].error
    assert error is not None
    assert error.startswith(expected)
    assert found.storage_backend("zgood").name == "zgood"
    assert found.plugins["zgood"].error is None


def test_an_entry_point_naming_something_else_than_a_module_is_refused(
    fake_dists: FakeDists,
) -> None:
    fake_dists.add(
        "sapwood-odd", {"odd": "def factory():\n    return None\n"}, attrs={"odd": "factory"}
    )
    found = Registry()

    found.discover(fake_dists.entry_points())

    error = found.plugins["odd"].error
    assert error is not None
    assert "must name a module" in error
    assert "function" in error


HOOK_RAISES = """
from sapwood import hookimpl

@hookimpl
def sapwood_register_storage_backends(register):
    raise ValueError("cannot reach the SDK")
"""

WRONG_ARGUMENT = """
from sapwood import hookimpl

@hookimpl
def sapwood_register_storage_backends(callback):
    pass
"""

UNKNOWN_HOOK = """
from sapwood import hookimpl
from sapwood.extensions import StorageBackend

@hookimpl
def sapwood_register_storage_backend(register):
    pass

@hookimpl
def sapwood_register_storage_backends(register):
    register(StorageBackend(name="typo", factory=lambda config, credentials: None))
"""

NOT_DECORATED = """
from sapwood.extensions import StorageBackend

def sapwood_register_storage_backends(register):  # @hookimpl forgotten
    register(StorageBackend(name="forgotten", factory=lambda config, credentials: None))
"""


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (HOOK_RAISES, "sapwood_register_storage_backends failed: ValueError: cannot reach the SDK"),
        (WRONG_ARGUMENT, "callback"),
        (UNKNOWN_HOOK, "unknown hook(s) sapwood_register_storage_backend"),
        (NOT_DECORATED, "defines sapwood_register_storage_backends without @hookimpl"),
    ],
    ids=["hook-raises", "wrong-argument-name", "misspelt-hook", "hookimpl-forgotten"],
)
def test_a_faulty_hook_is_reported_and_the_others_still_load(
    fake_dists: FakeDists, source: str, expected: str
) -> None:
    fake_dists.add("sapwood-faulty", {"faulty": source})
    fake_dists.add("sapwood-fine", {"fine": fake_dists.backend("fine")})
    found = Registry()

    found.discover(fake_dists.entry_points())

    error = found.plugins["faulty"].error
    assert error is not None
    assert expected in error
    assert found.storage_backend("fine").name == "fine"


def test_a_missing_backend_whose_plugin_failed_says_why(fake_dists: FakeDists) -> None:
    fake_dists.add("sapwood-gcs", {"gcs": 'raise ImportError("google-cloud-storage is missing")\n'})
    found = Registry()
    found.discover(fake_dists.entry_points())

    with pytest.raises(PluginError) as caught:
        found.storage_backend("gcs")

    message = str(caught.value)
    assert "sapwood-gcs is installed but its plugin 'gcs' failed" in message
    assert "google-cloud-storage is missing" in message


def test_a_failed_plugin_module_is_not_left_half_registered(fake_dists: FakeDists) -> None:
    fake_dists.add(
        "sapwood-half",
        {"half": fake_dists.backend("half") + '\nraise RuntimeError("after the hook")\n'},
    )
    found = Registry()

    found.discover(fake_dists.entry_points())

    assert "half" not in found.storage_backends.items
    assert found.plugins["half"].error == "RuntimeError: after the hook"


ASKS_FOR_THE_REGISTRY = """
from sapwood import hookimpl
from sapwood.config import ObjectStoreConfig

@hookimpl
def sapwood_register_storage_backends(register):
    ObjectStoreConfig.from_url("reentrant://bucket")  # an unknown scheme asks the registry
"""


def test_a_plugin_asking_for_the_registry_while_discovered_does_not_deadlock(
    fake_dists: FakeDists, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dists.add("sapwood-reentrant", {"reentrant": ASKS_FOR_THE_REGISTRY})
    fake_dists.add("sapwood-bystander", {"bystander": fake_dists.backend("bystander")})
    monkeypatch.setattr(sapwood.registry, "_current", None)

    found = sapwood.registry.registry()

    error = found.plugins["reentrant"].error
    assert error is not None
    assert "asked for the sapwood registry while plugins were being discovered" in error
    assert found.storage_backend("bystander").name == "bystander"
    assert sapwood.registry.registry() is found
