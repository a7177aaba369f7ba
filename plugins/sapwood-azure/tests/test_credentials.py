"""Mapping of sapwood's credential types, Azure's environment variables, and refresh."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.blob import ContainerSasPermissions, generate_container_sas
from azure.storage.blob.aio import ContainerClient

from sapwood.config import ObjectStoreConfig
from sapwood.credentials import (
    AnonymousCredentials,
    ExpiringCredentials,
    FromEnvCredentials,
    RefreshableCredentials,
    RefreshingProvider,
    ResolvedCredentials,
    StaticCredentials,
)
from sapwood.errors import CredentialsError, PermissionDeniedError, StorageError
from sapwood.storage import Storage
from sapwood.stores import credential_provider, open_storage
from sapwood_azure.auth import ProviderTokenCredential, is_sas_token, parse_connection_string
from sapwood_azure.storage import AzureStorage
from sapwood_azure.testing import DEV_ACCOUNT_KEY, DEV_ACCOUNT_NAME, Azurite

AZURE_VARIABLES = (
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_ACCOUNT",
    "AZURE_STORAGE_ACCOUNT_NAME",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "SAPWOOD_ACCESS_KEY_ID",
    "SAPWOOD_SECRET_ACCESS_KEY",
    "SAPWOOD_SESSION_TOKEN",
    "SAPWOOD_BEARER_TOKEN",
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No Azure or sapwood credentials in the environment, and no azure-identity."""
    for name in AZURE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setitem(sys.modules, "azure.identity.aio", None)
    return monkeypatch


def container_sas(container: str, seconds: int = 600, *, start: datetime | None = None) -> str:
    """A SAS for the whole container, signed with the emulator's published dev key."""
    now = start or datetime.now(UTC).replace(microsecond=0)
    return generate_container_sas(
        DEV_ACCOUNT_NAME,
        container,
        account_key=DEV_ACCOUNT_KEY,
        permission=ContainerSasPermissions(read=True, write=True, delete=True, list=True),
        start=now - timedelta(minutes=1),
        expiry=now + timedelta(seconds=seconds),
    )


async def round_trip(store: Storage, key: str = "probe") -> None:
    await store.put(key, key.encode())
    assert await store.get(key) == key.encode()
    assert key in [getattr(e, "key", None) async for e in store.list()]


def test_sas_tokens_are_told_from_oauth_tokens() -> None:
    assert is_sas_token("sv=2024-05-04&ss=b&srt=co&sp=r&se=2030-01-01T00:00:00Z&sig=abc%3D")
    assert is_sas_token("?sv=2024-05-04&sig=abc")
    assert is_sas_token("se=2030-01-01&sp=r&sv=2024&sr=c&sig=x")
    assert not is_sas_token("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJzdG9yYWdlIn0.c2ln")


def test_connection_strings_are_parsed() -> None:
    parsed = parse_connection_string(
        "DefaultEndpointsProtocol=https;AccountName=acct1;AccountKey=a2V5;EndpointSuffix=core.windows.net"
    )
    assert parsed.account_name == "acct1"
    assert parsed.account_key == "a2V5"
    assert parsed.blob_endpoint == "https://acct1.blob.core.windows.net"
    assert "a2V5" not in repr(parsed)
    dev = parse_connection_string("UseDevelopmentStorage=true")
    assert dev.account_name == DEV_ACCOUNT_NAME
    assert dev.blob_endpoint == f"http://127.0.0.1:10000/{DEV_ACCOUNT_NAME}"
    with pytest.raises(CredentialsError, match="malformed"):
        parse_connection_string("AccountName=a;garbage")


async def test_account_name_and_key(store: AzureStorage) -> None:
    assert store.capabilities.presigned_urls is True
    await round_trip(store)
    connections = [renewal.current for renewal in store._connections.values()]
    assert [c.auth.kind for c in connections] == ["shared_key"]
    assert DEV_ACCOUNT_KEY not in repr(connections)
    assert DEV_ACCOUNT_KEY not in repr(store)


@pytest.mark.parametrize("leading", ["", "?"])
async def test_sas_token_as_bearer_token(
    azure_config: ObjectStoreConfig, store: AzureStorage, container_name: str, leading: str
) -> None:
    token = leading + container_sas(container_name)
    sas_store = open_storage(azure_config, StaticCredentials(bearer_token=token))
    assert isinstance(sas_store, AzureStorage)
    try:
        assert sas_store.capabilities.presigned_urls is False
        await round_trip(sas_store)
        for i in range(3):
            await sas_store.put(f"batch/{i}", b"x")
        await sas_store.delete_many([f"batch/{i}" for i in range(3)])
        assert [e async for e in sas_store.list("batch/")] == []
        with pytest.raises(StorageError, match="account key"):
            await sas_store.presign_get("probe")
    finally:
        await sas_store.close()


async def test_expired_sas_is_permission_denied_without_the_signature(
    azure_config: ObjectStoreConfig, store: AzureStorage, container_name: str
) -> None:
    past = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    token = container_sas(container_name, seconds=60, start=past)
    expired = AzureStorage(azure_config, credential_provider(StaticCredentials(bearer_token=token)))
    try:
        with pytest.raises(PermissionDeniedError) as caught:
            await expired.get("anything")
        signature = token.split("sig=", 1)[1]
        assert signature not in str(caught.value)
    finally:
        await expired.close()


async def test_anonymous_reads_a_public_container(
    azurite: Azurite, store: AzureStorage, container_name: str
) -> None:
    await store.put("open/data.txt", b"public bytes")
    async with ContainerClient.from_connection_string(
        azurite.connection_string, container_name
    ) as raw:
        await raw.set_container_access_policy(signed_identifiers={}, public_access="container")
    config = ObjectStoreConfig.from_url(
        f"az://{container_name}/open", endpoint_url=azurite.url, anonymous=True
    )
    anonymous = open_storage(config)
    try:
        assert await anonymous.get("data.txt") == b"public bytes"
        assert [getattr(e, "key", None) async for e in anonymous.list()] == ["data.txt"]
        with pytest.raises(PermissionDeniedError):
            await anonymous.put("intruder.txt", b"no")
    finally:
        await anonymous.close()
    explicit = open_storage(
        ObjectStoreConfig(object_store="azure", bucket=container_name, endpoint_url=azurite.url),
        AnonymousCredentials(),
    )
    try:
        assert await explicit.get("open/data.txt") == b"public bytes"
    finally:
        await explicit.close()


async def test_connection_string_from_the_environment(
    clean_env: pytest.MonkeyPatch, azurite: Azurite, store: AzureStorage, container_name: str
) -> None:
    clean_env.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite.connection_string)
    from_env = open_storage(f"az://{container_name}")  # no endpoint: the string has it
    try:
        assert from_env.capabilities.presigned_urls is True
        await round_trip(from_env)
    finally:
        await from_env.close()


async def test_account_and_key_variables(
    clean_env: pytest.MonkeyPatch, azure_config: ObjectStoreConfig, store: AzureStorage
) -> None:
    clean_env.setenv("AZURE_STORAGE_ACCOUNT", DEV_ACCOUNT_NAME)
    clean_env.setenv("AZURE_STORAGE_KEY", DEV_ACCOUNT_KEY)
    from_env = open_storage(azure_config, FromEnvCredentials())
    try:
        await round_trip(from_env)
    finally:
        await from_env.close()


async def test_sas_token_variable(
    clean_env: pytest.MonkeyPatch,
    azure_config: ObjectStoreConfig,
    store: AzureStorage,
    container_name: str,
) -> None:
    clean_env.setenv("AZURE_STORAGE_SAS_TOKEN", "?" + container_sas(container_name))
    from_env = open_storage(azure_config)
    try:
        assert from_env.capabilities.presigned_urls is False
        await round_trip(from_env)
    finally:
        await from_env.close()


async def test_sapwood_variables_come_first(
    clean_env: pytest.MonkeyPatch, azure_config: ObjectStoreConfig, store: AzureStorage
) -> None:
    clean_env.setenv("SAPWOOD_ACCESS_KEY_ID", DEV_ACCOUNT_NAME)
    clean_env.setenv("SAPWOOD_SECRET_ACCESS_KEY", DEV_ACCOUNT_KEY)
    clean_env.setenv("AZURE_STORAGE_KEY", "bm90LXRoZS1rZXk=")  # would fail if used
    from_env = open_storage(azure_config, FromEnvCredentials())
    try:
        await round_trip(from_env)
    finally:
        await from_env.close()


async def test_no_credentials_anywhere_says_what_to_set(
    clean_env: pytest.MonkeyPatch, azure_config: ObjectStoreConfig
) -> None:
    bare = open_storage(azure_config)
    try:
        with pytest.raises(CredentialsError) as caught:
            await bare.head("k")
        message = str(caught.value)
        for hint in ("AZURE_STORAGE_CONNECTION_STRING", "azure-identity", "anonymous"):
            assert hint in message
    finally:
        await bare.close()


async def test_oauth_token_over_plain_http_is_refused_clearly(
    azure_config: ObjectStoreConfig,
) -> None:
    oauth = open_storage(azure_config, StaticCredentials(bearer_token="eyJhbGciOi.payload.sig"))
    try:
        with pytest.raises(PermissionDeniedError, match="https"):
            await oauth.head("k")
    finally:
        await oauth.close()


async def test_token_credential_asks_the_provider_and_reports_expiry() -> None:
    expiry = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)
    issued: list[str] = []

    def fetch() -> ExpiringCredentials:
        issued.append(f"token-{len(issued)}")
        return ExpiringCredentials(bearer_token=issued[-1], expiration=expiry)

    provider = RefreshingProvider(
        RefreshableCredentials(fetch_with=fetch, refresh_margin=timedelta(minutes=1))
    )
    credential = ProviderTokenCredential(provider)
    first = await credential.get_token("https://storage.azure.com/.default")
    second = await credential.get_token("https://storage.azure.com/.default")
    assert (first.token, first.expires_on) == ("token-0", int(expiry.timestamp()))
    assert second.token == "token-0", "the provider caches until the refresh margin"
    assert "token-0" not in repr(credential)

    provider.clock = lambda: expiry - timedelta(seconds=30)  # inside the margin
    renewed = await credential.get_token("https://storage.azure.com/.default")
    assert renewed.token == "token-1"
    assert provider.refresh_count == 2


async def test_refreshed_sas_tokens_keep_a_long_run_working(
    azurite: Azurite, azure_config: ObjectStoreConfig, store: AzureStorage, container_name: str
) -> None:
    lifetime = 3
    issued: list[tuple[str, datetime]] = []

    def fetch() -> ExpiringCredentials:
        now = datetime.now(UTC).replace(microsecond=0)
        token = container_sas(container_name, seconds=lifetime, start=now)
        issued.append((token, now + timedelta(seconds=lifetime)))
        return ExpiringCredentials(bearer_token=token, expiration=issued[-1][1])

    spec = RefreshableCredentials(fetch_with=fetch, refresh_margin=timedelta(seconds=1.5))
    refreshing = AzureStorage(azure_config, credential_provider(spec))
    operations = 0
    try:
        # Keep working until the first token has expired and three were needed, with a bound
        # on the number of operations so the test always ends.
        def done() -> bool:
            first_expired = datetime.now(UTC) > issued[0][1] + timedelta(seconds=1)
            return len(issued) >= 3 and first_expired

        while not (issued and done()) and operations < 1000:
            key = f"run/{operations:04d}"
            await refreshing.put(key, key.encode())
            assert await refreshing.get(key) == key.encode()
            operations += 1
            await asyncio.sleep(0.02)
        assert len(issued) >= 3, f"no refresh after {operations} operations"
        listed = [e async for e in refreshing.list("run/")]
        assert len(listed) == operations
    finally:
        await refreshing.close()

    first_token, first_expiry = issued[0]
    assert datetime.now(UTC) > first_expiry
    async with ContainerClient(
        azurite.url, container_name, credential=first_token.lstrip("?")
    ) as stale:
        with pytest.raises(HttpResponseError) as caught:
            await stale.get_blob_client("run/0000").download_blob()
        assert caught.value.status_code == 403, "the emulator must enforce SAS expiry"


@dataclass
class SwitchableProvider:
    """A credential provider whose answer the test changes (a real provider, no mock)."""

    current: ResolvedCredentials
    name: str = "switchable"

    async def credentials(self) -> ResolvedCredentials | None:
        return self.current


async def test_renewed_credentials_replace_the_old_ones_in_place(
    azure_config: ObjectStoreConfig, store: AzureStorage, container_name: str
) -> None:
    provider = SwitchableProvider(
        StaticCredentials(access_key_id=DEV_ACCOUNT_NAME, secret_access_key="d3Jvbmc=")
    )
    rotating = AzureStorage(azure_config, provider)
    try:
        with pytest.raises(PermissionDeniedError):
            await rotating.put("k", b"1")
        provider.current = StaticCredentials(
            access_key_id=DEV_ACCOUNT_NAME, secret_access_key=DEV_ACCOUNT_KEY
        )
        await rotating.put("k", b"2")  # the same client, with the key swapped in
        assert len(rotating._clients().retired) == 0
        provider.current = StaticCredentials(bearer_token=container_sas(container_name))
        assert await rotating.get("k") == b"2"  # a SAS now: a new client
        assert len(rotating._clients().retired) == 1
    finally:
        await rotating.close()


async def test_expired_expiring_credentials_are_refused(azure_config: ObjectStoreConfig) -> None:
    old = ExpiringCredentials(
        access_key_id=DEV_ACCOUNT_NAME,
        secret_access_key=DEV_ACCOUNT_KEY,
        expiration=datetime.now(UTC) - timedelta(minutes=1),
    )
    expired = open_storage(azure_config, old)
    try:
        with pytest.raises(CredentialsError, match="expired"):
            await expired.head("k")
    finally:
        await expired.close()


def test_secrets_stay_out_of_reprs(azure_config: ObjectStoreConfig) -> None:
    creds = StaticCredentials(access_key_id=DEV_ACCOUNT_NAME, secret_access_key=DEV_ACCOUNT_KEY)
    configured = AzureStorage(azure_config, credential_provider(creds))
    assert DEV_ACCOUNT_KEY not in repr(configured)
    assert DEV_ACCOUNT_KEY not in repr(creds)
    assert DEV_ACCOUNT_KEY not in repr(configured.__dict__)
