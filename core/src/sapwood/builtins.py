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
from sapwood.extensions import (
    CacheType,
    CredentialProviderType,
    LimiterType,
    MetricsBackendType,
)
from sapwood.hookspecs import hookimpl
from sapwood.layer.cache import build_lru_cache, build_no_cache
from sapwood.layer.limits import build_token_bucket_limiter
from sapwood.layer.metrics import LoggingMetrics, MemoryMetrics, NoopMetrics


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


@hookimpl
def sapwood_register_caches(register: Callable[[CacheType], None]) -> None:
    register(
        CacheType(
            name="lru",
            factory=build_lru_cache,
            description="least-recently-used, bounded in bytes (cachetools)",
        )
    )
    register(CacheType(name="none", factory=build_no_cache, description="caches nothing"))


@hookimpl
def sapwood_register_limiters(register: Callable[[LimiterType], None]) -> None:
    register(
        LimiterType(
            name="token-bucket",
            factory=build_token_bucket_limiter,
            description="concurrency semaphore plus requests/s and bytes/s token buckets",
        )
    )


@hookimpl
def sapwood_register_metrics_backends(register: Callable[[MetricsBackendType], None]) -> None:
    register(MetricsBackendType(name="noop", factory=NoopMetrics, description="drops everything"))
    register(
        MetricsBackendType(
            name="memory", factory=MemoryMetrics, description="keeps records for inspection"
        )
    )
    register(
        MetricsBackendType(
            name="logging", factory=LoggingMetrics, description="logs to sapwood.metrics"
        )
    )
