"""Every built-in credential provider passes the suite third-party providers subclass."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from sapwood.credentials import (
    AnonymousCredentials,
    CredentialProvider,
    ExpiringCredentials,
    FromEnvCredentials,
    RefreshableCredentials,
    StaticCredentials,
)
from sapwood.stores import credential_provider
from sapwood.testing import CredentialProviderConformance

KEY_ID = "AKIDCONFORMANCE"
SECRET = "conformance-secret-access-key"
TOKEN = "conformance-session-token"


def through_registry(spec: object) -> CredentialProvider:
    """The provider the registered built-ins build for ``spec``."""
    provider = credential_provider(spec)  # type: ignore[arg-type]
    assert provider is not None
    return provider


class TestStaticProvider(CredentialProviderConformance):
    @pytest.fixture
    def provider(self) -> CredentialProvider:
        return through_registry(
            StaticCredentials(access_key_id=KEY_ID, secret_access_key=SECRET, session_token=TOKEN)
        )


class TestBearerTokenProvider(CredentialProviderConformance):
    @pytest.fixture
    def provider(self) -> CredentialProvider:
        return through_registry(StaticCredentials(bearer_token=TOKEN))


class TestExpiringProvider(CredentialProviderConformance):
    @pytest.fixture
    def provider(self) -> CredentialProvider:
        return through_registry(
            ExpiringCredentials(
                access_key_id=KEY_ID,
                secret_access_key=SECRET,
                expiration=datetime.now(UTC) + timedelta(hours=1),
            )
        )


class TestAnonymousProvider(CredentialProviderConformance):
    @pytest.fixture
    def provider(self) -> CredentialProvider:
        return through_registry(AnonymousCredentials())


class TestFromEnvProvider(CredentialProviderConformance):
    @pytest.fixture
    def provider(self, clean_env: pytest.MonkeyPatch) -> CredentialProvider:
        clean_env.setenv("SAPWOOD_ACCESS_KEY_ID", KEY_ID)
        clean_env.setenv("SAPWOOD_SECRET_ACCESS_KEY", SECRET)
        clean_env.setenv("SAPWOOD_SESSION_TOKEN", TOKEN)
        return through_registry(FromEnvCredentials())

    @pytest.fixture
    def secret_values(self) -> tuple[str, ...]:
        return (SECRET, TOKEN)


class TestFromEnvProviderWithNothingSet(CredentialProviderConformance):
    @pytest.fixture
    def provider(self, clean_env: pytest.MonkeyPatch) -> CredentialProvider:
        return through_registry(FromEnvCredentials())


def _issue() -> ExpiringCredentials:
    return ExpiringCredentials(
        access_key_id=KEY_ID,
        secret_access_key=SECRET,
        session_token=TOKEN,
        expiration=datetime.now(UTC) + timedelta(hours=1),
    )


class TestRefreshingProviderWithASyncFetcher(CredentialProviderConformance):
    @pytest.fixture
    def provider(self) -> CredentialProvider:
        return through_registry(RefreshableCredentials(fetch_with=_issue, name="sync-issuer"))


class TestRefreshingProviderWithAnAsyncFetcher(CredentialProviderConformance):
    @pytest.fixture
    def provider(self) -> CredentialProvider:
        async def fetch() -> ExpiringCredentials:
            await asyncio.sleep(0)
            return _issue()

        return through_registry(RefreshableCredentials(fetch_with=fetch, name="async-issuer"))
