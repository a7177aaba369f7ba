"""sapwood's pytest plugin (entry point ``sapwood`` in the ``pytest11`` group).

It lets a plugin's tests subclass the :mod:`sapwood.testing` suites under a plain pytest
configuration:

- every ``async def`` test collected from a class deriving from a suite gets the
  ``asyncio`` marker, so pytest-asyncio runs it in its default ``strict`` mode as in
  ``auto`` mode (a marker the class or test already carries is kept, with its loop scope);
- the suites' own assertions are rewritten by pytest, so a failing check shows the values
  it compared.

Async fixtures are pytest-asyncio's business as usual: in strict mode declare them with
``@pytest_asyncio.fixture``.

Tests outside the suites' subclasses are left exactly as they were. Disable the plugin
with ``-p no:sapwood``.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Generator
from typing import Any

import pytest

from sapwood import testing

__all__ = ["is_suite_class"]

_SUITE_MODULE = "sapwood.testing._suite"
_INSTALL_HINT = 'pip install "sapwood[testing]"'

# pytest can only rewrite modules it has not imported yet: the package imports its suites
# lazily, so none is imported at this point, whichever way sapwood was installed.
pytest.register_assert_rewrite("sapwood.testing._support", *sorted(set(testing._HOMES.values())))


def is_suite_class(cls: object) -> bool:
    """Whether ``cls`` is a class deriving from one of sapwood's conformance suites."""
    # A class can only derive from a suite once the suites' base module has been imported,
    # so this never imports the suites itself.
    suite_module = sys.modules.get(_SUITE_MODULE)
    if suite_module is None or not isinstance(cls, type):
        return False
    return issubclass(cls, suite_module.ConformanceSuite)


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_pycollect_makeitem(
    collector: pytest.Module | pytest.Class, name: str, obj: object
) -> Generator[None, Any, Any]:
    """Mark the async tests of suite subclasses for pytest-asyncio.

    ``trylast`` makes this the innermost wrapper, so the marker is in place before
    pytest-asyncio's own wrapper turns marked coroutines into its test items.
    """
    collected = yield
    if not isinstance(collector, pytest.Class) or not is_suite_class(collector.obj):
        return collected
    items = collected if isinstance(collected, list) else [collected]
    for item in items:
        if not isinstance(item, pytest.Function) or not inspect.iscoroutinefunction(item.obj):
            continue
        if item.get_closest_marker("asyncio") is not None:
            continue
        if not item.config.pluginmanager.hasplugin("asyncio"):
            pytest.fail(
                f"{item.nodeid} is an async test of a sapwood.testing suite, which needs "
                f"pytest-asyncio: {_INSTALL_HINT}",
                pytrace=False,
            )
        item.add_marker(pytest.mark.asyncio)
    return collected
