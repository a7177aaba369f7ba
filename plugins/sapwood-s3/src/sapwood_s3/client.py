"""Building boto3 S3 clients from sapwood's settings and credentials.

Three kinds of client, chosen by what the credential provider answers:

- ``static``: sapwood's key pair and session token. The client signs with a
  :class:`SwappableCredentials`, so credentials renewed by a refreshing provider are swapped
  in atomically, without rebuilding the client or its connection pool.
- ``anonymous``: unsigned requests (``botocore.UNSIGNED``).
- ``default``: boto3's own chain (``AWS_*`` variables, ``~/.aws`` profiles, instance roles),
  used when the provider answers ``None`` or no provider is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import boto3
import botocore.session
from botocore import UNSIGNED
from botocore.config import Config
from botocore.credentials import (
    CredentialProvider as BotocoreCredentialProvider,
)
from botocore.credentials import (
    CredentialResolver,
    Credentials,
    ReadOnlyCredentials,
)
from botocore.exceptions import ProfileNotFound

from sapwood.credentials import AnonymousCredentials, ResolvedCredentials, StaticCredentials
from sapwood.errors import ConfigError, CredentialsError
from sapwood_s3.settings import S3Settings

__all__ = ["ClientKind", "ClientState", "SwappableCredentials", "build_client", "client_kind"]

ClientKind = Literal["static", "anonymous", "default"]


def client_kind(credentials: ResolvedCredentials | None, settings: S3Settings) -> ClientKind:
    """Which kind of client serves these credentials."""
    if isinstance(credentials, AnonymousCredentials):
        return "anonymous"
    if isinstance(credentials, StaticCredentials):
        return "static"
    return "anonymous" if settings.anonymous else "default"


def _key_pair(credentials: StaticCredentials) -> tuple[str, str, str | None]:
    if not credentials.access_key_id or not credentials.secret_access_key:
        raise CredentialsError(
            "S3 needs both access_key_id and secret_access_key in StaticCredentials "
            "(a bearer_token alone is not an S3 credential)"
        )
    return credentials.access_key_id, credentials.secret_access_key, credentials.session_token


class SwappableCredentials(Credentials):
    """botocore credentials whose value is replaced in one step when sapwood's change.

    botocore's signer asks for :meth:`get_frozen_credentials` once per request, so every
    request is signed with one consistent key pair and token.
    """

    def __init__(self, credentials: StaticCredentials) -> None:
        access_key, secret_key, token = _key_pair(credentials)
        super().__init__(access_key, secret_key, token, method="sapwood")
        self._current = ReadOnlyCredentials(access_key, secret_key, token)
        self._source = credentials

    def __repr__(self) -> str:
        return f"SwappableCredentials(access_key={self._current.access_key!r}, secret_key='***')"

    def matches(self, credentials: StaticCredentials) -> bool:
        """True when ``credentials`` are the ones in use."""
        return credentials is self._source or credentials == self._source

    def swap(self, credentials: StaticCredentials) -> None:
        """Sign every later request with ``credentials``."""
        access_key, secret_key, token = _key_pair(credentials)
        self._current = ReadOnlyCredentials(access_key, secret_key, token)
        self._source = credentials
        self.access_key, self.secret_key, self.token = access_key, secret_key, token

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        """The current credentials, read in one step."""
        return self._current


class _SapwoodCredentialSource(BotocoreCredentialProvider):
    """The only entry in a static client's credential chain: sapwood's credentials."""

    METHOD = "sapwood"
    CANONICAL_NAME = "custom-sapwood"

    def __init__(self, credentials: SwappableCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> SwappableCredentials:
        return self._credentials


@dataclass
class ClientState:
    """One built client and what it signs with."""

    client: Any
    kind: ClientKind
    credentials: SwappableCredentials | None = None

    def serves(self, credentials: ResolvedCredentials | None, settings: S3Settings) -> bool:
        """True if this client can serve ``credentials``, swapping new static ones in."""
        if client_kind(credentials, settings) != self.kind:
            return False
        if (
            isinstance(credentials, StaticCredentials)
            and self.credentials is not None
            and not self.credentials.matches(credentials)
        ):
            self.credentials.swap(credentials)
        return True


def build_client(settings: S3Settings, credentials: ResolvedCredentials | None) -> ClientState:
    """A new client for ``settings`` signing with ``credentials`` (blocking: loads models)."""
    kind = client_kind(credentials, settings)
    extra = settings.extra
    config = Config(
        connect_timeout=extra.connect_timeout_seconds,
        read_timeout=extra.read_timeout_seconds,
        retries={"max_attempts": extra.max_attempts, "mode": "standard"},
        max_pool_connections=extra.max_connections,
        s3={"addressing_style": settings.addressing_style},
        # sapwood checks integrity itself (content-addressed objects); botocore's default
        # CRC checksums cost CPU on large bodies and are not accepted by every S3 look-alike.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        tcp_keepalive=True,
        **({"signature_version": UNSIGNED} if kind == "anonymous" else {}),
    )
    try:
        core_session = botocore.session.Session(profile=extra.profile)
        swappable: SwappableCredentials | None = None
        if isinstance(credentials, StaticCredentials):
            swappable = SwappableCredentials(credentials)
            core_session.register_component(
                "credential_provider", CredentialResolver([_SapwoodCredentialSource(swappable)])
            )
        session = boto3.session.Session(botocore_session=core_session)
        client = session.client(
            "s3",
            region_name=settings.region,
            endpoint_url=settings.endpoint_url,
            config=config,
        )
    except ProfileNotFound:
        raise ConfigError(
            f"the AWS profile {extra.profile!r} is not in ~/.aws/config or ~/.aws/credentials; "
            "fix extra={'profile': ...} or remove it",
            field="extra.profile",
        ) from None
    return ClientState(client=client, kind=kind, credentials=swappable)
