# mypy: disable-error-code="no-untyped-call"
"""Turning sapwood credentials into google-auth credentials for the GCS client.

- a bearer token (``StaticCredentials``, ``ExpiringCredentials``, ``RefreshableCredentials``,
  ``SAPWOOD_BEARER_TOKEN``) becomes :class:`ProviderTokenCredentials`, which asks the
  sapwood provider for a new token whenever the one it holds is about to expire;
- ``AnonymousCredentials`` becomes google-auth's anonymous credentials (no header);
- nothing (no credentials, or ``FromEnvCredentials`` with no ``SAPWOOD_*`` variable) means
  the service account key named by ``extra.service_account_file``, else Google's
  application-default chain (``GOOGLE_APPLICATION_CREDENTIALS``, gcloud's login, the
  metadata server).

Tokens never appear in a repr, a log line or an error.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import MutableMapping
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import google.auth
import google.auth.credentials
import google.auth.exceptions
from google.oauth2 import service_account

from sapwood.credentials import (
    AnonymousCredentials,
    CredentialProvider,
    ExpiringCredentials,
    ResolvedCredentials,
    StaticCredentials,
)
from sapwood.errors import CredentialsError

__all__ = [
    "STORAGE_SCOPE",
    "ProviderTokenCredentials",
    "ResolvedAuth",
    "resolve_auth",
]

STORAGE_SCOPE = "https://www.googleapis.com/auth/devstorage.full_control"
REFRESH_WAIT_SECONDS = 60.0
"""How long a request thread waits for the provider to hand over a new token."""


class ProviderTokenCredentials(google.auth.credentials.Credentials):
    """google-auth credentials whose bearer token comes from a sapwood credential provider.

    The storage calls :meth:`update` on its event loop before each operation (cheap: the
    provider caches). A request thread that finds the token within ``margin`` of its
    expiry, or that got a 401, calls :meth:`refresh`, which asks the provider on the event
    loop and waits for the answer: so a long transfer keeps working across expiries.
    """

    def __init__(
        self,
        provider: CredentialProvider,
        first: StaticCredentials,
        loop: asyncio.AbstractEventLoop,
        margin: timedelta = timedelta(seconds=10),
    ) -> None:
        super().__init__()
        self._provider = provider
        self._margin = margin
        self._lock = threading.Lock()
        self._loop = loop
        self._expiration: datetime | None = None
        self.refreshes = 0
        """How many times a request thread had to fetch a new token mid-operation."""
        self.token_changes = 0
        """How many times the provider handed over a token different from the last one."""
        self._set(first)

    def __repr__(self) -> str:
        expires = self._expiration.isoformat() if self._expiration else None
        return f"ProviderTokenCredentials(provider={self._provider.name!r}, expires={expires!r})"

    def _set(self, creds: ResolvedCredentials | None) -> None:
        token = _bearer_token(creds, self._provider.name)
        expiration = creds.expiration if isinstance(creds, ExpiringCredentials) else None
        if expiration is not None and expiration.tzinfo is None:
            expiration = expiration.replace(tzinfo=UTC)
        with self._lock:
            if token != self.token:
                if self.token is not None:
                    self.token_changes += 1
                self.token = token
            self._expiration = expiration

    def follow(self, loop: asyncio.AbstractEventLoop) -> None:
        """Ask the provider on ``loop`` from now on (the loop of the latest operation)."""
        self._loop = loop

    def update(self, creds: ResolvedCredentials | None, loop: asyncio.AbstractEventLoop) -> None:
        """Take the provider's current answer (called on the event loop)."""
        self._loop = loop
        self._set(creds)

    def stale(self) -> bool:
        """True once the token is within ``margin`` of its expiry."""
        with self._lock:
            expiration = self._expiration
        return expiration is not None and datetime.now(UTC) + self._margin >= expiration

    def refresh(self, request: Any) -> None:
        """Fetch the provider's current credentials from a request thread."""
        loop = self._loop
        if loop.is_closed():
            raise google.auth.exceptions.RefreshError(
                f"cannot refresh the {self._provider.name} credentials: the event loop that "
                "opened this store is closed"
            )
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            raise google.auth.exceptions.RefreshError(
                "credentials must not be refreshed on the event loop thread"
            )
        future = asyncio.run_coroutine_threadsafe(self._provider.credentials(), loop)
        try:
            creds = future.result(timeout=REFRESH_WAIT_SECONDS)
        except FutureTimeout:
            future.cancel()
            raise google.auth.exceptions.RefreshError(
                f"the {self._provider.name} credential provider gave no token within "
                f"{REFRESH_WAIT_SECONDS:.0f} s"
            ) from None
        except CredentialsError as exc:
            raise google.auth.exceptions.RefreshError(str(exc)) from None
        self.refreshes += 1
        self._set(creds)

    def before_request(
        self, request: Any, method: str, url: str, headers: MutableMapping[str, str]
    ) -> None:
        """Refresh a stale token, then set the ``Authorization`` header."""
        if self.token is None or self.stale():
            self.refresh(request)
        with self._lock:
            token = self.token
        self.apply(headers, token=token)

    @property
    def expired(self) -> bool:
        """Expired in sapwood's sense (within the margin), not google-auth's 3m45s skew."""
        return self.stale()


def _bearer_token(creds: ResolvedCredentials | None, provider: str) -> str:
    if isinstance(creds, StaticCredentials) and creds.bearer_token:
        return creds.bearer_token
    if isinstance(creds, StaticCredentials) and creds.access_key_id:
        raise CredentialsError(
            f"the {provider} credentials hold an access key pair, which GCS does not take: "
            "pass StaticCredentials(bearer_token=...) with an OAuth access token, or name a "
            "service account key in extra.service_account_file"
        )
    raise CredentialsError(
        f"the {provider} credential provider returned {type(creds).__name__} where a bearer "
        "token was expected; GCS takes StaticCredentials(bearer_token=...), "
        "AnonymousCredentials(), or a service account via extra.service_account_file"
    )


@dataclass(frozen=True)
class ResolvedAuth:
    """The google-auth credentials to build a client with, and how they were chosen."""

    credentials: Any
    source: str
    """Shown in errors: ``anonymous``, ``bearer token from <provider>``, ``service account
    file <path>`` or ``application default credentials``."""
    tokens: ProviderTokenCredentials | None = None
    """Set when the token comes from a sapwood provider and must be kept current."""

    @property
    def can_sign(self) -> bool:
        """Whether these credentials can sign URLs without a network call."""
        return isinstance(self.credentials, google.auth.credentials.Signing)


def resolve_auth(
    provider: CredentialProvider | None,
    first: ResolvedCredentials | None,
    service_account_file: str | None,
    loop: asyncio.AbstractEventLoop,
) -> ResolvedAuth:
    """google-auth credentials for the provider's first answer ``first``.

    May read files (a key file, gcloud's config): run it off the event loop.
    """
    if isinstance(first, AnonymousCredentials):
        return ResolvedAuth(google.auth.credentials.AnonymousCredentials(), "anonymous")
    if first is not None:
        assert provider is not None
        tokens = ProviderTokenCredentials(provider, first, loop)
        return ResolvedAuth(tokens, f"bearer token from {provider.name}", tokens)
    if service_account_file:
        return ResolvedAuth(
            _service_account(service_account_file),
            f"service account file {service_account_file}",
        )
    try:
        found, _project = google.auth.default(scopes=[STORAGE_SCOPE])
    except google.auth.exceptions.DefaultCredentialsError as exc:
        raise CredentialsError(
            "no Google credentials found: set GOOGLE_APPLICATION_CREDENTIALS to a service "
            "account key, run `gcloud auth application-default login`, name a key in "
            "extra.service_account_file, pass StaticCredentials(bearer_token=...), or pass "
            f"AnonymousCredentials() for a public bucket or an emulator ({exc})"
        ) from None
    return ResolvedAuth(found, "application default credentials")


def _service_account(path: str) -> Any:
    try:
        return service_account.Credentials.from_service_account_file(path, scopes=[STORAGE_SCOPE])
    except FileNotFoundError:
        raise CredentialsError(
            f"the service account file {path!r} (extra.service_account_file) does not exist"
        ) from None
    except (ValueError, KeyError) as exc:
        # The parser's message names the missing field, never the key material.
        reason = f"missing field {exc}" if isinstance(exc, KeyError) else "not a key file"
        raise CredentialsError(
            f"the service account file {path!r} (extra.service_account_file) is not a valid "
            f"service account key: {reason}; download a JSON key for the service account"
        ) from None
