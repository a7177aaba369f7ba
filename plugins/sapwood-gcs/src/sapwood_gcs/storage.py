# mypy: disable-error-code="no-untyped-call"
"""A sapwood storage backend over Google Cloud Storage, using google-cloud-storage.

The SDK is synchronous; every call runs in a thread pool as large as the HTTP connection
pool (``extra.max_connections``), so that many requests are in flight at once and the event
loop never blocks. The SDK's own retries are turned off (``retry=None``): sapwood's object
layer retries what is retryable, with its own backoff, so an unreachable endpoint fails in
seconds instead of after the SDK's two-minute deadline.

Conditional writes are native: the etag sapwood hands out is the object's *generation*,
``"create"`` sends ``ifGenerationMatch=0`` and ``Update(etag)`` sends
``ifGenerationMatch=<generation>``, which GCS checks atomically.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import msgspec
import requests.adapters
from google.api_core import exceptions as api
from google.auth.transport.requests import AuthorizedSession
from google.cloud import storage as gcs

from sapwood.config import ObjectStoreConfig, convert_config
from sapwood.credentials import AnonymousProvider, CredentialProvider, ResolvedCredentials
from sapwood.errors import (
    AlreadyExistsError,
    ConfigError,
    NotFoundError,
    PreconditionFailedError,
    SapwoodError,
    StorageError,
)
from sapwood.kit.endpoints import checked_endpoint
from sapwood.kit.prefixing import KeyPrefix, merge_in_key_order
from sapwood.kit.renewal import ClientRenewal
from sapwood.kit.threads import ThreadPoolStorage
from sapwood.storage import (
    ByteRange,
    Capabilities,
    CommonPrefix,
    ListEntry,
    ObjectMeta,
    PutMode,
    Update,
)
from sapwood_gcs.auth import ResolvedAuth, resolve_auth
from sapwood_gcs.errors import map_error, status_of
from sapwood_gcs.settings import GcsExtra

__all__ = ["DEFAULT_ENDPOINT", "GcsStorage"]

T = TypeVar("T")

DEFAULT_ENDPOINT = "https://storage.googleapis.com"
_LIST_FIELDS = "items(name,size,generation,updated,contentType,metadata),prefixes,nextPageToken"
_READ_ATTEMPTS = 10


@dataclass(frozen=True)
class _Connection:
    client: Any
    bucket: Any
    session: AuthorizedSession
    auth: ResolvedAuth


_EMPTY = object()
"""Marks a byte range that selects nothing: no download is needed."""
_MISSING = object()
_CHANGED = object()


class GcsStorage(ThreadPoolStorage):
    """Objects in one GCS bucket, under an optional key prefix.

    Built by the ``gcs`` plugin from an :class:`~sapwood.config.ObjectStoreConfig`; opens no
    connection until first used. ``etag`` values are GCS generations.
    """

    def __init__(
        self,
        config: ObjectStoreConfig,
        credentials: CredentialProvider | None = None,
        extra: GcsExtra | None = None,
    ) -> None:
        if not config.bucket:
            raise ConfigError(
                "a GCS store needs a bucket: write gs://BUCKET/prefix", field="bucket"
            )
        self.extra = extra or convert_config(config.extra, GcsExtra, what="ObjectStoreConfig.extra")
        super().__init__(max_workers=self.extra.max_connections, thread_name_prefix="sapwood-gcs")
        self.bucket_name = config.bucket
        self._keys = KeyPrefix(config.prefix)
        self.prefix = self._keys.prefix
        self.region = config.region
        self._custom_endpoint = _checked_endpoint(config)
        self.endpoint = self._custom_endpoint or DEFAULT_ENDPOINT
        """Where requests go: ``endpoint_url`` (an emulator) or Google's."""
        if credentials is None and config.anonymous:
            credentials = AnonymousProvider()
        self._provider = credentials
        self._timeout = (self.extra.connect_timeout_seconds, self.extra.read_timeout_seconds)
        self._loop: asyncio.AbstractEventLoop | None = None
        """The loop of the latest operation: a request thread asks the provider there."""
        self._clients: ClientRenewal[_Connection] = ClientRenewal(
            credentials, self._connect, apply_in_place=self._update_token, keep_retired=None
        )
        self._bucket_seen = False
        self.capabilities = Capabilities(
            conditional_create=True,
            conditional_update=True,
            byte_ranges=True,
            delimiter_listing=True,
            presigned_urls=credentials is None and bool(self.extra.service_account_file),
            max_delete_batch=1000,
        )

    def __repr__(self) -> str:
        where = f"/{self.prefix}" if self.prefix else ""
        shown = f", endpoint={self._custom_endpoint!r}" if self._custom_endpoint else ""
        return f"GcsStorage('gs://{self.bucket_name}{where}'{shown})"

    # plumbing -----------------------------------------------------------------------------

    def _full(self, key: str) -> str:
        return self._keys.object_key(key)

    def _url(self, full: str) -> str:
        return f"gs://{self.bucket_name}/{full}"

    async def _run(self, work: Callable[[], T]) -> T:
        return await self.run_blocking(work)

    @property
    def auth_source(self) -> str:
        """How requests authenticate (never the secret itself), for messages."""
        conn = self._clients.current
        return conn.auth.source if conn is not None else "credentials not resolved yet"

    async def _connection(self) -> _Connection:
        self.check_open()
        loop = self._loop = asyncio.get_running_loop()
        conn = await self._clients.client(self.run_blocking)
        if conn.auth.tokens is not None:
            conn.auth.tokens.follow(loop)
        return conn

    def _update_token(self, conn: _Connection, credentials: ResolvedCredentials | None) -> bool:
        """New credentials from the provider: a bearer token is swapped into the live
        client; anything else keeps the client built first (as chosen at connect time)."""
        tokens = conn.auth.tokens
        if tokens is not None and self._loop is not None:
            tokens.update(credentials, self._loop)
        return True

    def _connect(self, first: ResolvedCredentials | None) -> _Connection:
        loop = self._loop
        assert loop is not None, "connections are made from an operation"
        auth = resolve_auth(self._provider, first, self.extra.service_account_file, loop)
        session = AuthorizedSession(
            auth.credentials, refresh_timeout=self._timeout[1], max_refresh_attempts=1
        )
        # One pool, as large as the thread pool, so no thread waits for or discards a
        # connection.
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=1, pool_maxsize=self.extra.max_connections, max_retries=0
        )
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        options = {"api_endpoint": self._custom_endpoint} if self._custom_endpoint else None
        client = gcs.Client(
            project=self.extra.project,
            credentials=auth.credentials,
            _http=session,
            client_options=options,
        )
        if getattr(client, "_bucket_metadata_cache", None) is not None:
            # The SDK fetches bucket metadata in a background thread on first use, and
            # checks the bucket again after every 404, only to label OpenTelemetry
            # spans: one extra request per missing key. sapwood checks the bucket itself.
            client._bucket_metadata_cache = None
        bucket = client.bucket(self.bucket_name, user_project=self.extra.user_project)
        self.capabilities = msgspec.structs.replace(self.capabilities, presigned_urls=auth.can_sign)
        return _Connection(client, bucket, session, auth)

    def _error(self, exc: BaseException, what: str, key: str | None) -> SapwoodError:
        return map_error(
            exc, what=what, key=key, endpoint=self.endpoint, auth_source=self.auth_source
        )

    async def _missing(self, what: str, key: str | None) -> SapwoodError:
        """The error for a 404: the bucket's absence if it is missing, else NotFoundError."""
        await self._require_bucket()
        return NotFoundError(f"{what}: no such object", key=key)

    async def _require_bucket(self) -> None:
        if self._bucket_seen:
            return
        conn = await self._connection()

        def check() -> bool:
            try:
                return bool(conn.bucket.exists(retry=None, timeout=self._timeout))
            except api.Forbidden:
                return True  # may read objects without seeing the bucket: assume it is there

        try:
            exists = await self._run(check)
        except Exception as exc:
            raise self._error(exc, f"checking bucket {self.bucket_name!r}", None) from exc
        if not exists:
            raise StorageError(
                f"the GCS bucket {self.bucket_name!r} does not exist at {self.endpoint}; "
                "create it, or correct the bucket name in the store URL"
            )
        self._bucket_seen = True

    @staticmethod
    def _meta(blob: Any, key: str) -> ObjectMeta:
        return ObjectMeta(
            key=key,
            size=int(blob.size or 0),
            etag=str(blob.generation) if blob.generation is not None else None,
            last_modified=blob.updated,
            content_type=blob.content_type,
            metadata=dict(blob.metadata or {}),
        )

    # reads --------------------------------------------------------------------------------

    async def head(self, key: str) -> ObjectMeta:
        """The object's metadata (one ``GET`` of the object resource)."""
        full = self._full(key)
        conn = await self._connection()
        what = f"reading the metadata of {self._url(full)}"
        try:
            blob = await self._run(
                lambda: conn.bucket.get_blob(full, retry=None, timeout=self._timeout)
            )
        except Exception as exc:
            raise self._error(exc, what, key) from exc
        if blob is None:
            raise await self._missing(what, key)
        return self._meta(blob, key)

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        """The object's bytes, or the part ``byte_range`` selects (one ranged ``GET``)."""
        full = self._full(key)
        span = _sdk_range(byte_range)
        if span is _EMPTY:
            await self.head(key)  # NotFoundError if missing
            return b""
        assert isinstance(span, tuple)
        start, end = span
        conn = await self._connection()
        what = f"reading {self._url(full)}"

        def work() -> bytes:
            try:
                data: bytes = conn.bucket.blob(full).download_as_bytes(
                    start=start, end=end, retry=None, timeout=self._timeout
                )
            except api.RequestRangeNotSatisfiable:
                return b""  # the range starts at or past the end
            return data

        try:
            return await self._run(work)
        except Exception as exc:
            if status_of(exc) == 404:
                raise await self._missing(what, key) from exc
            raise self._error(exc, what, key) from exc

    async def get_with_meta(
        self, key: str, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        """Bytes and metadata of one generation: the metadata is read, then the download is
        pinned to that generation (``?generation=``), back to back in one worker thread. If
        the object was replaced in between, the old generation is gone and it starts over."""
        full = self._full(key)
        span = _sdk_range(byte_range)
        conn = await self._connection()
        what = f"reading {self._url(full)}"

        def work() -> tuple[bytes, ObjectMeta] | object:
            blob = conn.bucket.get_blob(full, retry=None, timeout=self._timeout)
            if blob is None:
                return _MISSING
            meta = self._meta(blob, key)
            if span is _EMPTY:
                return b"", meta
            assert isinstance(span, tuple)
            pinned = conn.bucket.blob(full, generation=blob.generation)
            try:
                data = pinned.download_as_bytes(
                    start=span[0], end=span[1], retry=None, timeout=self._timeout
                )
            except api.NotFound:
                return _CHANGED
            except api.RequestRangeNotSatisfiable:
                return b"", meta
            if pinned.generation is not None and str(pinned.generation) != meta.etag:
                return _CHANGED
            return data, meta

        for attempt in range(_READ_ATTEMPTS):
            try:
                outcome = await self._run(work)
            except Exception as exc:
                if status_of(exc) == 404:
                    raise await self._missing(what, key) from exc
                raise self._error(exc, what, key) from exc
            if outcome is _MISSING:
                raise await self._missing(what, key)
            if outcome is not _CHANGED:
                assert isinstance(outcome, tuple)
                return outcome
            # Written to between the two requests: step aside a moment so that a burst of
            # writers does not keep winning the same race.
            await asyncio.sleep(random.uniform(0, 0.005 * 2 ** min(attempt, 4)))
        raise StorageError(
            f"{self._url(full)} kept changing while being read", retryable=True, key=key
        )

    # writes -------------------------------------------------------------------------------

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        """Store ``data``: one request up to 8 MiB, a resumable upload in
        ``extra.upload_chunk_bytes`` chunks above. ``"create"`` and ``Update(etag)`` are
        checked by GCS itself (``ifGenerationMatch``)."""
        full = self._full(key)
        target = self._url(full)
        if mode == "create":
            match: int | None = 0
        elif isinstance(mode, Update):
            if not mode.etag.isdigit() or int(mode.etag) == 0:
                await self.head(key)  # NotFoundError if the key is gone
                raise PreconditionFailedError(
                    f"cannot update {target}: etag {mode.etag!r} is not its current "
                    "generation; read it again and retry",
                    key=key,
                )
            match = int(mode.etag)
        elif mode == "overwrite":
            match = None
        else:
            raise ValueError(f"unknown put mode {mode!r}; use 'overwrite', 'create' or Update")
        payload = data if isinstance(data, bytes) else bytes(data)
        conn = await self._connection()

        def work() -> ObjectMeta:
            blob = conn.bucket.blob(full, chunk_size=self.extra.upload_chunk_bytes)
            if metadata:
                blob.metadata = dict(metadata)
            blob.upload_from_string(
                payload,
                content_type=content_type,
                if_generation_match=match,
                retry=None,
                timeout=self._timeout,
            )
            return self._meta(blob, key)

        try:
            return await self._run(work)
        except Exception as exc:
            status = status_of(exc)
            if status == 412 and mode == "create":
                raise AlreadyExistsError(f"{target} already exists", key=key) from exc
            if status == 412:
                await self.head(key)  # NotFoundError if the key is gone
                raise PreconditionFailedError(
                    f"{target} changed: expected generation {match}; read it again and retry",
                    key=key,
                ) from exc
            if status == 404:
                raise await self._missing(f"writing {target}", key) from exc
            raise self._error(exc, f"writing {target}", key) from exc

    async def delete(self, key: str) -> None:
        """Remove the object; a missing key is not an error."""
        full = self._full(key)
        conn = await self._connection()

        def work() -> bool:
            try:
                conn.bucket.delete_blob(full, retry=None, timeout=self._timeout)
            except api.NotFound:
                return False
            return True

        try:
            deleted = await self._run(work)
        except Exception as exc:
            raise self._error(exc, f"deleting {self._url(full)}", key) from exc
        if not deleted:
            await self._require_bucket()

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Remove many objects, ``extra.max_connections`` deletes in flight at once.

        (GCS's JSON batch endpoint saves no quota, and fake-gcs-server lacks it; parallel
        deletes over kept-alive connections are as fast and work everywhere.)
        """
        window = self.extra.max_connections * 4
        pending = list(keys)
        for key in pending:
            self._full(key)
        for start in range(0, len(pending), window):
            async with asyncio.TaskGroup() as group:
                for key in pending[start : start + window]:
                    group.create_task(self.delete(key))

    # listing ------------------------------------------------------------------------------

    async def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        """Objects (and, with a delimiter, common prefixes) under ``prefix``, in key order,
        fetched ``extra.list_page_size`` at a time."""
        window = self._keys.window(prefix, delimiter, start_after)
        if window.empty:
            return
        conn = await self._connection()
        offset = skip = window.start_after
        group = window.group_holding_start
        if group is not None:
            # start_after lies inside a would-be common prefix: report that prefix if any key
            # after start_after falls in it, then list from past the whole group. (GCS's
            # startOffset alone would lose the prefix: a prefix sorts before start_after.)
            if await self._any_key_after(conn, group, offset or ""):
                yield CommonPrefix(self._keys.store_key(group))
            offset = window.resume_at or group + "\U0010ffff"
            skip = None
        what = f"listing {self._url(window.full_prefix)}"
        iterator = conn.client.list_blobs(
            conn.bucket,
            prefix=window.full_prefix or None,
            delimiter=delimiter or None,
            start_offset=offset,
            page_size=self.extra.list_page_size,
            fields=_LIST_FIELDS,
            retry=None,
            timeout=self._timeout,
        )
        pages = iterator.pages
        keys = self._keys

        def next_page() -> tuple[list[ObjectMeta], list[str]] | None:
            page = next(pages, None)
            if page is None:
                return None
            metas = [
                self._meta(blob, keys.store_key(blob.name)) for blob in page if blob.name != skip
            ]
            return metas, sorted(keys.store_key(p) for p in page.prefixes)

        seen: set[str] = set()
        while True:
            try:
                page = await self._run(next_page)
            except Exception as exc:
                if status_of(exc) == 404:
                    await self._require_bucket()
                raise self._error(exc, what, None) from exc
            if page is None:
                return
            metas, prefixes = page
            for entry in merge_in_key_order(metas, prefixes, seen):
                yield entry

    async def _any_key_after(self, conn: _Connection, group: str, after: str) -> bool:
        def work() -> bool:
            found = conn.client.list_blobs(
                conn.bucket,
                prefix=group,
                start_offset=after,
                max_results=2,
                fields="items(name),nextPageToken",
                retry=None,
                timeout=self._timeout,
            )
            return any(blob.name != after for blob in found)

        try:
            return await self._run(work)
        except Exception as exc:
            if status_of(exc) == 404:
                await self._require_bucket()
            raise self._error(exc, f"listing {self._url(group)}", None) from exc

    # extras -------------------------------------------------------------------------------

    async def presign_get(self, key: str, expires_in_seconds: int = 3600) -> str:
        """A V4 signed URL reading the object, if the credentials can sign (a service
        account key); anonymous access, bearer tokens and user logins cannot."""
        full = self._full(key)
        conn = await self._connection()
        if not conn.auth.can_sign:
            raise StorageError(
                f"cannot presign {self._url(full)}: signed URLs need credentials that can "
                f"sign, such as a service account key (extra.service_account_file or "
                f"GOOGLE_APPLICATION_CREDENTIALS); this store uses {conn.auth.source}",
                key=key,
            )
        if not 1 <= expires_in_seconds <= 7 * 24 * 3600:
            raise ValueError("a GCS signed URL lasts between 1 second and 7 days")

        def work() -> str:
            url: str = conn.bucket.blob(full).generate_signed_url(
                version="v4",
                expiration=timedelta(seconds=expires_in_seconds),
                method="GET",
                api_access_endpoint=self._custom_endpoint,
            )
            return url

        try:
            return await self._run(work)
        except Exception as exc:
            raise self._error(exc, f"signing a URL for {self._url(full)}", key) from exc

    async def create_bucket(self, exist_ok: bool = True) -> None:
        """Create this store's bucket in ``region`` (needs ``extra.project``)."""
        if not self.extra.project:
            raise ConfigError(
                "creating a GCS bucket needs a project: set extra.project", field="extra.project"
            )
        conn = await self._connection()

        def work() -> None:
            try:
                conn.client.create_bucket(
                    self.bucket_name,
                    location=self.region,
                    project=self.extra.project,
                    retry=None,
                    timeout=self._timeout,
                )
            except api.Conflict:
                if not exist_ok:
                    raise

        try:
            await self._run(work)
        except Exception as exc:
            if status_of(exc) == 409:
                raise StorageError(f"the GCS bucket {self.bucket_name!r} already exists") from exc
            raise self._error(exc, f"creating bucket {self.bucket_name!r}", None) from exc
        self._bucket_seen = True

    async def release(self) -> None:
        """Close the HTTP connections (after the worker threads stopped)."""
        for conn in self._clients.take_all():
            conn.session.close()


def _checked_endpoint(config: ObjectStoreConfig) -> str | None:
    if not config.endpoint_url:
        return None
    # Plain http needs allow_http even on loopback: GCS sends bearer tokens in headers.
    return checked_endpoint(
        config.endpoint_url,
        allow_http=config.allow_http,
        service="GCS",
        example="http://127.0.0.1:4443",
        loopback_without_allow_http=False,
    )


def _sdk_range(byte_range: ByteRange | None) -> tuple[int | None, int | None] | object:
    """``(start, end)`` as the SDK takes them (``end`` inclusive; a negative start is a
    suffix), or ``_EMPTY`` when the range selects nothing."""
    if byte_range is None:
        return None, None
    if byte_range.last is not None:
        return (-byte_range.last, None) if byte_range.last > 0 else _EMPTY
    if byte_range.end is None:
        return (byte_range.start or None), None
    if byte_range.end == byte_range.start:
        return _EMPTY
    return byte_range.start, byte_range.end - 1
