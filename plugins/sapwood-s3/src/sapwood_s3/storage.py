"""S3Storage: sapwood's storage contract over the S3 API, with boto3 run in worker threads.

boto3 is synchronous, so each request runs in a thread pool as large as the HTTP
connection pool; the store holds no event-loop state, so one store serves any loop.
Conditional writes are native: ``If-None-Match: *`` creates, ``If-Match: <etag>``
compare-and-swaps. Objects above ``multipart_threshold_bytes`` go up as a multipart upload
with parts sent in parallel; whole objects above one part come down as parallel ranged
GETs pinned to one version with ``If-Match``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from sapwood.config import ObjectStoreConfig
from sapwood.credentials import CredentialProvider, ResolvedCredentials
from sapwood.errors import PreconditionFailedError, StorageError
from sapwood.kit.prefixing import merge_in_key_order
from sapwood.kit.renewal import ClientRenewal
from sapwood.kit.threads import ThreadPoolStorage, off_the_loop
from sapwood.storage import (
    ByteRange,
    Capabilities,
    ListEntry,
    ObjectMeta,
    PutMode,
    Update,
)
from sapwood_s3.auth import ClientState, build_client
from sapwood_s3.errors import WriteKind, is_invalid_range, map_error
from sapwood_s3.settings import S3Extra, S3Settings, resolve_settings

__all__ = ["S3Storage"]

T = TypeVar("T")
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")
_MAX_PARTS = 10_000
_READ_ATTEMPTS = 3
_RETIRED_CLIENTS_KEPT = 4

Response = dict[str, Any]


class S3Storage(ThreadPoolStorage):
    """A bucket (and optional key prefix) of an S3-API service as a sapwood store."""

    capabilities = Capabilities(presigned_urls=True, max_delete_batch=1000)

    def __init__(self, settings: S3Settings, credentials: CredentialProvider | None = None) -> None:
        super().__init__(
            max_workers=settings.extra.max_connections,
            thread_name_prefix=f"sapwood-{settings.service.lower()}",
        )
        self.settings = settings
        self._provider = credentials
        self._clients: ClientRenewal[ClientState] = ClientRenewal(
            credentials,
            self._build_client,
            keep_retired=_RETIRED_CLIENTS_KEPT,
            close_client=lambda state: state.client.close(),
        )

    @classmethod
    def from_config(
        cls, config: ObjectStoreConfig, credentials: CredentialProvider | None = None
    ) -> S3Storage:
        """The store ``config`` describes (``object_store="s3"``). No I/O happens here."""
        return cls(resolve_settings(config, S3Extra), credentials)

    def __repr__(self) -> str:
        s = self.settings
        provider = self._provider.name if self._provider is not None else "default chain"
        return (
            f"{type(self).__name__}(bucket={s.bucket!r}, prefix={s.keys.prefix!r}, "
            f"endpoint_url={s.endpoint_url!r}, region={s.region!r}, credentials={provider!r})"
        )

    # plumbing ------------------------------------------------------------------------

    def _configure_client(self, client: Any) -> None:
        """Hook for S3 look-alikes to register botocore event handlers (extra headers...)."""

    def _build_client(self, credentials: ResolvedCredentials | None) -> ClientState:
        built = build_client(self.settings, credentials)
        self._configure_client(built.client)
        return built

    async def _client(self, operation: str, key: str | None) -> Any:
        self.check_open(operation, key)
        try:
            state = await self._clients.client(
                lambda install: self.run_blocking(install, operation=operation, key=key)
            )
        except Exception as exc:
            raise map_error(exc, self.settings, operation=operation, key=key) from exc
        return state.client

    async def _run(
        self,
        operation: str,
        key: str | None,
        work: Callable[[Any], T],
        write: WriteKind = "other",
    ) -> T:
        """Run ``work(client)`` in a worker thread, mapping its errors to sapwood's."""
        client = await self._client(operation, key)
        try:
            return await self.run_blocking(lambda: work(client), operation=operation, key=key)
        except Exception as exc:
            raise map_error(exc, self.settings, operation=operation, key=key, write=write) from exc

    async def _bounded(self, jobs: Iterable[Callable[[], Awaitable[T]]]) -> list[T]:
        """Run ``jobs`` at most ``transfer_concurrency`` at a time; the first error cancels
        the rest."""
        gate = asyncio.Semaphore(self.settings.extra.transfer_concurrency)

        async def gated(job: Callable[[], Awaitable[T]]) -> T:
            async with gate:
                return await job()

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(gated(job)) for job in jobs]
        except BaseExceptionGroup as failed:
            raise _first_error(failed) from None
        return [task.result() for task in tasks]

    def _meta(self, key: str, response: Response, size: int) -> ObjectMeta:
        return ObjectMeta(
            key=key,
            size=size,
            etag=response.get("ETag"),
            last_modified=response.get("LastModified"),
            content_type=response.get("ContentType"),
            metadata=dict(response.get("Metadata") or {}),
        )

    # reads ---------------------------------------------------------------------------

    async def _get_object(
        self, key: str, range_header: str | None = None, if_match: str | None = None
    ) -> tuple[bytes, Response] | None:
        """One GET; None when S3 answers that the range starts past the end."""
        params: dict[str, Any] = {
            "Bucket": self.settings.bucket,
            "Key": self.settings.full_key(key),
        }
        if range_header is not None:
            params["Range"] = range_header
        if if_match is not None:
            params["IfMatch"] = if_match

        def work(client: Any) -> tuple[bytes, Response] | None:
            try:
                response: Response = client.get_object(**params)
            except ClientError as exc:
                if is_invalid_range(exc):
                    return None
                raise
            body = response.pop("Body")
            try:
                return body.read(), response
            finally:
                body.close()

        return await self._run("get", key, work)

    async def _read(
        self, key: str, byte_range: ByteRange | None, want_meta: bool
    ) -> tuple[bytes, ObjectMeta | None]:
        if byte_range is None and self.settings.extra.parallel_get:
            return await self._read_whole(key)
        if byte_range is None:
            got = await self._get_object(key)
            if got is None:  # pragma: no cover - a GET without a range is never refused so
                raise StorageError(f"get {key!r}: unexpected InvalidRange", key=key)
            body, response = got
            return body, self._meta(key, response, len(body))
        header = byte_range.http_header()
        if header is None:  # an empty range: no bytes, but the key must exist
            return b"", await self.head(key)
        got = await self._get_object(key, header)
        if got is None:
            return b"", (await self.head(key) if want_meta else None)
        body, response = got
        return body, self._meta(key, response, _total_size(response, len(body)))

    async def _read_whole(self, key: str) -> tuple[bytes, ObjectMeta]:
        part = self.settings.extra.multipart_part_bytes
        for _ in range(_READ_ATTEMPTS):
            got = await self._get_object(key, f"bytes=0-{part - 1}")
            if got is None:  # S3 refuses any range of an empty object
                got = await self._get_object(key)
                if got is None:
                    raise StorageError(f"get {key!r}: unexpected InvalidRange", key=key)
            first, response = got
            total = _total_size(response, len(first))
            meta = self._meta(key, response, total)
            if total <= len(first):
                return first, meta
            etag = response["ETag"]

            jobs = self._ranged_jobs(key, etag, start=len(first), total=total, part=part)
            try:
                rest = await self._bounded(jobs)
            except PreconditionFailedError:
                continue  # replaced while being read: read the new version from the start
            if any(got is None for got in rest):
                continue
            return b"".join([first, *(got[0] for got in rest if got is not None)]), meta
        raise StorageError(
            f"get {key!r} in {self.settings.where}: the object kept changing while being read",
            retryable=True,
            key=key,
        )

    def _ranged_jobs(
        self, key: str, etag: str, *, start: int, total: int, part: int
    ) -> list[Callable[[], Awaitable[tuple[bytes, Response] | None]]]:
        def job(offset: int) -> Callable[[], Awaitable[tuple[bytes, Response] | None]]:
            header = f"bytes={offset}-{min(offset + part, total) - 1}"
            return lambda: self._get_object(key, header, etag)

        return [job(offset) for offset in range(start, total, part)]

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        """The object's bytes, or the part ``byte_range`` selects (``b""`` past the end)."""
        data, _ = await self._read(key, byte_range, want_meta=False)
        return data

    async def get_with_meta(
        self, key: str, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        """Bytes and metadata of one version, from one GET (or one version-pinned series)."""
        data, meta = await self._read(key, byte_range, want_meta=True)
        if meta is None:  # pragma: no cover - _read always returns meta when asked
            meta = await self.head(key)
        return data, meta

    async def head(self, key: str) -> ObjectMeta:
        """The object's metadata (HEAD)."""
        full_key = self.settings.full_key(key)
        bucket = self.settings.bucket

        def work(client: Any) -> Response:
            response: Response = client.head_object(Bucket=bucket, Key=full_key)
            return response

        response = await self._run("head", key, work)
        return self._meta(key, response, int(response.get("ContentLength", 0)))

    # writes --------------------------------------------------------------------------

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        """Store ``data``; ``create`` and ``Update(etag)`` are enforced by S3 itself."""
        conditions: dict[str, str] = {}
        write: WriteKind = "other"
        if mode == "create":
            conditions["IfNoneMatch"] = "*"
            write = "create"
        elif isinstance(mode, Update):
            conditions["IfMatch"] = mode.etag
            write = "update"
        elif mode != "overwrite":
            raise ValueError(
                f"unknown put mode {mode!r}: use 'overwrite', 'create' or Update(etag)"
            )
        params: dict[str, Any] = {
            "Bucket": self.settings.bucket,
            "Key": self.settings.full_key(key),
        }
        if content_type is not None:
            params["ContentType"] = content_type
        if metadata:
            params["Metadata"] = dict(metadata)
        if len(data) > self.settings.extra.multipart_threshold_bytes:
            etag = await self._put_multipart(key, data, params, conditions, write)
        else:

            def work(client: Any) -> str:
                response: Response = client.put_object(Body=data, **params, **conditions)
                return str(response["ETag"])

            etag = await self._run("put", key, work, write)
        return ObjectMeta(
            key=key,
            size=len(data),
            etag=etag,
            content_type=content_type,
            metadata=dict(metadata or {}),
        )

    async def _put_multipart(
        self,
        key: str,
        data: bytes,
        params: dict[str, Any],
        conditions: dict[str, str],
        write: WriteKind,
    ) -> str:
        target = {"Bucket": params["Bucket"], "Key": params["Key"]}
        part = max(self.settings.extra.multipart_part_bytes, -(-len(data) // _MAX_PARTS))
        view = memoryview(data)

        def start(client: Any) -> str:
            return str(client.create_multipart_upload(**params)["UploadId"])

        upload_id = await self._run("put (start multipart upload)", key, start)

        def job(number: int, offset: int) -> Callable[[], Awaitable[dict[str, Any]]]:
            def work(client: Any) -> dict[str, Any]:
                body = bytes(view[offset : offset + part])
                response = client.upload_part(
                    **target, UploadId=upload_id, PartNumber=number, Body=body
                )
                return {"PartNumber": number, "ETag": response["ETag"]}

            return lambda: self._run("put (upload part)", key, work)

        try:
            parts = await self._bounded(
                job(number, offset)
                for number, offset in enumerate(range(0, len(data), part), start=1)
            )

            def complete(client: Any) -> str:
                response = client.complete_multipart_upload(
                    **target,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                    **conditions,
                )
                return str(response["ETag"])

            return await self._run("put (complete multipart upload)", key, complete, write)
        except BaseException:
            await self._abort_multipart(key, target, upload_id)
            raise

    async def _abort_multipart(self, key: str, target: dict[str, str], upload_id: str) -> None:
        def work(client: Any) -> None:
            client.abort_multipart_upload(**target, UploadId=upload_id)

        # best effort: a bucket lifecycle rule removes whatever an abort could not
        with contextlib.suppress(StorageError, asyncio.CancelledError):
            await self._run("put (abort multipart upload)", key, work)

    async def delete(self, key: str) -> None:
        """Remove the object; a missing key is not an error (S3 answers 204 either way)."""
        bucket, full_key = self.settings.bucket, self.settings.full_key(key)

        def work(client: Any) -> None:
            client.delete_object(Bucket=bucket, Key=full_key)

        await self._run("delete", key, work)

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Remove many objects with DeleteObjects, 1,000 keys per request, batches in parallel."""
        unique = list(dict.fromkeys(keys))
        batch = self.capabilities.max_delete_batch
        await self._bounded(
            self._delete_batch_job(unique[i : i + batch]) for i in range(0, len(unique), batch)
        )

    def _delete_batch_job(self, keys: list[str]) -> Callable[[], Awaitable[None]]:
        bucket = self.settings.bucket
        objects = [{"Key": self.settings.full_key(key)} for key in keys]

        def work(client: Any) -> list[dict[str, str]]:
            response = client.delete_objects(
                Bucket=bucket, Delete={"Objects": objects, "Quiet": True}
            )
            errors: list[dict[str, str]] = response.get("Errors") or []
            return errors

        async def run() -> None:
            errors = await self._run("delete_many", None, work)
            if errors:
                first = errors[0]
                key = self.settings.store_key(first.get("Key", ""))
                fake = ClientError(
                    {"Error": {"Code": first.get("Code", ""), "Message": first.get("Message", "")}},
                    "DeleteObjects",
                )
                raise map_error(fake, self.settings, operation="delete_many", key=key)

        return run

    # listing -------------------------------------------------------------------------

    async def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        """Objects and (with a delimiter) common prefixes, in key order, page by page; the
        next page is requested while the current one is consumed."""
        params: dict[str, Any] = {
            "Bucket": self.settings.bucket,
            "Prefix": self.settings.full_key(prefix),
            "MaxKeys": self.settings.extra.list_page_size,
        }
        if delimiter:
            params["Delimiter"] = delimiter
        if start_after:
            params["StartAfter"] = self.settings.full_key(start_after)

        def page(token: str | None) -> Callable[[Any], Response]:
            def work(client: Any) -> Response:
                extra = {"ContinuationToken": token} if token else {}
                response: Response = client.list_objects_v2(**params, **extra)
                return response

            return work

        pending: asyncio.Task[Response] | None = asyncio.ensure_future(
            self._run("list", prefix or None, page(None))
        )
        try:
            while pending is not None:
                response = await pending
                pending = None
                token = response.get("NextContinuationToken")
                if response.get("IsTruncated") and token:
                    pending = asyncio.ensure_future(self._run("list", prefix or None, page(token)))
                for entry in _page_entries(response, self.settings):
                    yield entry
        finally:
            if pending is not None:
                pending.cancel()

    # the rest ------------------------------------------------------------------------

    async def presign_get(self, key: str, expires_in_seconds: int = 3600) -> str:
        """A URL that GETs the object without credentials until it expires."""
        if expires_in_seconds <= 0:
            raise ValueError(f"expires_in_seconds must be > 0, got {expires_in_seconds}")
        params = {"Bucket": self.settings.bucket, "Key": self.settings.full_key(key)}

        def work(client: Any) -> str:
            return str(
                client.generate_presigned_url(
                    "get_object", Params=params, ExpiresIn=expires_in_seconds
                )
            )

        return await self._run("presign_get", key, work)

    async def release(self) -> None:
        """Close the HTTP connections of every client built (after the pool stopped)."""
        states = self._clients.take_all()
        if states:
            await off_the_loop(lambda: [state.client.close() for state in states])


def _page_entries(response: Response, settings: S3Settings) -> list[ListEntry]:
    """One listing page as store entries: objects and common prefixes merged in key order."""
    objects = [
        ObjectMeta(
            key=settings.store_key(item["Key"]),
            size=int(item.get("Size", 0)),
            etag=item.get("ETag"),
            last_modified=item.get("LastModified"),
        )
        for item in response.get("Contents") or []
    ]
    prefixes = [settings.store_key(item["Prefix"]) for item in response.get("CommonPrefixes") or []]
    return merge_in_key_order(objects, prefixes)


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first real failure inside a task group's exception group."""
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            return _first_error(error)
        if not isinstance(error, asyncio.CancelledError):
            return error
    return group.exceptions[0]


def _total_size(response: Response, received: int) -> int:
    """The whole object's size: from Content-Range for a partial answer, else the body's."""
    match = _CONTENT_RANGE.match(str(response.get("ContentRange") or ""))
    return int(match.group(3)) if match else received
