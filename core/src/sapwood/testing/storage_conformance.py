"""The storage conformance suite every backend's tests subclass.

A plugin's test module subclasses :class:`StorageConformance` and provides an async,
function-scoped fixture named ``store`` that yields a fresh, empty store and closes it
afterwards::

    import pytest_asyncio
    from sapwood.testing import StorageConformance

    class TestMyStoreConformance(StorageConformance):
        @pytest_asyncio.fixture(loop_scope="function")
        async def store(self):
            storage = MyStorage(...)
            yield storage
            await storage.close()

A case an emulator cannot do is overridden in the subclass with
``@pytest.mark.xfail(reason=..., strict=True)`` and a call to ``super()``; never skipped.
"""

from __future__ import annotations

from sapwood.testing.storage_basic import ReadWriteTests
from sapwood.testing.storage_capabilities import CapabilityTests
from sapwood.testing.storage_conditional import ConditionalWriteTests
from sapwood.testing.storage_hints import HintedWriteTests
from sapwood.testing.storage_large import LargeObjectTests
from sapwood.testing.storage_listing import ListingTests
from sapwood.testing.storage_ranges import ByteRangeTests

__all__ = ["StorageConformance"]


class StorageConformance(
    ReadWriteTests,
    ByteRangeTests,
    ListingTests,
    ConditionalWriteTests,
    HintedWriteTests,
    LargeObjectTests,
    CapabilityTests,
):
    """Every storage conformance test. Tunables a subclass may override (saying why):
    ``LARGE_OBJECT_SIZE`` (64 MiB), ``MANY_KEYS`` (1,100), ``WRITE_CONCURRENCY`` (32) and
    ``RACERS`` (16)."""
