"""Fixtures for the integration tests: one emulator per cloud backend for the whole session
(started only when a test needs it), and a fresh, empty :class:`Target` per test.

An emulator that cannot start fails every test that needs it, naming the fix: nothing is
ever skipped. Tests choose backends with ``@pytest.mark.parametrize("backend", ...)``; the
``target`` fixture reads that parameter.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sapwood.config import ObjectStoreConfig
from sapwood.credentials import AnonymousCredentials, StaticCredentials
from sapwood_azure.testing import DEV_ACCOUNT_KEY, DEV_ACCOUNT_NAME, Azurite, AzuriteError
from sapwood_gcs.testing import FakeGcsServer, emulator_config, new_bucket
from sapwood_memory.storage import drop_bucket
from sapwood_s3.testing import TEST_CREDENTIALS, MotoServer, start_moto_server

from .runner import COMMITTERS, WorkerPool
from .targets import Target


@pytest.fixture(scope="session")
def worker_pool() -> Iterator[WorkerPool]:
    """The committer processes, spawned on first use and shared by every test."""
    pool = WorkerPool(COMMITTERS)
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="session")
def moto_emulator() -> Iterator[MotoServer]:
    """moto's S3 server (stands in for S3 and Tigris), in a process of its own so the
    workers' requests do not compete with the test process for one interpreter."""
    try:
        server = start_moto_server(subprocess=True)
    except RuntimeError as exc:
        pytest.fail(f"the S3 emulator (moto) is required: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[str]:
    """The base URL of fake-gcs-server."""
    server = FakeGcsServer()
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(f"the GCS emulator (fake-gcs-server) is required: {exc}", pytrace=False)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def azure_emulator() -> Iterator[Azurite]:
    """Azurite's blob service, data in memory."""
    try:
        emulator = Azurite().start()
    except AzuriteError as exc:
        pytest.fail(f"the Azure emulator (Azurite) is required: {exc}", pytrace=False)
    try:
        yield emulator
    finally:
        emulator.stop()


def _azure_target(emulator: Azurite) -> Target:
    from azure.storage.blob import BlobServiceClient

    container = f"it{uuid.uuid4().hex[:20]}"
    with BlobServiceClient.from_connection_string(emulator.connection_string) as client:
        client.create_container(container)
    return Target(
        "azure",
        ObjectStoreConfig(object_store="azure", bucket=container, endpoint_url=emulator.url),
        StaticCredentials(access_key_id=DEV_ACCOUNT_NAME, secret_access_key=DEV_ACCOUNT_KEY),
    )


@pytest.fixture
def target(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    """A fresh, empty location on ``backend`` (a test parameter)."""
    if backend == "memory":
        name = f"it-{uuid.uuid4().hex[:12]}"
        yield Target("memory", f"memory://{name}")
        drop_bucket(name)
        return
    if backend == "local":
        yield Target("local", str(tmp_path / "repository"))
        return
    if backend in ("s3", "tigris"):
        moto: MotoServer = request.getfixturevalue("moto_emulator")
        bucket = moto.create_bucket("it")
        yield Target(backend, moto.store_config(bucket, object_store=backend), TEST_CREDENTIALS)
        return
    if backend == "gcs":
        endpoint: str = request.getfixturevalue("gcs_emulator")
        yield Target("gcs", emulator_config(endpoint, new_bucket(endpoint)), AnonymousCredentials())
        return
    if backend == "azure":
        yield _azure_target(request.getfixturevalue("azure_emulator"))
        return
    raise ValueError(f"no integration target for backend {backend!r}")
