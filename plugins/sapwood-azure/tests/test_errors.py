"""Clear, fast errors: missing container, wrong key, anonymous access, unreachable endpoint."""

from __future__ import annotations

import asyncio
import socket

import pytest

from sapwood.config import ObjectStoreConfig
from sapwood.credentials import AnonymousProvider, StaticCredentials, StaticProvider
from sapwood.errors import (
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    StorageError,
)
from sapwood.storage import Update
from sapwood_azure.storage import AzureStorage
from sapwood_azure.testing import DEV_ACCOUNT_KEY, DEV_ACCOUNT_NAME, Azurite

WRONG_KEY = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmcta2V5LXdyb25nLWtleQ=="


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens there once the socket is closed


async def test_missing_container_is_a_storage_error_naming_it(
    azurite: Azurite, dev_credentials: StaticCredentials
) -> None:
    config = ObjectStoreConfig(
        object_store="azure", bucket="no-such-container", endpoint_url=azurite.url
    )
    store = AzureStorage(config, StaticProvider(dev_credentials))
    try:
        for attempt in (
            store.get("k"),
            store.head("k"),
            store.put("k", b"x"),
            store.delete("k"),
            store.delete_many(["a", "b"]),
        ):
            with pytest.raises(StorageError) as caught:
                await attempt
            assert not isinstance(caught.value, NotFoundError), (
                "a missing container is not a missing key"
            )
            assert "'no-such-container' does not exist" in str(caught.value)
            assert caught.value.retryable is False
        with pytest.raises(StorageError, match="'no-such-container' does not exist"):
            [entry async for entry in store.list()]
    finally:
        await store.close()


async def test_wrong_account_key_is_permission_denied_without_the_key(
    azure_config: ObjectStoreConfig, store: AzureStorage
) -> None:
    await store.put("secret.txt", b"x")
    wrong = AzureStorage(
        azure_config,
        StaticProvider(
            StaticCredentials(access_key_id=DEV_ACCOUNT_NAME, secret_access_key=WRONG_KEY)
        ),
    )
    try:
        for attempt in (wrong.get("secret.txt"), wrong.head("secret.txt"), wrong.put("n", b"y")):
            with pytest.raises(PermissionDeniedError) as caught:
                await attempt
            message = str(caught.value)
            assert "denied" in message
            assert azure_config.bucket is not None
            assert azure_config.bucket in message
            assert WRONG_KEY not in message
            assert caught.value.__cause__ is None, "the SDK's text must not ride along"
    finally:
        await wrong.close()


async def test_a_key_that_is_not_base64_is_refused_clearly(
    azure_config: ObjectStoreConfig, store: AzureStorage
) -> None:
    bad = AzureStorage(
        azure_config,
        StaticProvider(
            StaticCredentials(access_key_id=DEV_ACCOUNT_NAME, secret_access_key="not base64!")
        ),
    )
    try:
        with pytest.raises(PermissionDeniedError) as caught:
            await bad.head("k")
        assert "not base64!" not in str(caught.value)
    finally:
        await bad.close()


async def test_anonymous_access_to_a_private_container_is_refused(
    azure_config: ObjectStoreConfig, store: AzureStorage
) -> None:
    await store.put("private.txt", b"x")
    anonymous = AzureStorage(azure_config, AnonymousProvider())
    try:
        assert anonymous.capabilities.presigned_urls is False
        with pytest.raises((PermissionDeniedError, NotFoundError)):
            await anonymous.get("private.txt")
        with pytest.raises(PermissionDeniedError):
            await anonymous.put("new.txt", b"y")
    finally:
        await anonymous.close()


async def test_unreachable_endpoint_fails_fast_naming_it() -> None:
    port = _closed_port()
    endpoint = f"http://127.0.0.1:{port}/{DEV_ACCOUNT_NAME}"
    config = ObjectStoreConfig(
        object_store="azure",
        bucket="box",
        endpoint_url=endpoint,
        extra={"max_retries": 1, "connect_timeout_seconds": 2},
    )
    store = AzureStorage(
        config,
        StaticProvider(
            StaticCredentials(access_key_id=DEV_ACCOUNT_NAME, secret_access_key=DEV_ACCOUNT_KEY)
        ),
    )
    try:
        with pytest.raises(StorageError) as caught:
            await store.get("k")
        assert endpoint in str(caught.value)
        assert "cannot reach" in str(caught.value)
        assert caught.value.retryable is True
        assert DEV_ACCOUNT_KEY not in str(caught.value)
    finally:
        await store.close()


async def test_update_of_a_missing_key_says_not_found(store: AzureStorage) -> None:
    other = await store.put("other", b"1")
    assert other.etag is not None
    with pytest.raises(NotFoundError, match="does not exist"):
        await store.put("absent", b"2", mode=Update(other.etag))


async def test_empty_and_absolute_keys_are_refused(store: AzureStorage) -> None:
    with pytest.raises(ValueError, match="empty"):
        await store.get("")
    with pytest.raises(ValueError, match="must not start with '/'"):
        await store.put("/abs", b"x")


class HangUpServer:
    """A real TCP server on 127.0.0.1 that reads a request and hangs up without answering,
    counting the connections it gets."""

    def __init__(self) -> None:
        self.connections = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> HangUpServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        await reader.read(1024)
        writer.close()

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


async def test_conditional_writes_are_not_retried_inside_the_sdk() -> None:
    async with HangUpServer() as server:
        config = ObjectStoreConfig(
            object_store="azure",
            bucket="box",
            endpoint_url=f"http://127.0.0.1:{server.port}/{DEV_ACCOUNT_NAME}",
            extra={"max_retries": 2, "retry_backoff_seconds": 0.05},
        )
        store = AzureStorage(
            config,
            StaticProvider(
                StaticCredentials(access_key_id=DEV_ACCOUNT_NAME, secret_access_key=DEV_ACCOUNT_KEY)
            ),
        )
        try:
            with pytest.raises(StorageError) as plain:
                await store.put("k", b"x")
            assert plain.value.retryable is True
            assert server.connections == 3, "an overwrite is retried quietly: 1 + max_retries"

            for mode in ("create", Update('"0x1"')):
                before = server.connections
                with pytest.raises(StorageError) as conditional:
                    await store.put("k", b"x", mode=mode)
                assert conditional.value.retryable is True
                assert not isinstance(conditional.value, PreconditionFailedError)
                assert server.connections - before == 1, f"{mode!r} was retried inside the SDK"
        finally:
            await store.close()
