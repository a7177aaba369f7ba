"""LakeFSImporter: lists and reads a lakeFS repository at a ref through its S3 gateway.

In the gateway the bucket is the repository and the first key segment is the ref, so
``lakefs://repo/main/data/x.csv`` is the S3 object ``s3://repo/main/data/x.csv``. The
transport is sapwood-s3's S3Storage (path-style addressing, lakeFS's access key).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from botocore.exceptions import ClientError

from sapwood.config import ObjectStoreConfig
from sapwood.credentials import StaticCredentials, StaticProvider
from sapwood.errors import NotFoundError, RefNotFoundError, SapwoodError, StorageError
from sapwood.extensions import ImportSource
from sapwood.storage import CommonPrefix, Storage
from sapwood_lakefs_import.options import LakeFSImportOptions
from sapwood_lakefs_import.uri import LakeFSLocation, parse_lakefs_uri
from sapwood_s3.errors import error_code
from sapwood_s3.storage import S3Storage

__all__ = ["LakeFSImporter"]


def _missing_bucket(exc: StorageError) -> bool:
    cause = exc.__cause__
    return isinstance(cause, ClientError) and error_code(cause) == "NoSuchBucket"


class LakeFSImporter:
    """Enumerates the objects under ``lakefs://repo/ref/prefix`` and reads their bytes."""

    def __init__(self, options: LakeFSImportOptions) -> None:
        self.options = options
        self._stores: dict[str, Storage] = {}

    def __repr__(self) -> str:
        return f"LakeFSImporter(endpoint_url={self.options.endpoint_url!r})"

    def _store(self, repository: str) -> Storage:
        store = self._stores.get(repository)
        if store is None:
            config = ObjectStoreConfig(
                object_store="s3",
                bucket=repository,
                region=self.options.region,
                endpoint_url=self.options.endpoint_url,
                extra={"addressing_style": "path"},
            )
            credentials = StaticCredentials(
                access_key_id=self.options.access_key_id,
                secret_access_key=self.options.secret_access_key,
            )
            store = S3Storage.from_config(config, StaticProvider(credentials, name="lakefs"))
            self._stores[repository] = store
        return store

    async def scan(self, uri: str) -> AsyncIterator[ImportSource]:
        """Every object under ``uri``, in key order, with paths relative to its prefix.

        A missing repository raises NotFoundError and a ref with no objects at all
        RefNotFoundError, each naming what to check."""
        location = parse_lakefs_uri(uri)
        store = self._store(location.repository)
        found = False
        try:
            async for entry in store.list(location.key_prefix):
                if isinstance(entry, CommonPrefix):
                    continue
                found = True
                path = entry.key[len(location.key_prefix) :]
                yield ImportSource(
                    path=path,
                    size_bytes=entry.size,
                    physical_address=location.uri_of(path),
                    etag=entry.etag,
                    content_type=entry.content_type,
                    metadata=dict(entry.metadata),
                )
        except StorageError as exc:
            if _missing_bucket(exc):
                raise NotFoundError(
                    f"the lakeFS repository {location.repository!r} was not found at "
                    f"{self.options.endpoint_url}; check the repository name in {uri!r} and "
                    "that the access key may read it"
                ) from None
            raise
        if not found and location.prefix:
            await self._check_ref(store, location, uri)
        elif not found:
            raise RefNotFoundError(self._no_ref(location, uri))

    async def _check_ref(self, store: Storage, location: LakeFSLocation, uri: str) -> None:
        async for _ in store.list(f"{location.ref}/"):
            return
        raise RefNotFoundError(self._no_ref(location, uri))

    def _no_ref(self, location: LakeFSLocation, uri: str) -> str:
        return (
            f"the ref {location.ref!r} of lakeFS repository {location.repository!r} has no "
            f"objects or does not exist; check the branch, tag or commit in {uri!r}"
        )

    async def read(self, source: ImportSource) -> bytes:
        """The bytes of one object found by :meth:`scan`."""
        location = parse_lakefs_uri(source.physical_address)
        base = f"lakefs://{location.repository}/"
        store = self._stores.get(location.repository)
        if store is None or not source.physical_address.startswith(base):
            raise SapwoodError(f"{source.physical_address} was not found by this importer's scan")
        return await store.get(source.physical_address[len(base) :])

    async def close(self) -> None:
        """Close the gateway connections opened while scanning."""
        stores, self._stores = list(self._stores.values()), {}
        for store in stores:
            await store.close()
