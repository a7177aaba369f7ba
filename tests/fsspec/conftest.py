"""Fixtures for the fsspec filesystem's tests: a fresh repository in memory per test, the
filesystem over it, and moto's S3 server for the S3 cases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

import sapwood
from sapwood.fsspec import SapwoodFileSystem
from sapwood_memory.storage import drop_bucket
from sapwood_s3.testing import moto_server, s3_bucket

__all__ = ["moto_server", "s3_bucket"]


@pytest.fixture
def memory_url() -> Iterator[str]:
    """The URL of a fresh memory store, emptied after the test."""
    name = f"fsspec-{uuid.uuid4().hex[:12]}"
    yield f"memory://{name}"
    drop_bucket(name)


@pytest.fixture
def repo(memory_url: str) -> Iterator[sapwood.Repository]:
    """A new repository in memory (``main`` holds only the creation commit)."""
    with sapwood.Repository.create(memory_url) as repository:
        yield repository


@pytest.fixture
def fs(repo: sapwood.Repository) -> Iterator[SapwoodFileSystem]:
    """The filesystem over :func:`repo` (a fresh instance, dropped from fsspec's cache
    afterwards)."""
    filesystem = SapwoodFileSystem(repo=repo)
    yield filesystem
    filesystem.close()


def messages(repo: sapwood.Repository, ref: str = "main") -> list[str]:
    """The commit messages of ``ref``, newest first, less the creation commit."""
    return [commit.message for commit in repo.ref(ref).log()][:-1]
