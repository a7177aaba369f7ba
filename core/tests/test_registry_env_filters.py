"""SAPWOOD_DISABLE_PLUGINS and SAPWOOD_LOAD_PLUGINS, by entry-point name or distribution name.

The core's built-ins always load, whatever the two variables say.
"""

from __future__ import annotations

import importlib.metadata
import sys
from typing import TYPE_CHECKING

import pytest

from sapwood.errors import PluginError
from sapwood.registry import Registry

if TYPE_CHECKING:
    from core.tests.conftest import FakeDists, RunPython


@pytest.fixture
def two_plugins(
    fake_dists: FakeDists,
    core_builtins: importlib.metadata.EntryPoint,
    clean_env: pytest.MonkeyPatch,
) -> tuple[list[importlib.metadata.EntryPoint], dict[str, str]]:
    """Entry points ``alpha`` (dist Sapwood-Alpha), ``beta`` (sapwood-beta) and the core's
    built-ins, and the module name behind each plugin."""
    modules = fake_dists.add("Sapwood-Alpha", {"alpha": fake_dists.backend("alpha")})
    modules |= fake_dists.add("sapwood-beta", {"beta": fake_dists.backend("beta")})
    return [core_builtins, *fake_dists.entry_points()], modules


def discover(entry_points: list[importlib.metadata.EntryPoint]) -> Registry:
    found = Registry()
    found.discover(entry_points)
    return found


@pytest.mark.parametrize(
    "blocked", ["alpha", "Sapwood-Alpha", "sapwood_alpha", " sapwood.alpha , ", "alpha,nothing"]
)
def test_disable_blocks_by_entry_point_or_dist_name(
    two_plugins: tuple[list[importlib.metadata.EntryPoint], dict[str, str]],
    clean_env: pytest.MonkeyPatch,
    blocked: str,
) -> None:
    entry_points, modules = two_plugins
    clean_env.setenv("SAPWOOD_DISABLE_PLUGINS", blocked)

    if "nothing" in blocked:
        with pytest.warns(UserWarning, match="names 'nothing', which no installed plugin is"):
            found = discover(entry_points)
    else:
        found = discover(entry_points)

    assert found.plugins["alpha"].disabled
    assert found.plugins["alpha"].registers == []
    assert modules["alpha"] not in sys.modules, "a disabled plugin's code must never run"
    assert "alpha" not in found.storage_backends.items
    assert found.storage_backend("beta").name == "beta"


@pytest.mark.parametrize("allowed", ["beta", "sapwood-beta", "SAPWOOD_BETA"])
def test_load_allows_only_the_named_plugins(
    two_plugins: tuple[list[importlib.metadata.EntryPoint], dict[str, str]],
    clean_env: pytest.MonkeyPatch,
    allowed: str,
) -> None:
    entry_points, modules = two_plugins
    clean_env.setenv("SAPWOOD_LOAD_PLUGINS", allowed)

    found = discover(entry_points)

    assert found.plugins["alpha"].disabled
    assert modules["alpha"] not in sys.modules
    assert not found.plugins["beta"].disabled
    assert sorted(found.storage_backends.items) == ["beta"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SAPWOOD_DISABLE_PLUGINS", "builtins"),
        ("SAPWOOD_DISABLE_PLUGINS", "sapwood"),
        ("SAPWOOD_LOAD_PLUGINS", "alpha"),
    ],
)
def test_core_builtins_always_load(
    two_plugins: tuple[list[importlib.metadata.EntryPoint], dict[str, str]],
    clean_env: pytest.MonkeyPatch,
    variable: str,
    value: str,
) -> None:
    entry_points, _ = two_plugins
    clean_env.setenv(variable, value)

    found = discover(entry_points)

    builtins = found.plugins["builtins"]
    assert not builtins.disabled
    assert builtins.error is None
    assert "credentials:static" in builtins.registers
    assert "static" in found.credential_providers.items


def test_disable_wins_over_load(
    two_plugins: tuple[list[importlib.metadata.EntryPoint], dict[str, str]],
    clean_env: pytest.MonkeyPatch,
) -> None:
    entry_points, _ = two_plugins
    clean_env.setenv("SAPWOOD_LOAD_PLUGINS", "alpha,beta")
    clean_env.setenv("SAPWOOD_DISABLE_PLUGINS", "beta")

    found = discover(entry_points)

    assert sorted(found.storage_backends.items) == ["alpha"]


def test_without_the_variables_every_plugin_loads(
    two_plugins: tuple[list[importlib.metadata.EntryPoint], dict[str, str]],
) -> None:
    entry_points, _ = two_plugins
    found = discover(entry_points)
    assert sorted(found.storage_backends.items) == ["alpha", "beta"]
    assert not any(info.disabled for info in found.plugins.values())


def test_a_disabled_first_party_backend_says_it_is_disabled(
    fake_dists: FakeDists, clean_env: pytest.MonkeyPatch
) -> None:
    fake_dists.add("sapwood-s3", {"s3": fake_dists.backend("s3")})
    clean_env.setenv("SAPWOOD_DISABLE_PLUGINS", "sapwood-s3")
    found = discover(fake_dists.entry_points())

    with pytest.raises(PluginError, match="sapwood-s3 is installed but disabled"):
        found.storage_backend("s3")


FILTER_REPORT = """
import json, sys
from sapwood.registry import registry

found = registry()
print(json.dumps({
    "backends": sorted(found.storage_backends.items),
    "disabled": sorted(name for name, info in found.plugins.items() if info.disabled),
    "imported": [m for m in MODULES if m in sys.modules],
    "builtins": found.plugins["builtins"].error is None and not found.plugins["builtins"].disabled,
}))
"""


@pytest.mark.parametrize(
    ("variable", "value"),
    [("SAPWOOD_DISABLE_PLUGINS", "sapwood-gamma"), ("SAPWOOD_LOAD_PLUGINS", "delta")],
)
def test_the_variables_work_with_real_discovery(
    fake_dists: FakeDists, run_python: RunPython, variable: str, value: str
) -> None:
    modules = fake_dists.add("sapwood-gamma", {"gamma": fake_dists.backend("gamma")})
    modules |= fake_dists.add("sapwood-delta", {"delta": fake_dists.backend("delta")})
    code = FILTER_REPORT.replace("MODULES", repr(sorted(modules.values())))

    report = run_python(code, path=fake_dists.root, env={variable: value}).json()

    assert "gamma" in report["disabled"]
    assert "delta" in report["backends"]
    assert "gamma" not in report["backends"]
    assert report["imported"] == [modules["delta"]]
    assert report["builtins"] is True


@pytest.mark.parametrize("variable", ["SAPWOOD_DISABLE_PLUGINS", "SAPWOOD_LOAD_PLUGINS"])
def test_a_name_no_plugin_has_is_warned_about_not_ignored(
    two_plugins: tuple[list[importlib.metadata.EntryPoint], dict[str, str]],
    clean_env: pytest.MonkeyPatch,
    variable: str,
) -> None:
    entry_points, _ = two_plugins
    clean_env.setenv(variable, "beta,alhpa")
    with pytest.warns(UserWarning, match="no installed plugin") as caught:
        discover(entry_points)
    (warning,) = caught
    assert f"{variable} names 'alhpa', which no installed plugin is" in str(warning.message)
    assert "alpha, beta" in str(warning.message)  # what is installed, to compare with
