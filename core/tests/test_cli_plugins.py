"""``sapwood plugins`` prints name, dist, version, registrations and errors of each plugin."""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

import pytest

from sapwood import hookimpl
from sapwood.cli import main
from sapwood.extensions import MetricsBackend, MetricsBackendType
from sapwood.registry import Registry

if TYPE_CHECKING:
    from collections.abc import Callable

    from core.tests.conftest import FakeDists, RunPython


def test_the_table_lists_every_plugin_in_a_real_interpreter(
    fake_dists: FakeDists, run_python: RunPython
) -> None:
    fake_dists.add("sapwood-tablegood", {"tablegood": fake_dists.backend("tablegood")}, "2.5.1")
    fake_dists.add("sapwood-tablebad", {"tablebad": 'raise ImportError("needs [frob] 1.0")\n'})
    fake_dists.add("sapwood-tableoff", {"tableoff": fake_dists.backend("tableoff")})

    done = run_python(
        path=fake_dists.root,
        env={"SAPWOOD_DISABLE_PLUGINS": "tableoff"},
        args=("-m", "sapwood.cli", "plugins"),
    )

    assert done.returncode == 1, "a plugin with an error makes the command fail"
    lines = done.stdout.splitlines()
    header = next(line for line in lines if "registers" in line)
    for column in ("name", "dist", "version", "registers", "error"):
        assert column in header
    good = next(line for line in lines if "tablegood" in line)
    assert "sapwood-tablegood" in good
    assert "2.5.1" in good
    assert "storage:tablegood" in good
    bad = next(line for line in lines if "tablebad" in line)
    assert "ImportError: needs [frob] 1.0" in bad, "error text must not be eaten as markup"
    off = next(line for line in lines if "tableoff" in line)
    assert "disabled" in off
    core = next(line for line in lines if "builtins" in line)
    assert "credentials:static" in core


def _metrics_plugin() -> ModuleType:
    module = ModuleType("cli_metrics_plugin")

    @hookimpl
    def sapwood_register_metrics_backends(
        register: Callable[[MetricsBackendType], None],
    ) -> None:
        register(MetricsBackendType(name="cli-metrics", factory=_never))

    module.sapwood_register_metrics_backends = sapwood_register_metrics_backends  # type: ignore[attr-defined]
    return module


def _never() -> MetricsBackend:
    raise AssertionError("the CLI test never builds a metrics backend")


def test_main_prints_the_table_and_succeeds_without_errors(
    use_registry: Callable[[Registry], None], capsys: pytest.CaptureFixture[str]
) -> None:
    built = Registry()
    built.add_plugin(_metrics_plugin(), name="climetrics", dist="sapwood-climetrics", version="0.3")
    use_registry(built)

    status = main(["plugins"])

    out = capsys.readouterr().out
    assert status == 0
    row = next(line for line in out.splitlines() if "climetrics" in line)
    assert "sapwood-climetrics" in row
    assert "0.3" in row
    assert "metrics:cli-metrics" in row


def test_main_fails_when_a_plugin_has_an_error(
    use_registry: Callable[[Registry], None], capsys: pytest.CaptureFixture[str]
) -> None:
    built = Registry()
    built.add_plugin(_metrics_plugin(), name="first", dist="sapwood-first")
    built.add_plugin(_metrics_plugin(), name="first", dist="sapwood-again")
    use_registry(built)

    status = main(["plugins"])

    assert status == 1
    assert "a plugin named 'first' is already registered" in capsys.readouterr().out


def test_main_requires_a_command() -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
