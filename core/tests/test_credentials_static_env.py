"""The fixed providers: static, expiring, anonymous, and SAPWOOD_* from the environment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sapwood.credentials import (
    AnonymousCredentials,
    AnonymousProvider,
    ExpiringCredentials,
    FromEnvCredentials,
    FromEnvProvider,
    RefreshableCredentials,
    RefreshingProvider,
    StaticCredentials,
    StaticProvider,
)
from sapwood.errors import CredentialsError
from sapwood.stores import credential_provider

SECRET = "env-secret-value-1234"


async def test_static_serves_its_credentials() -> None:
    spec = StaticCredentials(access_key_id="id", secret_access_key=SECRET)
    provider = credential_provider(spec)
    assert isinstance(provider, StaticProvider)
    assert provider.name == "static"
    assert await provider.credentials() is spec


async def test_anonymous_serves_anonymous() -> None:
    provider = credential_provider(AnonymousCredentials())
    assert isinstance(provider, AnonymousProvider)
    assert await provider.credentials() == AnonymousCredentials()


async def test_expiring_serves_until_expiry() -> None:
    spec = ExpiringCredentials(
        access_key_id="id",
        secret_access_key=SECRET,
        expiration=datetime.now(UTC) + timedelta(hours=1),
    )
    provider = credential_provider(spec)
    assert provider is not None
    assert provider.name == "expiring"
    assert await provider.credentials() is spec


@pytest.mark.parametrize(
    "expiration",
    [datetime(2001, 1, 1, tzinfo=UTC), datetime(2001, 1, 1)],
    ids=["aware", "naive-means-utc"],
)
async def test_expiring_is_an_error_once_expired(expiration: datetime) -> None:
    spec = ExpiringCredentials(access_key_id="id", secret_access_key=SECRET, expiration=expiration)
    provider = credential_provider(spec)
    assert provider is not None

    with pytest.raises(CredentialsError) as caught:
        await provider.credentials()

    message = str(caught.value)
    assert "the expiring credentials expired at 2001-01-01T00:00:00" in message
    assert "RefreshableCredentials" in message
    assert SECRET not in message


def test_expires_within_compares_naive_and_aware_times() -> None:
    spec = ExpiringCredentials(expiration=datetime(2030, 1, 1, 12, 0))
    assert spec.expires_within(timedelta(minutes=5), now=datetime(2030, 1, 1, 11, 56, tzinfo=UTC))
    assert not spec.expires_within(timedelta(minutes=5), now=datetime(2030, 1, 1, 11, 54))


def test_each_spec_type_gets_its_provider() -> None:
    def fetch() -> StaticCredentials:
        return StaticCredentials()

    assert isinstance(credential_provider(FromEnvCredentials()), FromEnvProvider)
    refreshing = credential_provider(RefreshableCredentials(fetch_with=fetch, name="my-sts"))
    assert isinstance(refreshing, RefreshingProvider)
    assert refreshing.name == "my-sts"


# --- from the environment ------------------------------------------------------------


async def test_nothing_set_means_the_backends_own_chain(clean_env: pytest.MonkeyPatch) -> None:
    assert await FromEnvProvider().credentials() is None


async def test_empty_variables_count_as_unset(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SAPWOOD_ACCESS_KEY_ID", "")
    clean_env.setenv("SAPWOOD_SECRET_ACCESS_KEY", "")
    assert await FromEnvProvider().credentials() is None


async def test_a_key_pair_with_a_session_token(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SAPWOOD_ACCESS_KEY_ID", "AKIDEXAMPLE")
    clean_env.setenv("SAPWOOD_SECRET_ACCESS_KEY", SECRET)
    clean_env.setenv("SAPWOOD_SESSION_TOKEN", "session-token-value")

    assert await FromEnvProvider().credentials() == StaticCredentials(
        access_key_id="AKIDEXAMPLE",
        secret_access_key=SECRET,
        session_token="session-token-value",
    )


async def test_a_bearer_token_alone(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SAPWOOD_BEARER_TOKEN", "bearer-token-value")
    assert await FromEnvProvider().credentials() == StaticCredentials(
        bearer_token="bearer-token-value"
    )


@pytest.mark.parametrize(
    ("present", "missing"),
    [
        ("SAPWOOD_ACCESS_KEY_ID", "SAPWOOD_SECRET_ACCESS_KEY"),
        ("SAPWOOD_SECRET_ACCESS_KEY", "SAPWOOD_ACCESS_KEY_ID"),
    ],
)
async def test_half_a_key_pair_is_an_error(
    clean_env: pytest.MonkeyPatch, present: str, missing: str
) -> None:
    clean_env.setenv(present, SECRET)

    with pytest.raises(CredentialsError) as caught:
        await FromEnvProvider().credentials()

    message = str(caught.value)
    assert f"{present} is set but {missing} is not" in message
    assert SECRET not in message


async def test_a_session_token_without_its_key_pair_is_an_error(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("SAPWOOD_SESSION_TOKEN", SECRET)
    with pytest.raises(CredentialsError, match="SAPWOOD_SESSION_TOKEN is set without"):
        await FromEnvProvider().credentials()


async def test_a_changed_environment_takes_effect(clean_env: pytest.MonkeyPatch) -> None:
    provider = FromEnvProvider()
    clean_env.setenv("SAPWOOD_BEARER_TOKEN", "first-token-value")
    assert await provider.credentials() == StaticCredentials(bearer_token="first-token-value")
    clean_env.setenv("SAPWOOD_BEARER_TOKEN", "second-token-value")
    assert await provider.credentials() == StaticCredentials(bearer_token="second-token-value")
    clean_env.delenv("SAPWOOD_BEARER_TOKEN")
    assert await provider.credentials() is None
