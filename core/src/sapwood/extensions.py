"""What plugins register: one record type per extension point, and the protocols behind them.

A plugin's hook implementation builds these records and hands them to the ``register``
callback it is given (see :mod:`sapwood.hookspecs`). The core validates the name, rejects
duplicates and remembers which distribution provided each one.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeAlias, runtime_checkable

import msgspec

from sapwood.config import CachingConfig, LimitsConfig, ObjectStoreConfig
from sapwood.credentials import CredentialProvider
from sapwood.storage import Storage

__all__ = [
    "Cache",
    "CacheStats",
    "CacheType",
    "Clock",
    "CredentialProviderType",
    "ImportSource",
    "Importer",
    "ImporterType",
    "Limiter",
    "LimiterSlot",
    "LimiterType",
    "MetricsBackend",
    "MetricsBackendType",
    "StorageBackend",
    "StorageFactory",
    "TransferKind",
    "valid_extension_name",
]

_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,62}$")


def valid_extension_name(name: str) -> bool:
    """Lowercase letters, digits, ``_``, ``-`` and ``.``, starting with a letter."""
    return bool(_NAME.match(name))


StorageFactory: TypeAlias = Callable[[ObjectStoreConfig, "CredentialProvider | None"], Storage]
"""Builds a store from its config and an optional credential provider. It must not do I/O:
connections open on first use."""


@dataclass(frozen=True)
class StorageBackend:
    """A storage backend: ``name`` is what ``ObjectStoreConfig.object_store`` says.

    ``extra_type`` is a msgspec Struct (``forbid_unknown_fields=True``) that validates the
    config's ``extra``; ``url_schemes`` are URL schemes ``ObjectStoreConfig.from_url`` maps to it.
    """

    name: str
    factory: StorageFactory
    url_schemes: tuple[str, ...] = ()
    extra_type: type[msgspec.Struct] | None = None
    description: str = ""


@dataclass(frozen=True)
class CredentialProviderType:
    """Turns one credentials type (``spec_type``) into a :class:`CredentialProvider`."""

    name: str
    spec_type: type[Any]
    factory: Callable[[Any], CredentialProvider]
    description: str = ""


class CacheStats(msgspec.Struct, frozen=True, kw_only=True):
    """Counters a cache reports."""

    hits: int = 0
    misses: int = 0
    entries: int = 0
    size_bytes: int = 0
    max_bytes: int = 0


@runtime_checkable
class Cache(Protocol):
    """A byte cache for immutable objects, bounded by size in bytes."""

    async def get(self, key: str) -> bytes | None:
        """The cached value, or None (a miss)."""
        ...

    async def set(self, key: str, value: bytes) -> None:
        """Remember ``value``; may evict others or refuse values larger than the bound."""
        ...

    async def delete(self, key: str) -> None:
        """Forget ``key``."""
        ...

    async def clear(self) -> None:
        """Forget everything."""
        ...

    def stats(self) -> CacheStats:
        """Current counters."""
        ...


@dataclass(frozen=True)
class CacheType:
    """A cache implementation, chosen by ``CachingConfig.cache``."""

    name: str
    factory: Callable[[CachingConfig], Cache]
    description: str = ""


TransferKind: TypeAlias = Literal["read", "write", "other"]


class Clock(Protocol):
    """Time as limiters see it; tests inject a fake one instead of sleeping."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""
        ...


class LimiterSlot(Protocol):
    """A granted request slot; bytes unknown beforehand are charged once known."""

    async def charge(self, size_bytes: int) -> None:
        """Account ``size_bytes`` transferred in this request (may wait)."""
        ...


@runtime_checkable
class Limiter(Protocol):
    """Flow control around every storage request."""

    def slot(
        self, kind: TransferKind, size_bytes: int | None = None
    ) -> AbstractAsyncContextManager[LimiterSlot]:
        """Wait for permission for one request of ``kind`` moving ``size_bytes`` (if known)."""
        ...


@dataclass(frozen=True)
class LimiterType:
    """A limiter implementation, chosen by ``LimitsConfig.limiter``."""

    name: str
    factory: Callable[[LimitsConfig, Clock | None], Limiter]
    description: str = ""


@runtime_checkable
class MetricsBackend(Protocol):
    """Where the object layer reports what it measures."""

    def record(self, name: str, value: float, tags: Mapping[str, str]) -> None:
        """One measurement (``storage.get.latency_ms``, ``cache.hits``...)."""
        ...


@dataclass(frozen=True)
class MetricsBackendType:
    """A metrics backend, chosen by name (``noop``, ``memory``, ``logging``, ...)."""

    name: str
    factory: Callable[[], MetricsBackend]
    description: str = ""


class ImportSource(msgspec.Struct, frozen=True, kw_only=True):
    """One object an importer found: where it goes and where its bytes live."""

    path: str
    size_bytes: int
    physical_address: str
    etag: str | None = None
    content_type: str | None = None
    metadata: dict[str, str] = msgspec.field(default_factory=dict)


@runtime_checkable
class Importer(Protocol):
    """Enumerates objects at a source URI so they can be imported into a branch."""

    def scan(self, uri: str) -> AsyncIterator[ImportSource]:
        """Every object under ``uri``, with paths relative to it."""
        ...

    async def read(self, source: ImportSource) -> bytes:
        """The bytes of one object found by :meth:`scan`."""
        ...


@dataclass(frozen=True)
class ImporterType:
    """An importer for URIs with ``url_schemes`` (``lakefs``, ``s3``...)."""

    name: str
    factory: Callable[[Mapping[str, Any]], Importer]
    url_schemes: tuple[str, ...] = ()
    description: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
