"""Markers that xarray's own backend tests carry (run here against SapwoodStore), and the
one that needs a hook: ``skip_if_param(name=value, reason=..., condition=True)`` skips a
test whose parametrized fixture ``name`` took ``value`` (xarray's repository root conftest
does this; it is not shipped with the package)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    for marker in ("flaky", "network", "skip_if_param", "skip_with_dask_array"):
        config.addinivalue_line("markers", f"{marker}: used by xarray's own backend tests")


def pytest_runtest_setup(item: pytest.Item) -> None:
    params = getattr(getattr(item, "callspec", None), "params", {})
    for mark in item.iter_markers(name="skip_if_param"):
        wanted = {k: v for k, v in mark.kwargs.items() if k not in ("reason", "condition")}
        if not mark.kwargs.get("condition", True):
            continue
        if wanted and all(params.get(name) == value for name, value in wanted.items()):
            pytest.skip(mark.kwargs.get("reason", "not applicable to this parameter"))
