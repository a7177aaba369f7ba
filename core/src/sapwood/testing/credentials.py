"""The credential-provider conformance suite every provider's tests subclass.

A plugin's test module subclasses :class:`CredentialProviderConformance` and provides a
fixture named ``provider`` returning the provider under test, ready to be called::

    import pytest
    from sapwood.testing import CredentialProviderConformance

    class TestMyProviderConformance(CredentialProviderConformance):
        @pytest.fixture
        def provider(self):
            return MyProvider(token="s3cr3t-token-value")

        @pytest.fixture
        def secret_values(self):
            return ("s3cr3t-token-value",)

The secrets in the credentials the provider returns are checked automatically; override
``secret_values`` to name secrets it was configured with as well. Use secrets of at least
8 characters, so that finding one in a repr cannot be a coincidence.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterable

import pytest
from rich.pretty import pretty_repr

from sapwood.credentials import (
    AnonymousCredentials,
    CredentialProvider,
    ResolvedCredentials,
    StaticCredentials,
)
from sapwood.testing._suite import ConformanceSuite

__all__ = ["CredentialProviderConformance", "secrets_of"]

MIN_SECRET_LENGTH = 8
"""Shorter secrets could turn up in a repr by coincidence, so the suite refuses them."""


def secrets_of(credentials: ResolvedCredentials | None) -> tuple[str, ...]:
    """The secret values ``credentials`` holds (the key id is an identifier, not a secret)."""
    if not isinstance(credentials, StaticCredentials):
        return ()
    values = (credentials.secret_access_key, credentials.session_token, credentials.bearer_token)
    return tuple(value for value in values if value)


def _renderings(value: object) -> dict[str, str]:
    return {
        "repr": repr(value),
        "str": str(value),
        "rich pretty": pretty_repr(value),
        "repr inside a list": repr([value]),
    }


def _assert_hidden(what: str, value: object, secrets: Iterable[str]) -> None:
    for kind, text in _renderings(value).items():
        for secret in secrets:
            assert secret not in text, f"the {kind} of {what} shows a secret value: {text}"


class CredentialProviderConformance(ConformanceSuite):
    """Checks every credential provider must pass.

    ``CONCURRENT_CALLERS`` is how many tasks call ``credentials()`` at once.
    """

    CONCURRENT_CALLERS: int = 50

    @pytest.fixture
    def provider(self) -> CredentialProvider:
        """The provider under test; a subclass must override this fixture."""
        raise NotImplementedError(
            f"{type(self).__name__} must define a fixture named 'provider' returning the "
            "credential provider under test"
        )

    @pytest.fixture
    def secret_values(self) -> tuple[str, ...]:
        """Secrets the provider was configured with, beyond those in what it returns."""
        return ()

    def test_follows_the_credential_provider_protocol(self, provider: CredentialProvider) -> None:
        assert isinstance(provider, CredentialProvider)
        assert inspect.iscoroutinefunction(provider.credentials), (
            "credentials() must be an async method"
        )

    def test_name_is_a_non_empty_string(self, provider: CredentialProvider) -> None:
        assert isinstance(provider.name, str)
        assert provider.name.strip(), "name is shown in errors, so it must say something"

    async def test_credentials_are_resolved_or_none(self, provider: CredentialProvider) -> None:
        credentials = await provider.credentials()
        assert credentials is None or isinstance(
            credentials, StaticCredentials | AnonymousCredentials
        ), (
            "credentials() must return StaticCredentials, ExpiringCredentials, "
            f"AnonymousCredentials or None, not {type(credentials).__name__}"
        )

    async def test_repeated_calls_agree(self, provider: CredentialProvider) -> None:
        first = await provider.credentials()
        second = await provider.credentials()
        third = await provider.credentials()
        assert first == second == third

    async def test_reprs_never_show_secrets(
        self, provider: CredentialProvider, secret_values: tuple[str, ...]
    ) -> None:
        credentials = await provider.credentials()
        secrets = (*secret_values, *secrets_of(credentials))
        for secret in secrets:
            assert len(secret) >= MIN_SECRET_LENGTH, (
                f"use secrets of at least {MIN_SECRET_LENGTH} characters in this test, so "
                "finding one in a repr is never a coincidence"
            )
        _assert_hidden("the provider", provider, secrets)
        _assert_hidden("the credentials", credentials, secrets)

    async def test_concurrent_calls_are_safe(self, provider: CredentialProvider) -> None:
        expected = await provider.credentials()
        results = await asyncio.gather(
            *(provider.credentials() for _ in range(self.CONCURRENT_CALLERS))
        )
        assert len(results) == self.CONCURRENT_CALLERS
        assert all(result == expected for result in results)

    async def test_concurrent_first_calls_are_safe(self, provider: CredentialProvider) -> None:
        results = await asyncio.gather(
            *(provider.credentials() for _ in range(self.CONCURRENT_CALLERS))
        )
        assert all(result == results[0] for result in results)
