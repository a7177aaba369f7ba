"""Building boto3 S3 clients from sapwood's settings and credentials.

Three kinds of client, chosen by what the credential provider answers:

- ``static``: sapwood's key pair and session token. When a refreshing provider hands out
  new credentials, the store builds a new client for them (a few milliseconds: clients
  come from one shared boto3 session whose service models are already loaded).
- ``anonymous``: unsigned requests (``botocore.UNSIGNED``).
- ``default``: boto3's own chain (``AWS_*`` variables, ``~/.aws`` profiles, instance roles,
  with botocore refreshing what it resolves), read afresh for each store.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Literal

import boto3
import botocore.session
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ProfileNotFound
from botocore.loaders import Loader, create_loader

from sapwood.credentials import AnonymousCredentials, ResolvedCredentials, StaticCredentials
from sapwood.errors import ConfigError, CredentialsError
from sapwood_s3.settings import S3Settings
from sapwood_s3.timestamps import parse_timestamp

__all__ = ["ClientKind", "ClientState", "build_client", "client_kind"]

ClientKind = Literal["static", "anonymous", "default"]

_lock = threading.Lock()
_loader: Loader | None = None
_shared: dict[str | None, boto3.session.Session] = {}


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


def _new_session(profile: str | None) -> boto3.session.Session:
    """A boto3 session sharing the process's model loader (models parse once)."""
    global _loader
    if _loader is None:
        _loader = create_loader()
    core = botocore.session.Session(profile=profile)
    core.register_component("data_loader", _loader)
    # Every response's Last-Modified is parsed: botocore's general parser is slow for it.
    core.get_component("response_parser_factory").set_parser_defaults(
        timestamp_parser=parse_timestamp
    )
    return boto3.session.Session(botocore_session=core)


@dataclass
class ClientState:
    """One built client and what it signs with."""

    client: Any
    kind: ClientKind
    credentials: StaticCredentials | None = None


def build_client(settings: S3Settings, credentials: ResolvedCredentials | None) -> ClientState:
    """A new client for ``settings`` signing with ``credentials`` (blocking: loads models)."""
    kind = client_kind(credentials, settings)
    extra = settings.extra
    config = Config(
        connect_timeout=extra.connect_timeout_seconds,
        read_timeout=extra.read_timeout_seconds,
        retries={"total_max_attempts": extra.max_attempts, "mode": "standard"},
        max_pool_connections=extra.max_connections,
        s3={"addressing_style": settings.addressing_style},
        # sapwood checks integrity itself (content-addressed objects); botocore's default
        # CRC checksums cost CPU on large bodies and are not accepted by every S3 look-alike.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        tcp_keepalive=True,
        # SigV4 everywhere, presigned URLs included (botocore would presign with SigV2)
        signature_version=UNSIGNED if kind == "anonymous" else "s3v4",
    )
    try:
        with _lock:  # botocore sessions are not thread-safe; their clients are
            if kind == "default":
                session = _new_session(extra.profile)
            else:
                session = _shared.get(extra.profile) or _new_session(extra.profile)
                _shared[extra.profile] = session
            static = credentials if isinstance(credentials, StaticCredentials) else None
            access_key, secret_key, token = _key_pair(static) if static else (None, None, None)
            client = session.client(
                "s3",
                region_name=settings.region,
                endpoint_url=settings.endpoint_url,
                aws_access_key_id=access_key,
                aws_secret_access_key=secret_key,
                aws_session_token=token,
                config=config,
            )
    except ProfileNotFound:
        raise ConfigError(
            f"the AWS profile {extra.profile!r} is not in ~/.aws/config or ~/.aws/credentials; "
            "fix extra={'profile': ...} or remove it",
            field="extra.profile",
        ) from None
    return ClientState(client=client, kind=kind, credentials=static)
