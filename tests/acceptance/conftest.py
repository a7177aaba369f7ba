"""Fixtures for the acceptance tests: fresh repositories on memory and local stores, each
under a unique name, built the way a user would build them from DESIGN.md's public names."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import sapwood


def unique_name(kind: str = "acc") -> str:
    """A store name no other test uses."""
    return f"{kind}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def memory_url() -> str:
    """The URL of a memory store no other test uses."""
    return f"memory://{unique_name()}"


@pytest.fixture
def file_url(tmp_path: Path) -> str:
    """The ``file://`` URL of an empty folder in the test's temporary directory."""
    return (tmp_path / "repo").as_uri()


@pytest.fixture
def repo(memory_url: str) -> Iterator[sapwood.Repository]:
    """A new repository in memory, created through ``Repository.create``."""
    repository = sapwood.Repository.create(sapwood.ObjectStoreConfig.from_url(memory_url))
    yield repository
    repository.close()


@pytest.fixture
def file_repo(file_url: str) -> Iterator[sapwood.Repository]:
    """A new repository in a local folder, opened through ``sapwood.repository``."""
    repository = sapwood.repository(file_url)
    yield repository
    repository.close()
