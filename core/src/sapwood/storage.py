"""The storage contract: what a backend plugin implements.

A backend stores raw bytes by key and supports conditional writes. Everything above it
(the object layer, the engine, the public API) sees only this contract, never a cloud SDK.

Keys are ``/``-separated strings with no leading ``/``; listing is in code-point order of
the key, which for UTF-8 is the byte order S3, GCS and Azure use.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Literal, Protocol, Self, TypeAlias, runtime_checkable

import msgspec

__all__ = [
    "BaseStorage",
    "ByteRange",
    "Capabilities",
    "CommonPrefix",
    "ForwardingStorage",
    "ListEntry",
    "ObjectMeta",
    "PutMode",
    "Storage",
    "Update",
    "clip_range",
    "content_addressed_writes",
    "deferred_durability",
    "durability_deferred",
    "immutable_object_writes",
    "reads_meta_in_one_request",
    "writes_content_addressed",
]

_deferred: ContextVar[bool] = ContextVar("sapwood_durability_deferred", default=False)
_content_addressed: ContextVar[bool] = ContextVar("sapwood_content_addressed", default=False)


class _Hint(contextlib.AbstractContextManager[None]):
    """Sets the given hint flags for the length of a ``with`` block (a plain class: the
    object layer enters one for every write of an immutable object, and a generator-based
    context manager costs several times more)."""

    __slots__ = ("_flags", "_tokens")

    def __init__(self, *flags: ContextVar[bool]) -> None:
        self._flags = flags
        self._tokens: list[Token[bool]] = []

    def __enter__(self) -> None:
        self._tokens = [flag.set(True) for flag in self._flags]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for flag, token in zip(reversed(self._flags), reversed(self._tokens), strict=True):
            flag.reset(token)
        self._tokens = []


def deferred_durability() -> contextlib.AbstractContextManager[None]:
    """Within this block (and the tasks and worker threads it starts), a backend may let an
    unconditional ``put`` return before its bytes are on stable storage, provided they are
    by the time this process's next write *outside* such a block returns (or the store is
    closed).

    The object layer wraps its writes of immutable, content-addressed objects (blobs,
    manifests, snapshots) in this block: nothing refers to them until a ref moves, and a
    ref moves by a write outside it, so a backend that honours the rule makes everything
    a commit depends on durable together, just before the ref, instead of once per object.
    Backends that are durable on every write (the cloud stores) ignore it.
    """
    return _Hint(_deferred)


def durability_deferred() -> bool:
    """True inside :func:`deferred_durability`: see there what a backend may do."""
    return _deferred.get()


def content_addressed_writes() -> contextlib.AbstractContextManager[None]:
    """Within this block (and the tasks and worker threads it starts), every unconditional
    ``put`` writes an immutable key: any two writes of the key, from this process or
    another, store the same bytes with the same content type and metadata (the key names
    its content, as a blob's hash does, or has a single writer). A backend may then let
    such writes of one key race without coordinating them (no lock, no clean-up of what
    an earlier, different version left), because every outcome of the race is the same
    object. Conditional writes (``create``, ``Update``) keep their full semantics inside
    the block, and a backend that has nothing to save ignores it.

    The object layer wraps its writes of immutable objects (blobs, manifests, snapshots)
    in this block, together with :func:`deferred_durability`. Never wrap a write of a key
    whose content may change (a ref, a lock, user data under a chosen name): a backend may
    then leave a reader seeing an older version's metadata.
    """
    return _Hint(_content_addressed)


def writes_content_addressed() -> bool:
    """True inside :func:`content_addressed_writes`: see there what a backend may do."""
    return _content_addressed.get()


def immutable_object_writes() -> contextlib.AbstractContextManager[None]:
    """:func:`deferred_durability` and :func:`content_addressed_writes` at once: the block
    the object layer wraps each write of an immutable object in."""
    return _Hint(_deferred, _content_addressed)


class ObjectMeta(msgspec.Struct, frozen=True, kw_only=True):
    """What a store knows about one stored object."""

    key: str
    size: int
    etag: str | None = None
    last_modified: datetime | None = None
    content_type: str | None = None
    metadata: dict[str, str] = msgspec.field(default_factory=dict)


class CommonPrefix(msgspec.Struct, frozen=True):
    """A folder-like group of keys returned by a listing with a delimiter.

    ``path`` ends with the delimiter, as S3's CommonPrefixes do.
    """

    path: str


ListEntry: TypeAlias = ObjectMeta | CommonPrefix


@dataclass(frozen=True, slots=True)
class Update:
    """Put mode: replace the object only if its current etag is ``etag`` (compare-and-swap)."""

    etag: str


PutMode: TypeAlias = Literal["overwrite", "create"] | Update
"""``"overwrite"`` always writes; ``"create"`` fails with AlreadyExistsError if the key
exists; ``Update(etag)`` fails with PreconditionFailedError unless the etag matches (and with
NotFoundError if the key is gone)."""


@dataclass(frozen=True, slots=True)
class ByteRange:
    """Part of an object to read.

    ``ByteRange(start, end)`` reads ``[start, end)``; ``ByteRange(start)`` reads from
    ``start`` to the end; ``ByteRange.suffix(n)`` reads the last ``n`` bytes. A range running
    past the end is clipped; one starting at or past the end reads ``b""``.
    """

    start: int = 0
    end: int | None = None
    last: int | None = None

    def __post_init__(self) -> None:
        if self.last is not None:
            if self.last < 0:
                raise ValueError(f"suffix length must be >= 0, got {self.last}")
            return
        if self.start < 0:
            raise ValueError(f"range start must be >= 0, got {self.start}")
        if self.end is not None and self.end < self.start:
            raise ValueError(f"range end {self.end} is before its start {self.start}")

    @classmethod
    def suffix(cls, length: int) -> ByteRange:
        """The last ``length`` bytes of the object."""
        return cls(last=length)

    def http_header(self) -> str | None:
        """The HTTP ``Range`` header value, or None for an empty request."""
        if self.last is not None:
            return f"bytes=-{self.last}" if self.last > 0 else None
        if self.end is None:
            return f"bytes={self.start}-"
        if self.end == self.start:
            return None
        return f"bytes={self.start}-{self.end - 1}"


def clip_range(byte_range: ByteRange | None, size: int) -> tuple[int, int]:
    """The concrete ``[start, stop)`` slice a range selects from an object of ``size`` bytes."""
    if byte_range is None:
        return 0, size
    if byte_range.last is not None:
        return max(0, size - byte_range.last), size
    start = min(byte_range.start, size)
    stop = size if byte_range.end is None else min(byte_range.end, size)
    return start, max(start, stop)


class Capabilities(msgspec.Struct, frozen=True, kw_only=True):
    """What a backend supports. The engine adapts (ref fallbacks) to what is missing."""

    conditional_create: bool = True
    conditional_update: bool = True
    byte_ranges: bool = True
    delimiter_listing: bool = True
    presigned_urls: bool = False
    max_delete_batch: int = 1000


@runtime_checkable
class Storage(Protocol):
    """The async storage contract every backend implements.

    Implementations raise :class:`~sapwood.errors.NotFoundError`,
    :class:`~sapwood.errors.AlreadyExistsError`, :class:`~sapwood.errors.PreconditionFailedError`,
    :class:`~sapwood.errors.PermissionDeniedError`, or :class:`~sapwood.errors.StorageError`
    with ``retryable`` set, never an SDK's own exception.
    """

    @property
    def capabilities(self) -> Capabilities:
        """What this backend supports."""
        ...

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        """The object's bytes, or the part ``byte_range`` selects."""
        ...

    async def head(self, key: str) -> ObjectMeta:
        """The object's metadata without its bytes."""
        ...

    async def get_with_meta(
        self, key: str, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        """The bytes and the metadata (etag above all) of one and the same version."""
        ...

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        """Store ``data`` under ``key`` as ``mode`` allows; returns the new object's meta."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; removing a missing key is not an error."""
        ...

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Remove many objects, in batches where the service allows."""
        ...

    def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        """Objects (and, with a delimiter, common prefixes) under ``prefix``, in key order."""
        ...

    async def presign_get(self, key: str, expires_in_seconds: int = 3600) -> str:
        """A URL that reads the object without credentials, if ``capabilities.presigned_urls``."""
        ...

    async def close(self) -> None:
        """Release connections and threads."""
        ...


class BaseStorage(abc.ABC):
    """A convenient base for backends: defaults for the optional parts of :class:`Storage`."""

    capabilities: Capabilities = Capabilities()

    @abc.abstractmethod
    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        """The object's bytes, or the part ``byte_range`` selects."""

    @abc.abstractmethod
    async def head(self, key: str) -> ObjectMeta:
        """The object's metadata without its bytes."""

    async def get_with_meta(
        self, key: str, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        """Bytes and metadata of one version. The default reads the metadata on both sides
        of the get and retries if the etag moved; backends that get both in one request
        should override it."""
        for _ in range(10):
            before = await self.head(key)
            data = await self.get(key, byte_range)
            after = await self.head(key)
            if before.etag == after.etag:
                return data, after
        from sapwood.errors import StorageError

        raise StorageError(f"{key!r} kept changing while being read", retryable=True, key=key)

    @abc.abstractmethod
    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        """Store ``data`` under ``key`` as ``mode`` allows; returns the new object's meta."""

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Remove the object; removing a missing key is not an error."""

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Remove many objects; the default deletes one at a time."""
        for key in keys:
            await self.delete(key)

    @abc.abstractmethod
    def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        """Objects (and, with a delimiter, common prefixes) under ``prefix``, in key order."""

    async def presign_get(self, key: str, expires_in_seconds: int = 3600) -> str:
        """Backends without presigned URLs refuse, saying so."""
        from sapwood.errors import StorageError

        raise StorageError(f"{type(self).__name__} does not support presigned URLs", key=key)

    async def close(self) -> None:  # noqa: B027 - optional hook, deliberately empty
        """Nothing to release by default."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class ForwardingStorage(BaseStorage):
    """A base for wrappers (instrumentation, fault injection, capability masking): forwards
    every call to ``inner`` and exposes its capabilities. Subclasses override only what
    they change and call ``super()`` to pass the call on; assigning ``capabilities`` claims
    other capabilities than the wrapped store's.

    A subclass that reads bytes and metadata in more than one request (for instance by
    falling back to :meth:`BaseStorage.get_with_meta`) should also override
    ``get_with_meta_is_native``.
    """

    def __init__(self, inner: Storage) -> None:
        self.inner = inner

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.inner!r})"

    _claimed_capabilities: Capabilities | None = None

    @property
    def capabilities(self) -> Capabilities:
        """The capabilities assigned to this wrapper, or else the wrapped store's."""
        if self._claimed_capabilities is not None:
            return self._claimed_capabilities
        return self.inner.capabilities

    @capabilities.setter
    def capabilities(self, claimed: Capabilities) -> None:
        self._claimed_capabilities = claimed

    @property
    def get_with_meta_is_native(self) -> bool:
        """Whether the wrapped store reads bytes and metadata in one request."""
        return reads_meta_in_one_request(self.inner)

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        """The wrapped store's get."""
        return await self.inner.get(key, byte_range)

    async def head(self, key: str) -> ObjectMeta:
        """The wrapped store's head."""
        return await self.inner.head(key)

    async def get_with_meta(
        self, key: str, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        """The wrapped store's get_with_meta."""
        return await self.inner.get_with_meta(key, byte_range)

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        """The wrapped store's put."""
        return await self.inner.put(
            key, data, mode=mode, content_type=content_type, metadata=metadata
        )

    async def delete(self, key: str) -> None:
        """The wrapped store's delete."""
        await self.inner.delete(key)

    async def delete_many(self, keys: Iterable[str]) -> None:
        """The wrapped store's delete_many."""
        await self.inner.delete_many(keys)

    def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        """The wrapped store's listing."""
        return self.inner.list(prefix, delimiter, start_after)

    async def presign_get(self, key: str, expires_in_seconds: int = 3600) -> str:
        """The wrapped store's presigned URL."""
        return await self.inner.presign_get(key, expires_in_seconds)

    async def close(self) -> None:
        """Close the wrapped store."""
        await self.inner.close()


def reads_meta_in_one_request(storage: Storage) -> bool:
    """Whether ``storage.get_with_meta`` is its own request rather than BaseStorage's
    head/get/head default. A wrapper may say so with a ``get_with_meta_is_native`` flag."""
    declared = getattr(storage, "get_with_meta_is_native", None)
    if isinstance(declared, bool):
        return declared
    method = getattr(type(storage), "get_with_meta", None)
    return method is not None and method is not BaseStorage.get_with_meta


def group_by_delimiter(
    keys_in_order: Iterable[ObjectMeta], prefix: str, delimiter: str | None
) -> list[ListEntry]:
    """Fold sorted object metas into objects and common prefixes, as S3 listing does.

    Backends that list a flat, sorted key space (memory, local) share this.
    """
    out: list[ListEntry] = []
    last_prefix: str | None = None
    for meta in keys_in_order:
        if delimiter:
            rest = meta.key[len(prefix) :]
            cut = rest.find(delimiter)
            if cut >= 0:
                common = prefix + rest[: cut + len(delimiter)]
                if common != last_prefix:
                    out.append(CommonPrefix(common))
                    last_prefix = common
                continue
        out.append(meta)
    return out
