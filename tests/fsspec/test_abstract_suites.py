"""fsspec's own abstract test suites (copy, get, put, open, pipe), unmodified.

Every suite runs over a repository in memory, over a local folder and over S3 (moto). On
local and S3 the copy, get and put suites take a few minutes (every call that writes is a
commit, and the suites build their folder trees file by file); they run in CI all the same,
since passing them on the backends users deploy is the point.

Folders in sapwood exist only through the objects under them (as in S3), so
``supports_empty_directories`` is False: the suites then add a dummy file where they need
a folder to exist (the switch fsspec provides for object stores).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import fsspec.tests.abstract as abstract
import pytest

from sapwood.fsspec import SapwoodFileSystem
from sapwood_s3.testing import TEST_CREDENTIALS, MotoServer


class SapwoodFixtures(abstract.AbstractFixtures):  # type: ignore[misc]
    """The suites' fixtures: the filesystem over a fresh repository on ``backend``, rooted
    at branch ``main``."""

    backend: ClassVar[str] = "memory"

    @pytest.fixture
    def fs(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SapwoodFileSystem]:
        options: dict[str, Any]
        if self.backend == "memory":
            options = {"repo": request.getfixturevalue("repo")}
        elif self.backend == "local":
            options = {"repo": str(tmp_path / "repo"), "create": True}
        else:
            server: MotoServer = request.getfixturevalue("moto_server")
            config = server.store_config(request.getfixturevalue("s3_bucket"), "suite")
            options = {"repo": config, "credentials": TEST_CREDENTIALS, "create": True}
        filesystem = SapwoodFileSystem(**options, skip_instance_cache=True)
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


class TestSapwoodOpenLocal(TestSapwoodOpen):
    """The open suite over a local folder."""

    backend = "local"


class TestSapwoodPipeLocal(TestSapwoodPipe):
    """The pipe suite over a local folder."""

    backend = "local"


class TestSapwoodOpenS3(TestSapwoodOpen):
    """The open suite over S3 (moto)."""

    backend = "s3"


class TestSapwoodPipeS3(TestSapwoodPipe):
    """The pipe suite over S3 (moto)."""

    backend = "s3"


class TestSapwoodCopyLocal(TestSapwoodCopy):
    """The copy suite over a local folder."""

    backend = "local"


class TestSapwoodGetLocal(TestSapwoodGet):
    """The get suite over a local folder."""

    backend = "local"


class TestSapwoodPutLocal(TestSapwoodPut):
    """The put suite over a local folder."""

    backend = "local"


class TestSapwoodCopyS3(TestSapwoodCopy):
    """The copy suite over S3 (moto)."""

    backend = "s3"


class TestSapwoodGetS3(TestSapwoodGet):
    """The get suite over S3 (moto)."""

    backend = "s3"


class TestSapwoodPutS3(TestSapwoodPut):
    """The put suite over S3 (moto)."""

    backend = "s3"
