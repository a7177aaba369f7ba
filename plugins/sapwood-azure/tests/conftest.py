"""Fixtures: one Azurite for the session, a fresh container for each test.

Azurite must be installed (``npm ci --prefix tools/azurite``); if it is missing or cannot
start, every test that needs it fails loudly, naming the fix. Nothing is skipped.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from sapwood.config import ObjectStoreConfig
from sapwood.credentials import StaticCredentials, StaticProvider
from sapwood_azure.storage import AzureStorage
from sapwood_azure.testing import DEV_ACCOUNT_KEY, DEV_ACCOUNT_NAME, Azurite, AzuriteError


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    """Azurite's blob service on a free port of 127.0.0.1, data in memory."""
    try:
        emulator = Azurite().start()
    except AzuriteError as exc:
        pytest.fail(f"cannot run the Azure tests: {exc}", pytrace=False)
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def dev_credentials() -> StaticCredentials:
    """The emulator's well-known development account and key."""
    return StaticCredentials(access_key_id=DEV_ACCOUNT_NAME, secret_access_key=DEV_ACCOUNT_KEY)


def new_container_name() -> str:
    """A container name no other test uses."""
    return f"t{uuid.uuid4().hex[:20]}"


@pytest.fixture
def container_name() -> str:
    """A fresh container name for this test."""
    return new_container_name()


@pytest.fixture
def azure_config(azurite: Azurite, container_name: str) -> ObjectStoreConfig:
    """``az://<fresh container>`` at the emulator."""
    return ObjectStoreConfig(object_store="azure", bucket=container_name, endpoint_url=azurite.url)


@pytest_asyncio.fixture(loop_scope="function")
async def store(
    azure_config: ObjectStoreConfig, dev_credentials: StaticCredentials
) -> AsyncIterator[AzureStorage]:
    """A fresh, empty store in its own container, signed with the dev account key."""
    storage = AzureStorage(azure_config, StaticProvider(dev_credentials))
    await storage.create_container()
    try:
        yield storage
    finally:
        await storage.delete_container()
        await storage.close()
