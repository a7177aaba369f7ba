"""Conformance suites that plugin test suites subclass (requires pytest and pytest-asyncio,
the ``sapwood[testing]`` extra).

``from sapwood.testing import StorageConformance``; see ``docs/testing.md``.

The names below are imported on first use, so that sapwood's pytest plugin (which lives in
this package) can have pytest rewrite the suites' assertions before they are imported.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sapwood.testing.cache import CacheConformance
    from sapwood.testing.credentials import CredentialProviderConformance
    from sapwood.testing.limiter import ALL_LIMITS, FakeClock, LimiterConformance, LimitName
    from sapwood.testing.storage_basic import ReadWriteTests
    from sapwood.testing.storage_capabilities import CapabilityTests
    from sapwood.testing.storage_conditional import ConditionalWriteTests
    from sapwood.testing.storage_conformance import StorageConformance
    from sapwood.testing.storage_hints import HintedWriteTests
    from sapwood.testing.storage_large import LargeObjectTests
    from sapwood.testing.storage_listing import ListingTests
    from sapwood.testing.storage_ranges import ByteRangeTests

__all__ = [
    "ALL_LIMITS",
    "ByteRangeTests",
    "CacheConformance",
    "CapabilityTests",
    "ConditionalWriteTests",
    "CredentialProviderConformance",
    "FakeClock",
    "HintedWriteTests",
    "LargeObjectTests",
    "LimitName",
    "LimiterConformance",
    "ListingTests",
    "ReadWriteTests",
    "StorageConformance",
]

_HOMES: dict[str, str] = {
    "ALL_LIMITS": "sapwood.testing.limiter",
    "ByteRangeTests": "sapwood.testing.storage_ranges",
    "CacheConformance": "sapwood.testing.cache",
    "CapabilityTests": "sapwood.testing.storage_capabilities",
    "ConditionalWriteTests": "sapwood.testing.storage_conditional",
    "HintedWriteTests": "sapwood.testing.storage_hints",
    "CredentialProviderConformance": "sapwood.testing.credentials",
    "FakeClock": "sapwood.testing.limiter",
    "LargeObjectTests": "sapwood.testing.storage_large",
    "LimitName": "sapwood.testing.limiter",
    "LimiterConformance": "sapwood.testing.limiter",
    "ListingTests": "sapwood.testing.storage_listing",
    "ReadWriteTests": "sapwood.testing.storage_basic",
    "StorageConformance": "sapwood.testing.storage_conformance",
}
"""Where each public name is defined."""


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sapwood.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
