"""The sync object client: a thin wrapper running :class:`AsyncObjectClient` on sapwood's
background event loop (see :mod:`sapwood._loop`), so it works in scripts, threads and
notebooks alike."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from types import TracebackType
from typing import Self

from sapwood import _loop
from sapwood.config import ObjectStoreConfig, RepositoryConfig
from sapwood.credentials import CredentialProvider, CredentialsSpec
from sapwood.extensions import MetricsBackend
from sapwood.objectstore.client import AsyncObjectClient, AsyncObjectSession, Payload, Usecase
from sapwood.objectstore.expiration import ExpirationPolicy
from sapwood.objectstore.metadata import Compression, GetResult
from sapwood.storage import Storage

__all__ = ["ObjectClient", "ObjectSession"]


class ObjectClient:
    """A client for plain objects in any store sapwood can open (sync twin of
    :class:`AsyncObjectClient`; same arguments)."""

    def __init__(
        self,
        store: ObjectStoreConfig | str | os.PathLike[str] | Storage,
        credentials: CredentialsSpec | CredentialProvider | None = None,
        metrics_backend: MetricsBackend | str | None = None,
        timeout_ms: int | None = None,
        retries: int | None = None,
        *,
        config: RepositoryConfig | None = None,
        now: Callable[[], datetime] | None = None,
        touch_interval: timedelta | None = None,
    ) -> None:
        self.aio = AsyncObjectClient(
            store,
            credentials,
            metrics_backend,
            timeout_ms,
            retries,
            config=config,
            now=now,
            touch_interval=touch_interval,
        )

    def __repr__(self) -> str:
        return f"ObjectClient({self.aio.layer.storage!r})"

    def session(self, usecase: Usecase, **scopes: str | int | bool) -> ObjectSession:
        """A session for ``usecase`` within ``scopes`` (their order matters)."""
        return ObjectSession(self.aio.session(usecase, **scopes))

    def now(self) -> datetime:
        """The current time as this client sees it (timezone-aware)."""
        return self.aio.now()

    def sweep_expired(self, usecase: Usecase | None = None) -> int:
        """Delete every expired object (of ``usecase``, or all); returns how many."""
        return _loop.run(self.aio.sweep_expired(usecase))

    def close(self) -> None:
        """Close the underlying store."""
        _loop.run(self.aio.close())

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class ObjectSession:
    """Operations on one usecase and scope (sync twin of :class:`AsyncObjectSession`)."""

    def __init__(self, aio: AsyncObjectSession) -> None:
        self.aio = aio

    def __repr__(self) -> str:
        return f"ObjectSession({self.aio.prefix!r})"

    def put(
        self,
        data: Payload,
        key: str | None = None,
        metadata: Mapping[str, str] | None = None,
        expiration_policy: ExpirationPolicy | None = None,
        content_type: str | None = None,
        compression: Compression | None = None,
    ) -> str:
        """Store ``data`` and return its key (generated if ``key`` is None)."""
        return _loop.run(
            self.aio.put(data, key, metadata, expiration_policy, content_type, compression)
        )

    def get(self, key: str) -> GetResult:
        """The object under ``key``; ObjectNotFoundError if missing or expired."""
        return _loop.run(self.aio.get(key))

    def delete(self, key: str) -> None:
        """Remove the object under ``key``."""
        _loop.run(self.aio.delete(key))

    def sweep_expired(self) -> int:
        """Delete the expired objects of this session's usecase and scope."""
        return _loop.run(self.aio.sweep_expired())
