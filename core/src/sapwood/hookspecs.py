"""Hook specifications: one per extension point, each taking a ``register`` callback.

A plugin module (named by an entry point in the ``sapwood`` group) implements any of
these with :data:`hookimpl` and calls ``register`` once per thing it provides::

    from sapwood import hookimpl
    from sapwood.extensions import StorageBackend

    @hookimpl
    def sapwood_register_storage_backends(register):
        register(StorageBackend(name="mystore", factory=make_store, url_schemes=("mystore",)))

The core checks each name, rejects a name two plugins claim (naming both distributions),
and records which distribution provided what (``sapwood plugins`` shows it).
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy

from sapwood.extensions import (
    CacheType,
    CredentialProviderType,
    ImporterType,
    LimiterType,
    MetricsBackendType,
    StorageBackend,
)

__all__ = [
    "PROJECT_NAME",
    "hookimpl",
    "hookspec",
    "sapwood_register_caches",
    "sapwood_register_credential_providers",
    "sapwood_register_importers",
    "sapwood_register_limiters",
    "sapwood_register_metrics_backends",
    "sapwood_register_storage_backends",
]

PROJECT_NAME = "sapwood"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def sapwood_register_storage_backends(register: Callable[[StorageBackend], None]) -> None:
    """Register storage backends (``s3``, ``local``...): ``register(StorageBackend(...))``."""


@hookspec
def sapwood_register_credential_providers(
    register: Callable[[CredentialProviderType], None],
) -> None:
    """Register providers that turn a credentials type into credentials at run time."""


@hookspec
def sapwood_register_caches(register: Callable[[CacheType], None]) -> None:
    """Register cache implementations selectable by ``CachingConfig.cache``."""


@hookspec
def sapwood_register_limiters(register: Callable[[LimiterType], None]) -> None:
    """Register limiter implementations selectable by ``LimitsConfig.limiter``."""


@hookspec
def sapwood_register_importers(register: Callable[[ImporterType], None]) -> None:
    """Register importers that bring existing objects into a branch (``import_from``)."""


@hookspec
def sapwood_register_metrics_backends(register: Callable[[MetricsBackendType], None]) -> None:
    """Register metrics backends that receive the object layer's measurements."""
