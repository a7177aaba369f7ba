"""fsspec's own abstract test suites (copy, get, put, open, pipe), unmodified, over a
sapwood repository in memory.

Folders in sapwood exist only through the objects under them (as in S3), so
``supports_empty_directories`` is False: the suites then add a dummy file where they need
a folder to exist (the switch fsspec provides for object stores).
"""

from __future__ import annotations

from collections.abc import Iterator

import fsspec.tests.abstract as abstract
import pytest

import sapwood
from sapwood.fsspec import SapwoodFileSystem


class SapwoodFixtures(abstract.AbstractFixtures):  # type: ignore[misc]
    """The suites' fixtures: the filesystem over a fresh repository, rooted at ``main``."""

    @pytest.fixture
    def fs(self, repo: sapwood.Repository) -> Iterator[SapwoodFileSystem]:
        filesystem = SapwoodFileSystem(repo=repo)
        yield filesystem
        filesystem.close()

    @pytest.fixture
    def fs_path(self) -> str:
        return "main"

    @pytest.fixture
    def supports_empty_directories(self) -> bool:
        return False


class TestSapwoodCopy(abstract.AbstractCopyTests, SapwoodFixtures):  # type: ignore[misc]
    """fsspec's copy suite."""


class TestSapwoodGet(abstract.AbstractGetTests, SapwoodFixtures):  # type: ignore[misc]
    """fsspec's get suite."""


class TestSapwoodPut(abstract.AbstractPutTests, SapwoodFixtures):  # type: ignore[misc]
    """fsspec's put suite."""


class TestSapwoodOpen(abstract.AbstractOpenTests, SapwoodFixtures):  # type: ignore[misc]
    """fsspec's open suite (exclusive create)."""


class TestSapwoodPipe(abstract.AbstractPipeTests, SapwoodFixtures):  # type: ignore[misc]
    """fsspec's pipe suite (exclusive create)."""
