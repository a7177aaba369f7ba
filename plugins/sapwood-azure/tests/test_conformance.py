"""The whole storage conformance suite against Azurite, races included."""

from __future__ import annotations

from sapwood.testing import StorageConformance


class TestAzureConformance(StorageConformance):
    """Every conformance case, against a fresh Azurite container per test (the ``store``
    fixture of conftest.py). Defaults kept: Azurite handles 64 MiB objects in memory."""
