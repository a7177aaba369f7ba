"""Conformance suites that plugin test suites subclass (requires pytest and pytest-asyncio,
the ``sapwood[testing]`` extra).

``from sapwood.testing import StorageConformance``; see ``docs/testing.md``.
"""

from __future__ import annotations

from sapwood.testing.cache import CacheConformance
from sapwood.testing.credentials import CredentialProviderConformance
from sapwood.testing.limiter import FakeClock, LimiterConformance
from sapwood.testing.storage_basic import ReadWriteTests
from sapwood.testing.storage_capabilities import CapabilityTests
from sapwood.testing.storage_conditional import ConditionalWriteTests
from sapwood.testing.storage_conformance import StorageConformance
from sapwood.testing.storage_large import LargeObjectTests
from sapwood.testing.storage_listing import ListingTests
from sapwood.testing.storage_ranges import ByteRangeTests

# Other suites add their import line here (credentials: sapwood.testing.credentials).

__all__ = [
    "ByteRangeTests",
    "CacheConformance",
    "CapabilityTests",
    "ConditionalWriteTests",
    "CredentialProviderConformance",
    "FakeClock",
    "LargeObjectTests",
    "LimiterConformance",
    "ListingTests",
    "ReadWriteTests",
    "StorageConformance",
]
