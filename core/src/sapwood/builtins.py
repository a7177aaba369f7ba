"""The core's own extensions, registered through the same hooks as any plugin.

This module is named by the core's ``builtins`` entry point; importing it registers
nothing by itself: the registry calls its hooks.
"""

from __future__ import annotations

from collections.abc import Callable

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
from sapwood.extensions import CredentialProviderType
from sapwood.hookspecs import hookimpl


@hookimpl
def sapwood_register_credential_providers(
    register: Callable[[CredentialProviderType], None],
) -> None:
    register(
        CredentialProviderType(
            name="static",
            spec_type=StaticCredentials,
            factory=StaticProvider,
            description="fixed key pair, session token or bearer token",
        )
    )
    register(
        CredentialProviderType(
            name="expiring",
            spec_type=ExpiringCredentials,
            factory=lambda spec: StaticProvider(spec, name="expiring"),
            description="fixed credentials with an expiry; an error once expired",
        )
    )
    register(
        CredentialProviderType(
            name="anonymous",
            spec_type=AnonymousCredentials,
            factory=lambda _spec: AnonymousProvider(),
            description="unsigned requests",
        )
    )
    register(
        CredentialProviderType(
            name="env",
            spec_type=FromEnvCredentials,
            factory=lambda _spec: FromEnvProvider(),
            description="SAPWOOD_* variables, else the backend's own chain",
        )
    )
    register(
        CredentialProviderType(
            name="refreshable",
            spec_type=RefreshableCredentials,
            factory=lambda spec: RefreshingProvider(spec, name=spec.name),
            description="fetched by a callable and refreshed before expiry",
        )
    )
