"""Fixtures for the public API's tests: fresh repositories on memory and local stores, a
store that counts what is read from it, and a clean credential chain."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import sapwood
from sapwood.storage import ByteRange
from sapwood_memory.storage import MemoryStorage, drop_bucket
from sapwood_s3.testing import moto_server, s3_bucket

__all__ = ["CountingStorage", "moto_server", "s3_bucket"]


class CountingStorage(MemoryStorage):
    """A memory store that counts the bytes and requests served by ``get``."""

    def __init__(self, name: str, prefix: str = "") -> None:
        super().__init__(name, prefix)
        self.bytes_read = 0
        self.gets = 0

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        data = await super().get(key, byte_range)
        self.bytes_read += len(data)
        self.gets += 1
        return data


@pytest.fixture
def memory_url() -> Iterator[str]:
    """The URL of a fresh memory store, emptied after the test."""
    name = f"api-{uuid.uuid4().hex[:12]}"
    yield f"memory://{name}"
    drop_bucket(name)


@pytest.fixture
def repo(memory_url: str) -> Iterator[sapwood.Repository]:
    """A new repository in memory (``main`` holds only the creation commit)."""
    with sapwood.Repository.create(memory_url) as repository:
        yield repository


@pytest.fixture
def local_repo(tmp_path: Path) -> Iterator[sapwood.Repository]:
    """A new repository in a local folder."""
    with sapwood.repository(tmp_path / "repo") as repository:
        yield repository


@pytest.fixture
def clean_chain(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No init() defaults, no SAPWOOD_*/AWS_*/AZURE_*/GOOGLE_* variables, no AWS files or
    instance metadata, and an empty sapwood config file; yields the config file's path."""
    for name in list(os.environ):
        if name.startswith(("SAPWOOD_", "AWS_", "AZURE_", "GOOGLE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    config_file = tmp_path / "sapwood-config.toml"
    monkeypatch.setenv("SAPWOOD_CONFIG", str(config_file))
    sapwood.init()
    yield config_file
    sapwood.init()
