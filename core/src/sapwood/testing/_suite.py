"""The base class every conformance suite derives from.

sapwood's pytest plugin (:mod:`sapwood.testing.pytest_plugin`) recognises the test classes
it looks after by this base, so it must stay free of imports that could fail.
"""

from __future__ import annotations

__all__ = ["ConformanceSuite"]


class ConformanceSuite:
    """Marks a class as a sapwood conformance suite: every async test of a subclass runs
    under pytest-asyncio, whatever mode pytest-asyncio is configured in."""
