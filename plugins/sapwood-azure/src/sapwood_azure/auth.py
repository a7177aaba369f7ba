"""How sapwood's credentials become Azure credentials.

* ``StaticCredentials(access_key_id=ACCOUNT, secret_access_key=KEY)``: shared-key signing.
* ``StaticCredentials(bearer_token=...)``: a SAS token (``sv=...``, ``?sv=...``, or any query
  string carrying ``sig=``) or else an OAuth access token for Azure Storage.
* ``AnonymousCredentials`` (or ``anonymous=true``): unsigned requests to public containers.
* No credentials, or ``FromEnvCredentials`` with no ``SAPWOOD_*`` set: Azure's own variables,
  in order ``AZURE_STORAGE_CONNECTION_STRING``; ``AZURE_STORAGE_ACCOUNT`` with
  ``AZURE_STORAGE_KEY``; ``AZURE_STORAGE_SAS_TOKEN``; then ``DefaultAzureCredential`` when the
  optional ``azure-identity`` package is installed.
* ``RefreshableCredentials`` and ``ExpiringCredentials``: whatever kind the provider returns;
  a token goes through :class:`ProviderTokenCredential`, which asks the provider each time the
  SDK wants a token, and a SAS or account key is swapped in place when the provider renews it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import UTC
from types import TracebackType
from typing import Any, Literal, Protocol, TypeAlias
from urllib.parse import parse_qs

from azure.core.credentials import AccessToken

from sapwood.credentials import (
    AnonymousCredentials,
    CredentialProvider,
    ExpiringCredentials,
    ResolvedCredentials,
    StaticCredentials,
)
from sapwood.errors import CredentialsError
from sapwood_azure.settings import DEV_ACCOUNT_KEY, DEV_ACCOUNT_NAME

__all__ = [
    "DEV_ACCOUNT_KEY",
    "DEV_ACCOUNT_NAME",
    "AuthKind",
    "AzureAuth",
    "ClosableCredential",
    "ConnectionString",
    "ProviderTokenCredential",
    "auth_from_credentials",
    "auth_from_environment",
    "is_sas_token",
    "parse_connection_string",
]


AuthKind: TypeAlias = Literal["anonymous", "shared_key", "sas", "token"]

_UNKNOWN_TOKEN_LIFETIME_SECONDS = 600.0


class ClosableCredential(Protocol):
    """An async Azure token credential (``get_token`` plus ``close``)."""

    async def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """An access token for ``scopes``."""
        ...

    async def close(self) -> None:
        """Release what the credential holds."""
        ...


def is_sas_token(token: str) -> bool:
    """True when ``token`` is a SAS query string rather than an OAuth access token."""
    stripped = token.strip().lstrip("?")
    if stripped.startswith("sv="):
        return True
    if "=" not in stripped:
        return False
    fields = parse_qs(stripped, keep_blank_values=True)
    return "sig" in fields


@dataclass
class ConnectionString:
    """The parts of an Azure Storage connection string that sapwood uses."""

    account_name: str | None = None
    account_key: str | None = field(default=None, repr=False)
    sas_token: str | None = field(default=None, repr=False)
    blob_endpoint: str | None = None


def parse_connection_string(text: str) -> ConnectionString:
    """Parse ``AccountName=...;AccountKey=...`` (or ``UseDevelopmentStorage=true``)."""
    settings: dict[str, str] = {}
    for part in text.strip().strip(";").split(";"):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep:
            raise CredentialsError(
                "AZURE_STORAGE_CONNECTION_STRING is malformed: every part must be NAME=VALUE "
                "separated by ';'"
            )
        settings[name.strip().lower()] = value.strip()
    if settings.get("usedevelopmentstorage", "").lower() == "true":
        proxy = settings.get("developmentstorageproxyuri", "http://127.0.0.1").rstrip("/")
        return ConnectionString(
            account_name=DEV_ACCOUNT_NAME,
            account_key=DEV_ACCOUNT_KEY,
            blob_endpoint=f"{proxy}:10000/{DEV_ACCOUNT_NAME}",
        )
    account = settings.get("accountname")
    endpoint = settings.get("blobendpoint")
    if endpoint is None and account:
        protocol = settings.get("defaultendpointsprotocol", "https")
        suffix = settings.get("endpointsuffix", "core.windows.net")
        endpoint = f"{protocol}://{account}.blob.{suffix}"
    return ConnectionString(
        account_name=account,
        account_key=settings.get("accountkey"),
        sas_token=settings.get("sharedaccesssignature"),
        blob_endpoint=endpoint.rstrip("/") if endpoint else None,
    )


class ProviderTokenCredential:
    """An async Azure ``TokenCredential`` whose tokens come from a sapwood provider.

    The SDK asks for a token when its cached one nears expiry; each ask goes to the
    provider, which refreshes :class:`~sapwood.credentials.RefreshableCredentials` once its
    expiry is within the refresh margin. ``bearer_token`` is the token; ``expiration`` (of
    :class:`~sapwood.credentials.ExpiringCredentials`) is its expiry, otherwise the SDK is
    told to ask again in ten minutes.
    """

    def __init__(self, provider: CredentialProvider) -> None:
        self._provider = provider
        self.calls = 0

    def __repr__(self) -> str:
        return f"ProviderTokenCredential(provider={self._provider.name!r})"

    async def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """The provider's current bearer token, as an Azure ``AccessToken``."""
        self.calls += 1
        current = await self._provider.credentials()
        if not isinstance(current, StaticCredentials) or not current.bearer_token:
            raise CredentialsError(
                f"credentials provider {self._provider.name!r} returned no bearer_token, "
                "but this store authenticates with OAuth tokens"
            )
        if is_sas_token(current.bearer_token):
            raise CredentialsError(
                f"credentials provider {self._provider.name!r} switched from an OAuth token "
                "to a SAS token; return one kind of credential for the life of a store"
            )
        if isinstance(current, ExpiringCredentials):
            expiration = current.expiration
            if expiration.tzinfo is None:
                expiration = expiration.replace(tzinfo=UTC)
            expires_on = int(expiration.timestamp())
        else:
            expires_on = int(time.time() + _UNKNOWN_TOKEN_LIFETIME_SECONDS)
        return AccessToken(current.bearer_token, expires_on)

    async def close(self) -> None:
        """Nothing to release: the provider belongs to the caller."""

    async def __aenter__(self) -> ProviderTokenCredential:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


@dataclass
class AzureAuth:
    """One resolved way to authenticate, and where it came from (for messages)."""

    kind: AuthKind
    source: str
    account_name: str | None = None
    account_key: str | None = field(default=None, repr=False)
    sas_token: str | None = field(default=None, repr=False)
    token_credential: ClosableCredential | None = field(default=None, repr=False)
    endpoint: str | None = None
    owns_token_credential: bool = False


def auth_from_credentials(
    credentials: ResolvedCredentials,
    provider: CredentialProvider | None,
    account_name: str | None,
) -> AzureAuth:
    """The Azure authentication ``credentials`` (from ``provider``) stand for."""
    source = f"{provider.name} credentials" if provider is not None else "the credentials given"
    if isinstance(credentials, AnonymousCredentials):
        return AzureAuth(kind="anonymous", source="anonymous access")
    token = credentials.bearer_token
    if token:
        if is_sas_token(token):
            return AzureAuth(
                kind="sas",
                source=source,
                account_name=credentials.access_key_id or account_name,
                sas_token=token.strip().lstrip("?"),
            )
        if provider is None:
            raise CredentialsError("an OAuth bearer token needs a credential provider")
        return AzureAuth(
            kind="token",
            source=source,
            account_name=credentials.access_key_id or account_name,
            token_credential=ProviderTokenCredential(provider),
        )
    key = credentials.secret_access_key
    account = credentials.access_key_id or account_name
    if key and account:
        return AzureAuth(kind="shared_key", source=source, account_name=account, account_key=key)
    if key:
        raise CredentialsError(
            f"{source} carry an account key but no account name: set access_key_id to the "
            "storage account name (or extra account_name, or an endpoint_url naming it)"
        )
    raise CredentialsError(
        f"{source} carry nothing Azure can use: give access_key_id (account name) with "
        "secret_access_key (account key), or bearer_token (a SAS or OAuth token)"
    )


def auth_from_environment(account_name: str | None) -> AzureAuth | None:
    """Azure's own environment variables and default chain, or None when nothing is set."""
    connection = os.environ.get("AZURE_STORAGE_CONNECTION_STRING")
    if connection:
        parsed = parse_connection_string(connection)
        source = "AZURE_STORAGE_CONNECTION_STRING"
        if parsed.account_key and parsed.account_name:
            return AzureAuth(
                kind="shared_key",
                source=source,
                account_name=parsed.account_name,
                account_key=parsed.account_key,
                endpoint=parsed.blob_endpoint,
            )
        if parsed.sas_token:
            return AzureAuth(
                kind="sas",
                source=source,
                account_name=parsed.account_name,
                sas_token=parsed.sas_token.lstrip("?"),
                endpoint=parsed.blob_endpoint,
            )
        return AzureAuth(
            kind="anonymous",
            source=source,
            account_name=parsed.account_name,
            endpoint=parsed.blob_endpoint,
        )
    account = (
        os.environ.get("AZURE_STORAGE_ACCOUNT")
        or os.environ.get("AZURE_STORAGE_ACCOUNT_NAME")
        or account_name
    )
    key = os.environ.get("AZURE_STORAGE_KEY") or os.environ.get("AZURE_STORAGE_ACCOUNT_KEY")
    if key:
        if not account:
            raise CredentialsError(
                "AZURE_STORAGE_KEY is set but no account name is: set AZURE_STORAGE_ACCOUNT "
                "(or extra account_name)"
            )
        return AzureAuth(
            kind="shared_key", source="AZURE_STORAGE_KEY", account_name=account, account_key=key
        )
    sas = os.environ.get("AZURE_STORAGE_SAS_TOKEN")
    if sas:
        return AzureAuth(
            kind="sas",
            source="AZURE_STORAGE_SAS_TOKEN",
            account_name=account,
            sas_token=sas.strip().lstrip("?"),
        )
    default = _default_azure_credential()
    if default is not None:
        return AzureAuth(
            kind="token",
            source="DefaultAzureCredential (azure-identity)",
            account_name=account,
            token_credential=default,
            owns_token_credential=True,
        )
    return None


def _default_azure_credential() -> ClosableCredential | None:
    try:
        from azure.identity.aio import DefaultAzureCredential
    except ImportError:
        return None
    credential: ClosableCredential = DefaultAzureCredential()
    return credential
