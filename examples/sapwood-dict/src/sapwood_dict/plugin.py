"""The module the ``sapwood`` entry point names: it registers what sapwood-dict provides.

sapwood imports this module whenever it discovers plugins, so it stays import-light: each
factory imports the module doing the work on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sapwood import hookimpl
from sapwood.config import CachingConfig, LimitsConfig, ObjectStoreConfig
from sapwood.credentials import CredentialProvider
from sapwood.extensions import (
    Cache,
    CacheType,
    Clock,
    CredentialProviderType,
    Importer,
    ImporterType,
    Limiter,
    LimiterType,
    MetricsBackend,
    MetricsBackendType,
    StorageBackend,
)
from sapwood.storage import Storage
from sapwood_dict.settings import DictExtra, VaultCredentials


# --8<-- [start:storage]
def open_dict_storage(config: ObjectStoreConfig, credentials: CredentialProvider | None) -> Storage:
    """The dict store ``config`` describes (``credentials`` are refused: there is nothing to
    authenticate against)."""
    from sapwood_dict.storage import open_dict_storage as open_storage

    return open_storage(config, credentials)


@hookimpl
def sapwood_register_storage_backends(register: Callable[[StorageBackend], None]) -> None:
    """Register the ``dict`` backend (URLs ``dict://NAME``)."""
    register(
        StorageBackend(
            name="dict",
            factory=open_dict_storage,
            url_schemes=("dict",),
            extra_type=DictExtra,
            description="objects in a Python dict; dict://NAME (example plugin)",
        )
    )


# --8<-- [end:storage]


# --8<-- [start:credentials]
def open_vault_provider(spec: VaultCredentials) -> CredentialProvider:
    """A provider reading the key pair at ``spec.path`` in the vault."""
    from sapwood_dict.credentials import VaultProvider

    return VaultProvider(spec)


@hookimpl
def sapwood_register_credential_providers(
    register: Callable[[CredentialProviderType], None],
) -> None:
    """Register the ``vault`` provider, chosen by passing ``VaultCredentials(path)``."""
    register(
        CredentialProviderType(
            name="vault",
            spec_type=VaultCredentials,
            factory=open_vault_provider,
            description="key pairs kept in a vault (example plugin)",
        )
    )


# --8<-- [end:credentials]


# --8<-- [start:cache]
def open_fifo_cache(config: CachingConfig) -> Cache:
    """A first-in, first-out cache bounded as ``config`` says."""
    from sapwood_dict.cache import FifoCache

    return FifoCache(config)


@hookimpl
def sapwood_register_caches(register: Callable[[CacheType], None]) -> None:
    """Register the ``fifo`` cache (``CachingConfig(cache="fifo")``)."""
    register(CacheType(name="fifo", factory=open_fifo_cache, description="first in, first out"))


# --8<-- [end:cache]


# --8<-- [start:limiter]
def open_concurrency_limiter(config: LimitsConfig, clock: Clock | None) -> Limiter:
    """A limiter bounding requests in flight (it refuses rates)."""
    from sapwood_dict.limiter import ConcurrencyLimiter

    return ConcurrencyLimiter(config, clock)


@hookimpl
def sapwood_register_limiters(register: Callable[[LimiterType], None]) -> None:
    """Register the ``concurrency`` limiter (``LimitsConfig(limiter="concurrency")``)."""
    register(
        LimiterType(
            name="concurrency",
            factory=open_concurrency_limiter,
            description="caps requests in flight; no rates",
        )
    )


# --8<-- [end:limiter]


# --8<-- [start:importer]
def open_catalog_importer(options: Mapping[str, object]) -> Importer:
    """An importer of ``catalog://`` URIs."""
    from sapwood_dict.importer import CatalogImporter

    return CatalogImporter(options)


@hookimpl
def sapwood_register_importers(register: Callable[[ImporterType], None]) -> None:
    """Register the ``catalog`` importer (``branch.import_from("catalog://...")``)."""
    register(
        ImporterType(
            name="catalog",
            factory=open_catalog_importer,
            url_schemes=("catalog",),
            description="files of an in-process catalog (example plugin)",
        )
    )


# --8<-- [end:importer]


# --8<-- [start:metrics]
def open_collecting_metrics() -> MetricsBackend:
    """A metrics backend keeping every measurement in a list."""
    from sapwood_dict.metrics import CollectingMetrics

    return CollectingMetrics()


@hookimpl
def sapwood_register_metrics_backends(register: Callable[[MetricsBackendType], None]) -> None:
    """Register the ``collect`` metrics backend."""
    register(
        MetricsBackendType(
            name="collect",
            factory=open_collecting_metrics,
            description="keeps every measurement in a list",
        )
    )


# --8<-- [end:metrics]
