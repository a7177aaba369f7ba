"""OAuth bearer tokens end to end, against an Azurite that speaks https with ``--oauth basic``.

Azurite checks a token's audience, issuer and validity window (not its signature), so the
tests mint short-lived tokens themselves and prove that a long run renews them.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from sapwood.config import ObjectStoreConfig
from sapwood.credentials import (
    ExpiringCredentials,
    RefreshableCredentials,
    StaticCredentials,
    StaticProvider,
)
from sapwood.errors import PermissionDeniedError
from sapwood.storage import ObjectMeta
from sapwood.stores import credential_provider
from sapwood_azure.storage import AzureStorage
from sapwood_azure.testing import DEV_ACCOUNT_KEY, DEV_ACCOUNT_NAME, Azurite, AzuriteError


@pytest.fixture(scope="module")
def azurite_oauth() -> Iterator[Azurite]:
    """Azurite over https (a self-signed certificate) accepting OAuth tokens."""
    try:
        emulator = Azurite(https=True, oauth=True).start()
    except AzuriteError as exc:
        pytest.fail(f"cannot run the Azure OAuth tests: {exc}", pytrace=False)
    try:
        yield emulator
    finally:
        emulator.stop()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint_token(lifetime_seconds: int) -> tuple[str, datetime]:
    """An unsigned-in-effect Entra ID style token Azurite's basic OAuth check accepts."""
    now = datetime.now(UTC).replace(microsecond=0)
    expires = now + timedelta(seconds=lifetime_seconds)
    claims = {
        "aud": "https://storage.azure.com",
        "iss": "https://sts.windows.net/00000000-0000-0000-0000-000000000000/",
        "iat": int(now.timestamp()) - 60,
        "nbf": int(now.timestamp()) - 60,
        "exp": int(expires.timestamp()),
        "oid": str(uuid.uuid4()),
        "tid": "00000000-0000-0000-0000-000000000000",
    }
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64url(json.dumps(claims).encode())
    return f"{header}.{payload}.{_b64url(b'not checked by azurite')}", expires


def https_config(emulator: Azurite, container: str) -> ObjectStoreConfig:
    assert emulator.certificate is not None
    return ObjectStoreConfig(
        object_store="azure",
        bucket=container,
        endpoint_url=emulator.url,
        extra={"ca_bundle": str(emulator.certificate)},
    )


@pytest_asyncio.fixture(loop_scope="function")
async def oauth_container(azurite_oauth: Azurite) -> AsyncIterator[str]:
    """A fresh container on the https Azurite, made with the dev account key."""
    name = f"o{uuid.uuid4().hex[:20]}"
    admin = AzureStorage(
        https_config(azurite_oauth, name),
        StaticProvider(
            StaticCredentials(access_key_id=DEV_ACCOUNT_NAME, secret_access_key=DEV_ACCOUNT_KEY)
        ),
    )
    await admin.create_container()
    try:
        yield name
    finally:
        await admin.delete_container()
        await admin.close()


async def test_oauth_token_over_https(azurite_oauth: Azurite, oauth_container: str) -> None:
    token, _ = mint_token(600)
    store = AzureStorage(
        https_config(azurite_oauth, oauth_container),
        credential_provider(StaticCredentials(bearer_token=token)),
    )
    try:
        assert store.capabilities.presigned_urls is False
        await store.put("hello", b"over tls with a token", metadata={"who": "oauth"})
        assert await store.get("hello") == b"over tls with a token"
        assert (await store.head("hello")).metadata == {"who": "oauth"}
    finally:
        await store.close()


async def test_refreshed_oauth_tokens_keep_a_long_run_working(
    azurite_oauth: Azurite, oauth_container: str
) -> None:
    lifetime = 3
    issued: list[tuple[str, datetime]] = []

    def fetch() -> ExpiringCredentials:
        token, expires = mint_token(lifetime)
        issued.append((token, expires))
        return ExpiringCredentials(bearer_token=token, expiration=expires)

    spec = RefreshableCredentials(fetch_with=fetch, refresh_margin=timedelta(seconds=1.5))
    store = AzureStorage(https_config(azurite_oauth, oauth_container), credential_provider(spec))
    operations = 0

    def done() -> bool:
        first_expired = datetime.now(UTC) > issued[0][1] + timedelta(seconds=1)
        return len(issued) >= 3 and first_expired

    try:
        while not (issued and done()) and operations < 1000:
            key = f"run/{operations:04d}"
            await store.put(key, key.encode())
            assert await store.get(key) == key.encode()
            operations += 1
            await asyncio.sleep(0.02)
        assert len(issued) >= 3, f"no refresh after {operations} operations"
        keys = [e.key async for e in store.list("run/") if isinstance(e, ObjectMeta)]
        assert len(keys) == operations
    finally:
        await store.close()

    stale = AzureStorage(
        https_config(azurite_oauth, oauth_container),
        credential_provider(StaticCredentials(bearer_token=issued[0][0])),
    )
    try:
        with pytest.raises(PermissionDeniedError) as caught:
            await stale.get("run/0000")
        assert issued[0][0] not in str(caught.value)
    finally:
        await stale.close()
