"""A storage backend that keeps objects in the memory of the Python process.

Every :class:`MemoryStorage` opened with the same name shares one :class:`MemoryBucket`,
so ``memory://scratch`` means the same data in every thread, task and event loop of the
process. A :class:`threading.Lock` guards each bucket; no ``await`` happens while it is
held, so conditional writes are atomic and nothing blocks for long.
"""

from __future__ import annotations

import bisect
import itertools
import threading
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sapwood.errors import (
    AlreadyExistsError,
    ConfigError,
    InvalidPathError,
    NotFoundError,
    PreconditionFailedError,
)
from sapwood.storage import (
    BaseStorage,
    ByteRange,
    Capabilities,
    ListEntry,
    ObjectMeta,
    PutMode,
    Update,
    clip_range,
    group_by_delimiter,
)

__all__ = ["MemoryBucket", "MemoryStorage", "bucket_names", "drop_bucket"]

_etag_counter = itertools.count(1)


@dataclass(frozen=True, slots=True)
class _Stored:
    data: bytes
    meta: ObjectMeta


class MemoryBucket:
    """The objects of one named memory store, kept by full key.

    Keys are kept in a sorted list so listings need no full sort: new keys wait in
    ``_pending`` until the next listing merges them in, and deleted keys stay in the list
    (skipped when listed) until they make up half of it.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.lock = threading.Lock()
        self._objects: dict[str, _Stored] = {}
        self._sorted: list[str] = []
        self._indexed: set[str] = set()
        self._pending: list[str] = []
        self._stale = 0

    def lookup(self, key: str) -> _Stored:
        """The stored object; call with the lock held."""
        found = self._objects.get(key)
        if found is None:
            raise NotFoundError(f"no object {key!r} in memory store {self.name!r}", key=key)
        return found

    def find(self, key: str) -> _Stored | None:
        """The stored object or None; call with the lock held."""
        return self._objects.get(key)

    def store(self, key: str, stored: _Stored) -> None:
        """Set ``key``; call with the lock held."""
        self._objects[key] = stored
        if key not in self._indexed:
            self._indexed.add(key)
            self._pending.append(key)

    def remove(self, key: str) -> None:
        """Forget ``key`` if present; call with the lock held."""
        if self._objects.pop(key, None) is not None:
            self._stale += 1

    def clear(self) -> None:
        """Forget every object."""
        with self.lock:
            self._objects.clear()
            self._sorted.clear()
            self._indexed.clear()
            self._pending.clear()
            self._stale = 0

    def snapshot(self, low: str, prefix: str) -> list[ObjectMeta]:
        """Metas of the keys starting with ``prefix`` and greater than ``low``, in order."""
        with self.lock:
            self._reindex()
            start = bisect.bisect_right(self._sorted, low) if low else 0
            start = max(start, bisect.bisect_left(self._sorted, prefix))
            out: list[ObjectMeta] = []
            for key in itertools.islice(self._sorted, start, None):
                if not key.startswith(prefix):
                    break
                found = self._objects.get(key)
                if found is not None:
                    out.append(found.meta)
            return out

    def _reindex(self) -> None:
        if self._stale * 2 > len(self._sorted):
            self._sorted = [k for k in self._sorted if k in self._objects]
            self._indexed = set(self._sorted)
            self._pending = [k for k in self._pending if k in self._objects]
            self._indexed.update(self._pending)
            self._stale = 0
        if self._pending:
            # Two sorted runs: timsort merges them in linear time.
            self._pending.sort()
            self._sorted.extend(self._pending)
            self._sorted.sort()
            self._pending.clear()


_buckets: dict[str, MemoryBucket] = {}
_buckets_lock = threading.Lock()


def _bucket(name: str) -> MemoryBucket:
    with _buckets_lock:
        found = _buckets.get(name)
        if found is None:
            found = _buckets[name] = MemoryBucket(name)
        return found


def bucket_names() -> list[str]:
    """Names of the memory stores that exist in this process."""
    with _buckets_lock:
        return sorted(_buckets)


def drop_bucket(name: str) -> None:
    """Delete the memory store ``name`` and all its objects (a no-op if it does not exist)."""
    with _buckets_lock:
        found = _buckets.pop(name, None)
    if found is not None:
        found.clear()


class MemoryStorage(BaseStorage):
    """Objects in a process-wide dictionary named ``name``, under an optional ``prefix``.

    Supports everything in :class:`~sapwood.storage.Capabilities` except presigned URLs.
    Etags come from a process-wide counter, so every write yields a new one.
    """

    capabilities = Capabilities(
        conditional_create=True,
        conditional_update=True,
        byte_ranges=True,
        delimiter_listing=True,
        presigned_urls=False,
        max_delete_batch=1000,
    )

    def __init__(self, name: str, prefix: str = "") -> None:
        if not name:
            raise ConfigError("a memory store needs a name: write memory://NAME", field="bucket")
        self.name = name
        self.prefix = prefix.strip("/")
        self._base = f"{self.prefix}/" if self.prefix else ""
        self._bucket = _bucket(name)

    def __repr__(self) -> str:
        where = f"/{self.prefix}" if self.prefix else ""
        return f"MemoryStorage('memory://{self.name}{where}')"

    def _full(self, key: str) -> str:
        if not key:
            raise InvalidPathError("an object key must not be empty")
        return self._base + key

    @staticmethod
    def _outer(meta: ObjectMeta, key: str) -> ObjectMeta:
        # A copy, so a caller editing ``metadata`` cannot change what is stored.
        return _with_key(meta, key)

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        """The object's bytes, or the part ``byte_range`` selects."""
        data, _meta = await self.get_with_meta(key, byte_range)
        return data

    async def head(self, key: str) -> ObjectMeta:
        """The object's metadata."""
        full = self._full(key)
        with self._bucket.lock:
            meta = self._bucket.lookup(full).meta
        return self._outer(meta, key)

    async def get_with_meta(
        self, key: str, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        """Bytes and metadata of one version, read together under the lock."""
        full = self._full(key)
        with self._bucket.lock:
            stored = self._bucket.lookup(full)
        start, stop = clip_range(byte_range, len(stored.data))
        data = stored.data if (start, stop) == (0, len(stored.data)) else stored.data[start:stop]
        return data, self._outer(stored.meta, key)

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        """Store ``data``; ``"create"`` and ``Update(etag)`` are checked atomically."""
        full = self._full(key)
        payload = bytes(data)
        with self._bucket.lock:
            current = self._bucket.find(full)
            if mode == "create":
                if current is not None:
                    raise AlreadyExistsError(
                        f"{key!r} already exists in memory store {self.name!r}", key=key
                    )
            elif isinstance(mode, Update):
                if current is None:
                    raise NotFoundError(
                        f"cannot update {key!r} in memory store {self.name!r}: it does not "
                        "exist (create it with mode='create')",
                        key=key,
                    )
                if current.meta.etag != mode.etag:
                    raise PreconditionFailedError(
                        f"{key!r} changed in memory store {self.name!r}: expected etag "
                        f"{mode.etag!r}, found {current.meta.etag!r}; read it again and retry",
                        key=key,
                    )
            elif mode != "overwrite":
                raise ValueError(f"unknown put mode {mode!r}")
            meta = ObjectMeta(
                key=full,
                size=len(payload),
                etag=f"m{next(_etag_counter):x}",
                last_modified=datetime.now(UTC),
                content_type=content_type,
                metadata=dict(metadata or {}),
            )
            self._bucket.store(full, _Stored(payload, meta))
        return self._outer(meta, key)

    async def delete(self, key: str) -> None:
        """Remove the object; a missing key is not an error."""
        full = self._full(key)
        with self._bucket.lock:
            self._bucket.remove(full)

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Remove many objects under one lock."""
        fulls = [self._full(key) for key in keys]
        with self._bucket.lock:
            for full in fulls:
                self._bucket.remove(full)

    async def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        """Objects and common prefixes under ``prefix``, in key order.

        The listing is a snapshot taken when iteration starts.
        """
        low = self._base + start_after if start_after else ""
        metas = self._bucket.snapshot(low, self._base + prefix)
        base_len = len(self._base)
        inner = (_with_key(m, m.key[base_len:]) for m in metas)
        for entry in group_by_delimiter(inner, prefix, delimiter):
            yield entry

    async def clear(self) -> None:
        """Delete every object under this store's prefix."""
        metas = self._bucket.snapshot("", self._base)
        with self._bucket.lock:
            for meta in metas:
                self._bucket.remove(meta.key)


def _with_key(meta: ObjectMeta, key: str) -> ObjectMeta:
    return ObjectMeta(
        key=key,
        size=meta.size,
        etag=meta.etag,
        last_modified=meta.last_modified,
        content_type=meta.content_type,
        metadata=dict(meta.metadata),
    )
