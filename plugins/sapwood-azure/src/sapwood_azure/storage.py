"""The Azure Blob Storage backend, on the SDK's async client (``azure.storage.blob.aio``).

One container is the store's bucket; ``config.prefix`` is a folder inside it. Conditional
writes are native: ``mode="create"`` sends ``If-None-Match: *`` and ``Update(etag)`` sends
``If-Match``, both checked by the service when the blob (or its block list) is committed.
Large objects go up and down in blocks, ``max_concurrency`` at a time. Clients are bound to
the event loop that first uses them (aiohttp sessions are), so a store used from several
loops keeps one client per loop.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import aiohttp
from azure.core import MatchConditions
from azure.core.async_paging import AsyncItemPaged
from azure.core.credentials import AzureSasCredential
from azure.core.exceptions import AzureError, HttpResponseError
from azure.core.pipeline.transport import AioHttpTransport
from azure.storage.blob import (
    BlobProperties,
    BlobSasPermissions,
    ContentSettings,
    generate_blob_sas,
)
from azure.storage.blob.aio import BlobServiceClient, ContainerClient, LinearRetry

from sapwood.config import ObjectStoreConfig, convert_config
from sapwood.credentials import (
    AnonymousProvider,
    CredentialProvider,
    FromEnvProvider,
    ResolvedCredentials,
    StaticCredentials,
    StaticProvider,
)
from sapwood.errors import (
    ConfigError,
    CredentialsError,
    InvalidPathError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    StorageError,
)
from sapwood.kit.prefixing import KeyPrefix, ListingWindow
from sapwood.kit.renewal import ClientRenewal
from sapwood.storage import (
    BaseStorage,
    ByteRange,
    Capabilities,
    CommonPrefix,
    ListEntry,
    ObjectMeta,
    PutMode,
    Update,
)
from sapwood_azure.auth import (
    AzureAuth,
    auth_from_credentials,
    auth_from_environment,
    is_sas_token,
    parse_connection_string,
)
from sapwood_azure.errors import Intent, Where, error_code, map_azure_error, status_code
from sapwood_azure.metadata import decode_metadata, encode_metadata
from sapwood_azure.settings import AzureExtra, AzureLocation, resolve_location

__all__ = ["AzureStorage"]

T = TypeVar("T")

_DEFAULT_CONTENT_TYPE = "application/octet-stream"
_SUFFIX_READ_ATTEMPTS = 5
_STREAM_BLOCK_BYTES = 256 * 1024


@dataclass
class _Connection:
    """The SDK clients of one event loop, and the credentials they were built from."""

    service: BlobServiceClient
    container: ContainerClient
    auth: AzureAuth
    sas_credential: AzureSasCredential | None = field(default=None, repr=False)

    async def close(self) -> None:
        await self.service.close()
        if self.auth.owns_token_credential and self.auth.token_credential is not None:
            await self.auth.token_credential.close()


class AzureStorage(BaseStorage):
    """A store in one Azure Blob container (``az://CONTAINER/prefix``).

    Build it with :func:`sapwood.stores.open_storage` or directly from an
    :class:`~sapwood.config.ObjectStoreConfig` and an optional credential provider. Nothing
    connects until the first request.
    """

    def __init__(
        self,
        config: ObjectStoreConfig,
        credentials: CredentialProvider | None = None,
        *,
        extra: AzureExtra | None = None,
    ) -> None:
        self.config = config
        self.extra = extra or convert_config(
            dict(config.extra), AzureExtra, what="ObjectStoreConfig.extra"
        )
        self._provider = credentials
        if self._provider is None and config.anonymous:
            self._provider = AnonymousProvider()
        static = _static_spec(self._provider)
        credential_account = static.access_key_id if static is not None else None
        self.location: AzureLocation = resolve_location(config, self.extra, credential_account)
        self._keys = KeyPrefix(self.location.prefix)
        self._base = self._keys.root
        self.capabilities = Capabilities(
            conditional_create=True,
            conditional_update=True,
            byte_ranges=True,
            delimiter_listing=True,
            presigned_urls=self._account_key_known(static),
            max_delete_batch=self.extra.delete_batch_size,
        )
        # One client per loop (aiohttp sessions are bound to theirs); weak keys: a loop
        # that is gone takes its client's entry with it.
        self._connections: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, ClientRenewal[_Connection]
        ] = weakref.WeakKeyDictionary()
        self._batch_delete = self.extra.batch_delete
        self._server_start_from = self.extra.server_start_from
        self._endpoint_in_use = self.location.account_url

    def __repr__(self) -> str:
        where = f"/{self.location.prefix}" if self.location.prefix else ""
        endpoint = self.location.account_url or "(endpoint from the environment)"
        return f"AzureStorage('az://{self.location.container}{where}' at {endpoint})"

    # -- connection and credentials -------------------------------------------------

    def _account_key_known(self, static: StaticCredentials | None) -> bool:
        """Whether presigned URLs can be signed: an account key is known without I/O."""
        if isinstance(self._provider, AnonymousProvider):
            return False
        if static is not None:
            return bool(static.secret_access_key and not static.bearer_token)
        if self._provider is None or isinstance(self._provider, FromEnvProvider):
            if os.environ.get("SAPWOOD_SECRET_ACCESS_KEY"):
                return True
            connection = os.environ.get("AZURE_STORAGE_CONNECTION_STRING")
            if connection:
                try:
                    return parse_connection_string(connection).account_key is not None
                except CredentialsError:
                    return False
            return bool(os.environ.get("AZURE_STORAGE_KEY"))
        return False

    @property
    def _where(self) -> Where:
        return Where(
            container=self.location.container,
            endpoint=self._endpoint_in_use or "the endpoint in AZURE_STORAGE_CONNECTION_STRING",
        )

    def _clients(self) -> ClientRenewal[_Connection]:
        """The clients of the running loop, renewed when the credentials change. Replaced
        clients are kept until :meth:`close` (in-flight requests may still use them)."""
        loop = asyncio.get_running_loop()
        renewal = self._connections.get(loop)
        if renewal is None:
            renewal = ClientRenewal(
                self._provider, self._build, apply_in_place=self._apply_in_place, keep_retired=None
            )
            self._connections[loop] = renewal
        return renewal

    async def _connect(self) -> _Connection:
        return await self._clients().client()

    def _apply_in_place(self, conn: _Connection, credentials: ResolvedCredentials | None) -> bool:
        """Swap renewed credentials of the same kind into live clients; False to rebuild."""
        if not isinstance(credentials, StaticCredentials):
            return False
        token = credentials.bearer_token
        if conn.auth.kind == "sas" and token and is_sas_token(token):
            assert conn.sas_credential is not None
            conn.sas_credential.update(token.strip().lstrip("?"))
            return True
        if conn.auth.kind == "token" and token and not is_sas_token(token):
            # The token credential asks the provider itself whenever the SDK needs a token.
            return True
        if (
            conn.auth.kind == "shared_key"
            and not token
            and credentials.secret_access_key
            and (credentials.access_key_id or conn.auth.account_name) == conn.auth.account_name
        ):
            policy: object = conn.service.credential
            if hasattr(policy, "account_key"):
                setattr(policy, "account_key", credentials.secret_access_key)  # noqa: B010
                conn.auth.account_key = credentials.secret_access_key
                return True
        return False

    def _resolve_auth(self, credentials: ResolvedCredentials | None) -> AzureAuth:
        account = self.location.account_name
        if credentials is not None:
            return auth_from_credentials(credentials, self._provider, account)
        found = auth_from_environment(account)
        if found is not None:
            return found
        raise CredentialsError(
            f"no credentials for Azure container {self.location.container!r}: pass "
            "StaticCredentials(access_key_id=ACCOUNT, secret_access_key=KEY) or a SAS or OAuth "
            "bearer_token, set AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT and "
            "AZURE_STORAGE_KEY, install azure-identity for DefaultAzureCredential, or set "
            "anonymous=true for a public container"
        )

    def _build(self, credentials: ResolvedCredentials | None) -> _Connection:
        auth = self._resolve_auth(credentials)
        account = auth.account_name or self.location.account_name
        if self.location.endpoint_is_custom:
            account_url = self.location.account_url
        else:
            account_url = auth.endpoint or self.location.account_url
            if account_url is None and account is not None:
                account_url = f"https://{account}.blob.core.windows.net"
        if account_url is None:
            raise ConfigError(
                "cannot tell which Azure storage account to use: set extra account_name, an "
                "endpoint_url, or credentials whose access_key_id is the account name",
                field="extra.account_name",
            )
        if account_url.startswith("http://") and auth.kind == "token":
            raise PermissionDeniedError(
                f"OAuth bearer tokens are only sent over https; {account_url} is plain HTTP: "
                "use an https endpoint, an account key or a SAS token"
            )
        credential: Any = None
        sas_credential: AzureSasCredential | None = None
        if auth.kind == "shared_key":
            credential = {"account_name": account, "account_key": auth.account_key}
        elif auth.kind == "sas":
            sas_credential = AzureSasCredential(auth.sas_token or "")
            credential = sas_credential
        elif auth.kind == "token":
            credential = auth.token_credential
        extra = self.extra
        # The SDK annotates these as int but sleeps fractions of a second just as well.
        retry_options: dict[str, Any] = {
            "backoff": extra.retry_backoff_seconds,
            "random_jitter_range": extra.retry_backoff_seconds / 2,
            "retry_total": extra.max_retries,
        }
        retry = LinearRetry(**retry_options)
        transport = AioHttpTransport(
            session=_client_session(_trust_env(extra.trust_env)),
            session_owner=True,
            connection_timeout=extra.connect_timeout_seconds,
            read_timeout=extra.read_timeout_seconds,
            connection_data_block_size=_STREAM_BLOCK_BYTES,
            connection_verify=extra.ca_bundle if extra.ca_bundle else True,
        )
        service = BlobServiceClient(
            account_url,
            credential=credential,
            transport=transport,
            max_single_put_size=extra.max_single_put_bytes,
            max_block_size=extra.block_bytes,
            min_large_block_upload_threshold=min(extra.block_bytes, 4 * 1024 * 1024) + 1,
            max_single_get_size=extra.max_single_get_bytes,
            max_chunk_get_size=extra.get_chunk_bytes,
            retry_policy=retry,
        )
        container = service.get_container_client(self.location.container)
        auth.account_name = account
        self._endpoint_in_use = account_url
        return _Connection(
            service=service,
            container=container,
            auth=auth,
            sas_credential=sas_credential,
        )

    async def _call(
        self,
        intent: Intent,
        key: str | None,
        request: Callable[[_Connection], Awaitable[T]],
    ) -> T:
        conn = await self._connect()
        try:
            return await request(conn)
        except StorageError:
            raise
        except (AzureError, OSError, TimeoutError) as exc:
            mapped = map_azure_error(exc, intent=intent, key=key, where=self._where)
            if isinstance(mapped, PermissionDeniedError):
                raise mapped from None  # the SDK's text may quote what was signed
            raise mapped from exc

    # -- keys and metadata ------------------------------------------------------------

    def _full(self, key: str) -> str:
        if key.startswith("/"):
            raise InvalidPathError(f"object key {key!r} must not start with '/'")
        return self._keys.object_key(key)

    def _meta(self, key: str, props: BlobProperties, size: int | None = None) -> ObjectMeta:
        settings = props.content_settings
        last_modified = props.last_modified
        if isinstance(last_modified, datetime) and last_modified.tzinfo is None:
            last_modified = last_modified.replace(tzinfo=UTC)
        return ObjectMeta(
            key=key,
            size=int(props.size if size is None else size),
            etag=_quoted(props.etag),
            last_modified=last_modified,
            content_type=settings.content_type if settings is not None else None,
            metadata=decode_metadata(props.metadata),
        )

    # -- reads ------------------------------------------------------------------------

    async def head(self, key: str) -> ObjectMeta:
        """The object's metadata (one HEAD request)."""
        full = self._full(key)

        async def request(conn: _Connection) -> ObjectMeta:
            props = await conn.container.get_blob_client(full).get_blob_properties()
            return self._meta(key, props)

        return await self._call("read", key, request)

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        """The object's bytes, or the part ``byte_range`` selects."""
        data, _meta = await self.get_with_meta(key, byte_range)
        return data

    async def get_with_meta(
        self, key: str, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        """Bytes and metadata from one download; a large object's later chunks are read
        with ``If-Match`` on the first one's etag, so all of it is one version."""
        full = self._full(key)
        if byte_range is None:
            return await self._download(key, full, None, None, None)
        if byte_range.last is not None:
            return await self._download_suffix(key, full, byte_range.last)
        if byte_range.end is not None and byte_range.end == byte_range.start:
            return b"", await self.head(key)
        length = None if byte_range.end is None else byte_range.end - byte_range.start
        offset = byte_range.start if byte_range.start or length is not None else None
        return await self._download(key, full, offset, length, None)

    async def _download_suffix(self, key: str, full: str, last: int) -> tuple[bytes, ObjectMeta]:
        # Azure has no suffix ranges: read the size, then the tail of that same version.
        for _ in range(_SUFFIX_READ_ATTEMPTS):
            meta = await self.head(key)
            if last == 0 or meta.size == 0:
                return b"", meta
            start = max(0, meta.size - last)
            try:
                return await self._download(key, full, start, meta.size - start, meta.etag)
            except _VersionChangedError:
                continue
        raise StorageError(
            f"{key!r} kept changing while its last {last} bytes were read; try again",
            retryable=True,
            key=key,
        )

    async def _download(
        self,
        key: str,
        full: str,
        offset: int | None,
        length: int | None,
        etag: str | None,
    ) -> tuple[bytes, ObjectMeta]:
        conditions: dict[str, Any] = {}
        if etag is not None:
            conditions = {"etag": etag, "match_condition": MatchConditions.IfNotModified}

        async def request(conn: _Connection) -> tuple[bytes, ObjectMeta] | None:
            blob = conn.container.get_blob_client(full)
            try:
                downloader = await blob.download_blob(
                    offset=offset,
                    length=length,
                    max_concurrency=self.extra.max_concurrency,
                    **conditions,
                )
                data = await downloader.readall()
            except HttpResponseError as exc:
                if status_code(exc) == 416 or error_code(exc) == "InvalidRange":
                    return None  # the range starts at or past the end: the object exists
                if etag is not None and status_code(exc) == 412:
                    raise _VersionChangedError from None
                raise
            props = downloader.properties
            return bytes(data), self._meta(key, props, _total_size(props))

        result = await self._call("read", key, request)
        if result is None:
            return b"", await self.head(key)
        return result

    # -- writes -----------------------------------------------------------------------

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        """Store ``data``; ``"create"`` and ``Update(etag)`` are checked by the service."""
        full = self._full(key)
        payload = data if isinstance(data, bytes) else bytes(data)
        options: dict[str, Any] = {}
        intent: Intent
        if mode == "overwrite":
            intent, overwrite = "write", True
        elif mode == "create":
            intent, overwrite = "create", False
        elif isinstance(mode, Update):
            intent, overwrite = "update", True
            options = {"etag": mode.etag, "match_condition": MatchConditions.IfNotModified}
        else:
            raise ValueError(f"unknown put mode {mode!r}")
        if intent != "write":
            # A quiet SDK retry of a write that did land would come back as a lost
            # condition; failing instead lets the object layer check which it was.
            options["retry_total"] = 0
        stored_metadata = encode_metadata(metadata)
        settings = ContentSettings(content_type=content_type) if content_type else None

        async def request(conn: _Connection) -> dict[str, Any]:
            result: dict[str, Any] = await conn.container.get_blob_client(full).upload_blob(
                payload,
                length=len(payload),
                overwrite=overwrite,
                content_settings=settings,
                metadata=stored_metadata,
                max_concurrency=self.extra.max_concurrency,
                **options,
            )
            return result

        try:
            result = await self._call(intent, key, request)
        except PreconditionFailedError as exc:
            if intent != "update":
                raise
            await self._raise_if_missing(key, exc)
            raise
        last_modified = result.get("last_modified")
        return ObjectMeta(
            key=key,
            size=len(payload),
            etag=_quoted(result.get("etag")),
            last_modified=last_modified if isinstance(last_modified, datetime) else None,
            content_type=content_type or _DEFAULT_CONTENT_TYPE,
            metadata=dict(metadata or {}),
        )

    async def _raise_if_missing(self, key: str, lost: PreconditionFailedError) -> None:
        # If-Match on a missing blob answers 412 as a stale etag does; tell them apart.
        try:
            await self.head(key)
        except NotFoundError:
            raise NotFoundError(
                f"cannot update {key!r} in container {self.location.container!r}: it does not "
                "exist (create it with mode='create')",
                key=key,
            ) from lost

    async def delete(self, key: str) -> None:
        """Remove the object; a missing key is not an error (a missing container is)."""
        full = self._full(key)

        async def request(conn: _Connection) -> None:
            try:
                await conn.container.get_blob_client(full).delete_blob()
            except HttpResponseError as exc:
                if status_code(exc) == 404 and error_code(exc) != "ContainerNotFound":
                    return
                raise

        await self._call("delete", key, request)

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Remove many objects: blob-batch requests of up to ``delete_batch_size`` keys, or
        single deletes ``delete_concurrency`` at a time where batches are unavailable."""
        fulls = list(dict.fromkeys(self._full(key) for key in keys))
        if not fulls:
            return
        size = self.extra.delete_batch_size
        batches = [fulls[i : i + size] for i in range(0, len(fulls), size)]
        gate = asyncio.Semaphore(max(1, self.extra.delete_concurrency // 4))

        async def one_batch(batch: list[str]) -> None:
            async with gate:
                if self._batch_delete and len(batch) > 1 and await self._delete_batch(batch):
                    return
                await self._delete_each(batch)

        await asyncio.gather(*(one_batch(batch) for batch in batches))

    async def _delete_batch(self, batch: list[str]) -> bool:
        """One blob-batch delete; False when the service does not do batches."""
        first_key = batch[0][len(self._base) :]

        async def request(conn: _Connection) -> bool:
            try:
                parts = await conn.container.delete_blobs(*batch, raise_on_any_failure=False)
            except HttpResponseError as exc:
                status = status_code(exc)
                code = error_code(exc)
                if status in (400, 404, 405, 501) and code != "ContainerNotFound":
                    self._batch_delete = False
                    return False
                raise
            failures: list[tuple[Any, str]] = []
            index = 0
            async for part in parts:
                name = batch[index] if index < len(batch) else batch[-1]
                index += 1
                status = getattr(part, "status_code", 0)
                if 200 <= status < 300:
                    continue
                code = part.headers.get("x-ms-error-code")
                if status == 404 and code != "ContainerNotFound":
                    continue
                failures.append((part, name))
            if failures:
                part, name = failures[0]
                failed = HttpResponseError(response=part)
                raise map_azure_error(
                    failed, intent="delete", key=name[len(self._base) :], where=self._where
                )
            return True

        return await self._call("delete", first_key, request)

    async def _delete_each(self, batch: list[str]) -> None:
        gate = asyncio.Semaphore(self.extra.delete_concurrency)
        base_len = len(self._base)

        async def one(full: str) -> None:
            async with gate:
                await self.delete(full[base_len:])

        await asyncio.gather(*(one(full) for full in batch))

    # -- listing ------------------------------------------------------------------------

    async def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        """Objects and, with a delimiter, common prefixes under ``prefix`` in key order,
        ``list_page_size`` per request. ``start_after`` starts the service there where it
        can (``startFrom``) and is always enforced here too."""
        window = self._keys.window(prefix, delimiter, start_after)
        if window.empty:
            return  # every key under the prefix sorts before start_after
        if not delimiter:
            async for meta in self._flat(window.full_prefix, window.start_after):
                yield meta
            return
        async for entry in self._hierarchy(window, delimiter):
            yield entry

    async def _flat(self, full_prefix: str, low: str | None) -> AsyncGenerator[ObjectMeta, None]:
        base_len = len(self._base)
        start_from = low if self._server_start_from else None
        async for props in self._pages(full_prefix, None, start_from):
            assert isinstance(props, BlobProperties)
            if low is not None and props.name <= low:
                continue
            yield self._meta(props.name[base_len:], props)

    async def _hierarchy(self, window: ListingWindow, delimiter: str) -> AsyncIterator[ListEntry]:
        base_len = len(self._base)
        full_prefix, low = window.full_prefix, window.start_after
        start_from = low
        folder = window.group_holding_start
        if folder is not None:
            # start_after lies inside a folder: that folder is listed only if some key
            # in it comes after start_after; then the walk resumes past the folder.
            async with aclosing(self._flat(folder, low)) as inside:
                async for _meta in inside:
                    yield CommonPrefix(self._keys.store_key(folder))
                    break
            start_from = window.resume_at
        if not self._server_start_from:
            start_from = None
        last_folder: str | None = None
        async for item in self._pages(full_prefix, delimiter, start_from):
            name = item.name
            if low is not None and name <= low:
                continue
            if isinstance(item, BlobProperties):
                yield self._meta(name[base_len:], item)
            elif name != last_folder:
                last_folder = name
                yield CommonPrefix(name[base_len:])

    async def _pages(
        self, full_prefix: str, delimiter: str | None, start_from: str | None
    ) -> AsyncIterator[Any]:
        """Listing items in key order; each page is sorted, since the SDK puts a page's
        prefixes before its blobs."""
        conn = await self._connect()
        options: dict[str, Any] = {}
        if start_from is not None:
            options["start_from"] = start_from
        yielded = False
        pager: AsyncItemPaged[Any]
        try:
            if delimiter:
                pager = conn.container.walk_blobs(
                    name_starts_with=full_prefix or None,
                    include=["metadata"],
                    delimiter=delimiter,
                    results_per_page=self.extra.list_page_size,
                    **options,
                )
            else:
                pager = conn.container.list_blobs(
                    name_starts_with=full_prefix or None,
                    include=["metadata"],
                    results_per_page=self.extra.list_page_size,
                    **options,
                )
            async for page in pager.by_page():
                items = [item async for item in page]
                items.sort(key=lambda item: str(item.name))
                for item in items:
                    yielded = True
                    yield item
        except StorageError:
            raise
        except HttpResponseError as exc:
            if start_from is not None and not yielded and status_code(exc) == 400:
                # A service that does not know startFrom: list from the start instead.
                self._server_start_from = False
                async for item in self._pages(full_prefix, delimiter, None):
                    yield item
                return
            raise _mapped(exc, "list", full_prefix[len(self._base) :] or None, self._where) from (
                None if status_code(exc) in (401, 403) else exc
            )
        except (AzureError, OSError, TimeoutError) as exc:
            raise _mapped(exc, "list", None, self._where) from exc

    # -- presigned URLs, containers, lifecycle ------------------------------------------

    async def presign_get(self, key: str, expires_in_seconds: int = 3600) -> str:
        """A read-only SAS URL for ``key``, valid ``expires_in_seconds``; needs an account key."""
        full = self._full(key)
        if not self.capabilities.presigned_urls:
            raise StorageError(
                f"{self!r} cannot presign URLs: that needs the storage account key "
                "(StaticCredentials(access_key_id=ACCOUNT, secret_access_key=KEY))",
                key=key,
            )
        if expires_in_seconds <= 0:
            raise ValueError(f"expires_in_seconds must be > 0, got {expires_in_seconds}")
        conn = await self._connect()
        if conn.auth.kind != "shared_key" or not conn.auth.account_key:
            raise StorageError(
                f"{self!r} cannot presign URLs: the credentials in use ({conn.auth.source}) "
                "carry no account key",
                key=key,
            )
        now = datetime.now(UTC)
        token = generate_blob_sas(
            account_name=conn.auth.account_name or "",
            container_name=self.location.container,
            blob_name=full,
            account_key=conn.auth.account_key,
            permission=BlobSasPermissions(read=True),
            start=now - timedelta(minutes=5),
            expiry=now + timedelta(seconds=expires_in_seconds),
        )
        return f"{conn.container.get_blob_client(full).url}?{token}"

    async def create_container(self, exist_ok: bool = True) -> None:
        """Create the container (a no-op if it exists and ``exist_ok``)."""

        async def request(conn: _Connection) -> None:
            try:
                await conn.container.create_container()
            except HttpResponseError as exc:
                if exist_ok and error_code(exc) == "ContainerAlreadyExists":
                    return
                raise

        await self._call("write", None, request)

    async def delete_container(self) -> None:
        """Delete the container and everything in it (a no-op if it does not exist)."""

        async def request(conn: _Connection) -> None:
            try:
                await conn.container.delete_container()
            except HttpResponseError as exc:
                if error_code(exc) == "ContainerNotFound":
                    return
                raise

        await self._call("delete", None, request)

    async def close(self) -> None:
        """Close this loop's clients (and those replaced after a change of credentials).
        Using the store again opens new ones."""
        loop = asyncio.get_running_loop()
        mine = self._connections.pop(loop, None)
        closing = mine.take_all() if mine is not None else []
        for other in list(self._connections.values()):
            closing[:0], other.retired = other.retired, []
        for conn in closing:
            await conn.close()


class _VersionChangedError(Exception):
    """The object changed between reading its size and reading its tail."""


def _mapped(exc: BaseException, intent: Intent, key: str | None, where: Where) -> StorageError:
    return map_azure_error(exc, intent=intent, key=key, where=where)


def _quoted(etag: object) -> str | None:
    """Etags as HTTP headers carry them: listings give them bare, headers quoted."""
    if not isinstance(etag, str) or not etag:
        return None
    return etag if etag.startswith(('"', 'W/"')) else f'"{etag}"'


def _total_size(props: BlobProperties) -> int:
    content_range = getattr(props, "content_range", None)
    if isinstance(content_range, str) and "/" in content_range:
        total = content_range.rsplit("/", 1)[1]
        if total.isdigit():
            return int(total)
    return int(props.size)


def _client_session(trust_env: bool) -> aiohttp.ClientSession:
    """The aiohttp session under the SDK, as the SDK would make it, except that aiohttp may
    not resend a request on a dropped connection by itself: a conditional write that landed
    and was resent would come back as a lost condition. The SDK's retry policy (off for
    conditional writes) and the object layer retry instead, knowing what they retry."""
    session = aiohttp.ClientSession(
        trust_env=trust_env, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False
    )
    if hasattr(session, "_retry_connection"):
        session._retry_connection = False
    return session


_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "ws_proxy", "wss_proxy")


def _trust_env(setting: bool | None) -> bool:
    """Whether aiohttp should read proxy settings and netrc for each request."""
    if setting is not None:
        return setting
    if any(os.environ.get(name) or os.environ.get(name.upper()) for name in _PROXY_VARIABLES):
        return True
    netrc = os.environ.get("NETRC") or os.path.join(os.path.expanduser("~"), ".netrc")
    return os.path.exists(netrc)


def _static_spec(provider: CredentialProvider | None) -> StaticCredentials | None:
    if isinstance(provider, StaticProvider):
        return provider.spec
    return None
