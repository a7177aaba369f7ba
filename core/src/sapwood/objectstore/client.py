"""The async object client: plain put/get/delete by key, with expiry, over the object layer.

Modelled on Sentry's objectstore client, but serverless: it runs on any storage plugin,
and expiry is enforced on read (an expired object reads as not found) and by
:meth:`AsyncObjectClient.sweep_expired`, which deletes what has expired.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import IO, Self

from sapwood.composition import build_layer, open_store
from sapwood.config import ObjectStoreConfig, RepositoryConfig, RetriesConfig, TimeoutsConfig
from sapwood.credentials import CredentialProvider, CredentialsSpec
from sapwood.errors import (
    ConfigError,
    NotFoundError,
    ObjectNotFoundError,
    PreconditionFailedError,
    SapwoodError,
)
from sapwood.extensions import MetricsBackend
from sapwood.objectstore.expiration import ExpirationPolicy, TimeToIdle
from sapwood.objectstore.metadata import (
    HEADER_KEY,
    Compression,
    GetResult,
    Metadata,
    StoredHeader,
)
from sapwood.objectstore.naming import check_key, check_name, scope_path
from sapwood.objectstore.payload_cache import VersionedPayloads
from sapwood.storage import ObjectMeta, Storage, Update

__all__ = ["AsyncObjectClient", "AsyncObjectSession", "Usecase"]

Payload = bytes | bytearray | memoryview | IO[bytes]


@dataclass(frozen=True)
class Usecase:
    """A named kind of data with its defaults: expiration policy and compression.

    ``name`` uses the characters ``A-Za-z0-9_-()$!+*'`` and becomes the first path segment
    of every object the usecase stores.
    """

    name: str
    expiration_policy: ExpirationPolicy | None = None
    compression: Compression = "zstd"

    def __post_init__(self) -> None:
        check_name(self.name, "usecase name")
        _check_compression(self.compression)


def _check_compression(value: str) -> None:
    if value not in ("zstd", "none"):
        raise ConfigError(
            f"compression must be 'zstd' or 'none', got {value!r}", field="compression"
        )


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _read_payload(data: Payload) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, bytearray | memoryview):
        return bytes(data)
    read = getattr(data, "read", None)
    if read is None:
        raise TypeError(f"put takes bytes or a binary file object, not {type(data).__name__}")
    content = read()
    if not isinstance(content, bytes):
        raise TypeError("put takes a binary file object (opened with 'rb'), not a text one")
    return content


class AsyncObjectClient:
    """A client for plain objects in any store sapwood can open.

    ``store`` is an :class:`~sapwood.config.ObjectStoreConfig`, a URL (``memory://x``,
    ``file:///path``, ``s3://bucket/prefix``...) or an already open Storage. ``timeout_ms``
    limits each attempt of each request; ``retries`` is how many times a failed request is
    tried again. Keyword-only: ``config`` (a full RepositoryConfig for the object layer),
    ``now`` (the wall clock, for tests) and ``touch_interval`` (the least time between two
    idle-time extensions of one object; default a tenth of its TimeToIdle).
    """

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
        if isinstance(store, ObjectStoreConfig | str | os.PathLike):
            # A URL, a config or a folder path, as a repository takes them.
            storage = open_store(store, credentials).storage
        elif not isinstance(store, Storage):
            raise TypeError(
                f"store must be an ObjectStoreConfig, a URL, a folder path or a Storage, not "
                f"{type(store).__name__}"
            )
        elif credentials is not None:
            raise ConfigError(
                "credentials were given with an already open Storage, which has its own; "
                "pass the store as a URL or an ObjectStoreConfig to use them",
                field="credentials",
            )
        else:
            storage = store
        overrides = RepositoryConfig(
            retries=RetriesConfig(max_attempts=retries + 1) if retries is not None else None,
            timeouts=TimeoutsConfig(attempt_timeout_ms=timeout_ms)
            if timeout_ms is not None
            else None,
        )
        self.layer = build_layer(
            storage,
            (config or RepositoryConfig()).merge(overrides),
            metrics=metrics_backend,
            metrics_tags={"client": "object"},
        )
        self._now = now or _utc_now
        self.touch_interval = touch_interval

    def __repr__(self) -> str:
        return f"AsyncObjectClient({self.layer.storage!r})"

    def session(self, usecase: Usecase, **scopes: str | int | bool) -> AsyncObjectSession:
        """A session for ``usecase`` within ``scopes`` (ordered: ``org=1, project=2`` and
        ``project=2, org=1`` are different scopes)."""
        return AsyncObjectSession(self, usecase, scope_path(scopes))

    @functools.cached_property
    def payloads(self) -> VersionedPayloads:
        """Reads served from the layer's cache by version, revalidated by etag (see
        :mod:`sapwood.objectstore.payload_cache`)."""
        caching = self.layer.config.caching
        assert caching is not None  # the layer's config is resolved
        trust = caching.ref_ttl_seconds or 0.0
        return VersionedPayloads(self.layer, trust, self.layer.clock)

    def now(self) -> datetime:
        """The current time as this client sees it (timezone-aware)."""
        return self._now()

    async def sweep_expired(self, usecase: Usecase | None = None) -> int:
        """Delete every expired object (of ``usecase``, or of all usecases); returns how many.

        Objects in the store that this client did not write are left alone.
        """
        prefix = f"{usecase.name}/" if usecase is not None else ""
        return await self._sweep(prefix)

    async def _sweep(self, prefix: str) -> int:
        now = self.now()
        expired: list[str] = []
        async for entry in self.layer.list(prefix):
            if not isinstance(entry, ObjectMeta):
                continue
            header_text = entry.metadata.get(HEADER_KEY)
            if header_text is None:
                try:
                    header_text = (await self.layer.head(entry.key)).metadata.get(HEADER_KEY)
                except NotFoundError:
                    continue
            if header_text is None:
                continue
            try:
                header = StoredHeader.decode(header_text)
            except SapwoodError:
                continue
            if header.expired(now):
                expired.append(entry.key)
        for key in expired:
            self.payloads.forget(key)
        batch = self.layer.capabilities.max_delete_batch
        for start in range(0, len(expired), batch):
            await self.layer.delete_many(expired[start : start + batch])
        return len(expired)

    async def close(self) -> None:
        """Close the underlying store."""
        await self.layer.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class AsyncObjectSession:
    """Operations on one usecase and scope; made by :meth:`AsyncObjectClient.session`."""

    def __init__(self, client: AsyncObjectClient, usecase: Usecase, scope: str) -> None:
        self.client = client
        self.usecase = usecase
        self.prefix = f"{usecase.name}/{scope}/"

    def __repr__(self) -> str:
        return f"AsyncObjectSession({self.prefix!r})"

    def storage_key(self, key: str) -> str:
        """Where ``key`` of this session lives in the store."""
        return self.prefix + check_key(key)

    async def put(
        self,
        data: Payload,
        key: str | None = None,
        metadata: Mapping[str, str] | None = None,
        expiration_policy: ExpirationPolicy | None = None,
        content_type: str | None = None,
        compression: Compression | None = None,
    ) -> str:
        """Store ``data`` (bytes or a binary file) under ``key`` (generated if None) and
        return the key. ``expiration_policy`` and ``compression`` default to the usecase's;
        ``compression="none"`` stores the bytes as given."""
        content = _read_payload(data)
        chosen = compression or self.usecase.compression
        _check_compression(chosen)
        key = key or uuid.uuid4().hex
        now = self.client.now()
        header = StoredHeader(
            created=now,
            accessed=now,
            compression=chosen,
            policy=expiration_policy or self.usecase.expiration_policy,
            custom={str(k): str(v) for k, v in (metadata or {}).items()},
        )
        full = self.storage_key(key)
        self.client.payloads.forget(full)
        stored = await self.client.layer.put(
            full,
            content,
            content_type=content_type,
            metadata={HEADER_KEY: header.encode()},
            compress=chosen == "zstd",
        )
        await self.client.payloads.remember(full, content, stored, complete=False)
        return key

    async def get(self, key: str) -> GetResult:
        """The object under ``key``; ObjectNotFoundError if it is missing or expired.

        Reading an object with a TimeToIdle policy extends its life; to spare the store a
        write on every read, the extension is recorded at most once per touch interval.
        """
        full = self.storage_key(key)
        try:
            data, meta = await self.client.payloads.read(full)
        except NotFoundError:
            raise ObjectNotFoundError(f"no object {key!r} in {self.prefix!r}") from None
        header = _header_of(meta, key)
        now = self.client.now()
        if header.expired(now):
            raise ObjectNotFoundError(f"object {key!r} in {self.prefix!r} has expired")
        result = GetResult(
            metadata=Metadata(
                content_type=meta.content_type,
                compression=header.compression,
                expiration_policy=header.policy,
                time_created=header.created,
                time_expires=header.expires(),
                custom=dict(header.custom),
            ),
            payload=io.BytesIO(data),
        )
        if isinstance(header.policy, TimeToIdle) and self._touch_due(header, now):
            await self._touch(full, data, meta, header, now)
        return result

    def _touch_due(self, header: StoredHeader, now: datetime) -> bool:
        assert header.policy is not None
        interval = self.client.touch_interval or header.policy.delta / 10
        return now - header.accessed >= interval

    async def _touch(
        self, full: str, data: bytes, meta: ObjectMeta, header: StoredHeader, now: datetime
    ) -> None:
        """Record a read, extending a TimeToIdle object's life. Rewritten only if unchanged
        since it was read; a concurrent writer or deleter wins."""
        if meta.etag is None:
            return
        touched = StoredHeader(
            header.created, now, header.compression, header.policy, header.custom
        )
        self.client.payloads.forget(full)
        with contextlib.suppress(PreconditionFailedError, NotFoundError):
            stored = await self.client.layer.put(
                full,
                data,
                mode=Update(meta.etag),
                content_type=meta.content_type,
                metadata={HEADER_KEY: touched.encode()},
                compress=header.compression == "zstd",
            )
            await self.client.payloads.remember(full, data, stored, complete=False)

    async def delete(self, key: str) -> None:
        """Remove the object under ``key`` (a missing key is not an error)."""
        full = self.storage_key(key)
        self.client.payloads.forget(full)
        await self.client.layer.delete(full)

    async def sweep_expired(self) -> int:
        """Delete the expired objects of this session's usecase and scope."""
        return await self.client._sweep(self.prefix)


def _header_of(meta: ObjectMeta, key: str) -> StoredHeader:
    text = meta.metadata.get(HEADER_KEY)
    if text is None:
        raise ObjectNotFoundError(
            f"{key!r} exists in the store but was not written by an object client"
        )
    return StoredHeader.decode(text, f"object {key!r}")
