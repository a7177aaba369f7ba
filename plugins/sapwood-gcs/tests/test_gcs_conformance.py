"""The storage conformance suite against fake-gcs-server."""

from __future__ import annotations

from sapwood.testing import StorageConformance


class TestGcsConformance(StorageConformance):
    """Every conformance case, on a fresh emulator bucket each (``store`` in conftest.py)."""
