"""Fixtures for sapwood-gcs: fake-gcs-server on 127.0.0.1 for the whole session, a fresh
bucket per test, a store on it, a recording proxy and a service account key.

If the emulator cannot start, every test using it fails loudly: nothing is skipped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from sapwood.credentials import AnonymousCredentials
from sapwood.stores import open_storage
from sapwood_gcs.storage import GcsStorage
from sapwood_gcs.testing import (
    FakeGcsServer,
    RecordingProxy,
    emulator_config,
    new_bucket,
    write_service_account_key,
)


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[str]:
    """The base URL of a fake-gcs-server running for the whole test session."""
    server = FakeGcsServer()
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(f"the GCS emulator is required for these tests: {exc}")
    yield server.url
    server.stop()


@pytest.fixture
def gcs_bucket(gcs_emulator: str) -> str:
    """A fresh, empty bucket for one test."""
    return new_bucket(gcs_emulator)


@pytest_asyncio.fixture(loop_scope="function")
async def store(gcs_emulator: str, gcs_bucket: str) -> AsyncIterator[GcsStorage]:
    """An anonymous GCS store on a fresh bucket of the emulator."""
    opened = open_storage(emulator_config(gcs_emulator, gcs_bucket), AnonymousCredentials())
    assert isinstance(opened, GcsStorage)
    yield opened
    await opened.close()


@pytest.fixture
def recording_proxy(gcs_emulator: str) -> Iterator[RecordingProxy]:
    """A proxy in front of the emulator that records ``Authorization`` headers."""
    proxy = RecordingProxy(upstream=gcs_emulator)
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture
def service_account_file(tmp_path: Path, recording_proxy: RecordingProxy) -> Path:
    """A service account key whose tokens come from the recording proxy's ``/token``."""
    return write_service_account_key(tmp_path / "key.json", f"{recording_proxy.url}/token")
