"""The ``dict`` storage backend: objects in a Python dict, etags are generation numbers."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime

import msgspec

from sapwood.config import ObjectStoreConfig, convert_config
from sapwood.credentials import CredentialProvider
from sapwood.errors import (
    AlreadyExistsError,
    ConfigError,
    NotFoundError,
    PreconditionFailedError,
    StorageError,
)
from sapwood.storage import (
    BaseStorage,
    ByteRange,
    ListEntry,
    ObjectMeta,
    PutMode,
    Update,
    clip_range,
    group_by_delimiter,
)
from sapwood_dict.settings import DictExtra

__all__ = ["DictStorage", "open_dict_storage"]

_UNUSED_FIELDS = ("prefix", "region", "endpoint_url", "anonymous", "allow_http")
"""ObjectStoreConfig fields that mean nothing to a dict: setting one is refused."""


class DictStorage(BaseStorage):
    """Objects in a dict of this store object; nothing outlives it.

    Each call runs to completion without awaiting, so on one event loop every call is
    atomic: a conditional write needs no lock.
    """

    def __init__(self, name: str, settings: DictExtra | None = None) -> None:
        self.name = name
        self.settings = settings or DictExtra()
        self.objects: dict[str, tuple[bytes, ObjectMeta]] = {}
        self.generations = itertools.count(1)

    def __repr__(self) -> str:
        return f"DictStorage({self.name!r}, {len(self.objects)} objects)"

    def _find(self, key: str) -> tuple[bytes, ObjectMeta]:
        try:
            return self.objects[key]
        except KeyError:
            raise NotFoundError(f"{key!r} does not exist in dict://{self.name}", key=key) from None

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        data, _ = self._find(key)
        start, stop = clip_range(byte_range, len(data))
        return data[start:stop]

    async def head(self, key: str) -> ObjectMeta:
        return _copy(self._find(key)[1])

    async def get_with_meta(
        self, key: str, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        data, meta = self._find(key)
        start, stop = clip_range(byte_range, len(data))
        return data[start:stop], _copy(meta)

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        current = self.objects.get(key)
        if mode == "create" and current is not None:
            raise AlreadyExistsError(f"{key!r} already exists", key=key)
        if isinstance(mode, Update):
            if current is None:
                raise NotFoundError(f"{key!r} does not exist", key=key)
            if current[1].etag != mode.etag:
                raise PreconditionFailedError(f"{key!r} changed since it was read", key=key)
        if current is None and len(self.objects) >= self.settings.max_objects:
            raise StorageError(
                f"dict://{self.name} already holds max_objects={self.settings.max_objects} "
                "objects; delete some, or raise max_objects in ObjectStoreConfig.extra",
                key=key,
            )
        meta = ObjectMeta(
            key=key,
            size=len(data),
            etag=str(next(self.generations)),
            last_modified=datetime.now(UTC),
            content_type=content_type,
            metadata=dict(metadata or {}),
        )
        self.objects[key] = (bytes(data), meta)
        return _copy(meta)

    async def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    async def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        metas = [
            _copy(meta)
            for key, (_, meta) in sorted(self.objects.items())
            if key.startswith(prefix) and (start_after is None or key > start_after)
        ]
        for entry in group_by_delimiter(metas, prefix, delimiter):
            yield entry

    async def close(self) -> None:
        """Nothing to release: the objects go when the store does."""


def _copy(meta: ObjectMeta) -> ObjectMeta:
    """A copy whose metadata dict a caller may change without changing the stored object."""
    return msgspec.structs.replace(meta, metadata=dict(meta.metadata))


def open_dict_storage(
    config: ObjectStoreConfig, credentials: CredentialProvider | None
) -> DictStorage:
    """A new, empty store named ``config.bucket``, with ``config.extra`` as its settings."""
    if not config.bucket:
        raise ConfigError("name the dict store: dict://NAME, or ObjectStoreConfig(bucket=NAME)")
    unused = [name for name in _UNUSED_FIELDS if getattr(config, name)]
    if unused:
        raise ConfigError(
            f"the dict backend keeps objects in this process, so it does not use "
            f"{', '.join(unused)}; leave {'it' if len(unused) == 1 else 'them'} unset"
        )
    if credentials is not None:
        raise ConfigError(
            "the dict backend has nothing to authenticate against, so it takes no "
            f"credentials (got the {credentials.name!r} provider); pass none"
        )
    settings = convert_config(config.extra, DictExtra, what="ObjectStoreConfig.extra")
    return DictStorage(config.bucket, settings)
