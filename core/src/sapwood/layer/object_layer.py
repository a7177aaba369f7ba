"""The :class:`ObjectLayer` facade the engine talks to.

Each call runs down the same stack (see docs/object-layer.md)::

    metrics -> cache -> single-flight -> compression -> retries
            -> [per attempt: limiter slot -> attempt timeout -> storage]
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import TypeVar

import cachetools
import msgspec

from sapwood.config import RepositoryConfig
from sapwood.errors import NotFoundError, PreconditionFailedError, StorageError
from sapwood.extensions import Cache, Clock, Limiter, MetricsBackend, TransferKind
from sapwood.layer.cache import RefCache
from sapwood.layer.clock import SYSTEM_CLOCK
from sapwood.layer.compression import (
    DECODED_SIZE_KEY,
    RESERVED_METADATA_KEYS,
    WRITE_ID_KEY,
    ZSTD_MAGIC,
    Encoded,
    ZstdCodec,
    caller_metadata,
    check_caller_metadata,
    encoding_of,
)
from sapwood.layer.metrics import (
    NoopMetrics,
    OperationMetrics,
    SilentOperation,
    resolve_metrics_backend,
)
from sapwood.layer.retries import AttemptCounter, Retrier, RetryPolicy, attempt_with_timeout
from sapwood.layer.single_flight import SingleFlight
from sapwood.storage import (
    BaseStorage,
    ByteRange,
    Capabilities,
    CommonPrefix,
    ListEntry,
    ObjectMeta,
    PutMode,
    Storage,
    clip_range,
)

__all__ = ["ObjectLayer"]

T = TypeVar("T")
_GetKey = tuple[str, ByteRange | None, bool]
_MetaKey = tuple[str, ByteRange | None]
_NO_METADATA: Mapping[str, str] = {}


class ObjectLayer:
    """One storage, wrapped with the object layer's services.

    ``immutable=True`` on a read or write says the key's content never changes once written
    (blobs, manifests, snapshots), which makes it safe to cache; refs are read without it.
    Writes marked immutable are compressed (``compress=`` overrides that either way).

    Keyword-only extras: ``metrics`` (a MetricsBackend or a registered name such as
    ``"memory"``; default ``noop``), ``clock`` (for limiters, backoff and the ref TTL),
    ``cache`` and ``limiter`` (instances that replace the configured plugins), ``rng`` (the
    jitter source) and ``metrics_tags`` (added to every measurement).
    """

    def __init__(
        self,
        storage: Storage,
        config: RepositoryConfig | None = None,
        *,
        metrics: MetricsBackend | str | None = None,
        clock: Clock | None = None,
        cache: Cache | None = None,
        limiter: Limiter | None = None,
        rng: random.Random | None = None,
        metrics_tags: Mapping[str, str] | None = None,
    ) -> None:
        self.storage = storage
        self.config = (config or RepositoryConfig()).resolved()
        self.clock: Clock = clock or SYSTEM_CLOCK
        self.metrics = resolve_metrics_backend(metrics)
        self.metrics_tags = dict(metrics_tags or {})
        self._silent = SilentOperation() if isinstance(self.metrics, NoopMetrics) else None
        caching = self.config.caching
        limits = self.config.limits
        assert caching is not None
        assert limits is not None
        from sapwood.registry import registry

        self.cache: Cache = cache if cache is not None else self._configured_cache()
        self.ref_cache = RefCache(caching.ref_ttl_seconds or 0.0, self.clock)
        self.limiter: Limiter = (
            limiter
            if limiter is not None
            else registry().limiter(limits.limiter or "token-bucket").factory(limits, self.clock)
        )
        self.codec = ZstdCodec(self.config.compression)
        self.policy = RetryPolicy.from_config(self.config.retries, self.config.timeouts)
        self.retrier = Retrier(self.policy, self.clock, rng)
        self._gets: SingleFlight[_GetKey, tuple[bytes, int]] = SingleFlight()
        self._metas: SingleFlight[_MetaKey, tuple[bytes, ObjectMeta, int]] = SingleFlight()
        self._heads: SingleFlight[str, ObjectMeta] = SingleFlight()
        self._encodings: cachetools.LRUCache[str, str] = cachetools.LRUCache(maxsize=65536)
        self._native_meta = reads_meta_in_one_request(storage)

    def _configured_cache(self) -> Cache:
        from sapwood.registry import registry

        caching = self.config.caching
        assert caching is not None
        return registry().cache(caching.cache or "lru").factory(caching)

    def __repr__(self) -> str:
        return f"ObjectLayer({self.storage!r})"

    @property
    def capabilities(self) -> Capabilities:
        """What the wrapped storage supports."""
        return self.storage.capabilities

    # plumbing ------------------------------------------------------------------------

    async def _request(
        self,
        kind: TransferKind,
        call: Callable[[], Awaitable[T]],
        counter: AttemptCounter,
        *,
        size: int | None = None,
        charge: Callable[[T], int] | None = None,
    ) -> T:
        """One storage request with retries; each attempt takes a limiter slot and runs
        under the attempt timeout (waiting for the limiter is not timed)."""
        timeout = self.policy.attempt_timeout_seconds

        async def attempt() -> T:
            async with self.limiter.slot(kind, size) as slot:
                result = await attempt_with_timeout(call, timeout)
                if charge is not None:
                    await slot.charge(charge(result))
                return result

        return await self.retrier.call(attempt, counter=counter)

    def _forget(self, key: str) -> None:
        """Make later reads of ``key`` start fresh: after a write through this layer, no
        reader may join a read that began before it or see a TTL-cached ref."""
        self._gets.forget_matching(lambda k: k[0] == key)
        self._metas.forget_matching(lambda k: k[0] == key)
        self._heads.forget(key)
        self.ref_cache.forget(key)

    def _op(self, operation: str) -> OperationMetrics:
        if self._silent is not None:
            return self._silent
        return OperationMetrics(self.metrics, operation, self.metrics_tags)

    # reads ---------------------------------------------------------------------------

    async def get(
        self,
        key: str,
        byte_range: ByteRange | None = None,
        *,
        immutable: bool = False,
        cache: bool | None = None,
    ) -> bytes:
        """The object's bytes (or a range of them), decompressed if the layer compressed it.

        Immutable keys are served from and kept in the cache unless ``cache`` is False
        (file data read once, which would only push out manifests and snapshots);
        concurrent identical reads share one request.
        """
        with self._op("get") as op:
            use_cache = cache is not False
            cached = await self._cached(key, immutable, op) if use_cache else None
            if cached is not None:
                start, stop = clip_range(byte_range, len(cached))
                data = cached[start:stop] if (start, stop) != (0, len(cached)) else cached
                op.bytes(len(data), 0)
                return data
            (data, stored), shared = await self._gets.run(
                (key, byte_range, immutable),
                lambda: self._fetch(key, byte_range, immutable, op, use_cache),
            )
            if shared:
                op.event("singleflight.shared")
            op.bytes(len(data), stored)
            return data

    async def _cached(self, key: str, immutable: bool, op: OperationMetrics) -> bytes | None:
        if immutable:
            found = await self.cache.get(key)
        elif self.ref_cache.ttl_seconds > 0:
            found = self.ref_cache.get(key)
        else:
            return None
        op.event("cache.hits" if found is not None else "cache.misses")
        return found

    async def _fetch(
        self,
        key: str,
        byte_range: ByteRange | None,
        immutable: bool,
        op: OperationMetrics,
        use_cache: bool = True,
    ) -> tuple[bytes, int]:
        counter = AttemptCounter()
        try:
            known = self._encodings.get(key) if immutable else None
            if byte_range is not None and known == "zstd":
                everything, stored = await self._read_whole_decoded(key, counter)
                if use_cache:
                    await self.cache.set(key, everything)
                return _slice(everything, byte_range), stored
            payload, metadata = await self._read(key, byte_range, immutable, known, counter)
            stored = len(payload)
            encoding = encoding_of(metadata)
            whole: bytes | None
            if encoding is None:
                data = payload
                whole = payload if byte_range is None else None
            elif byte_range is None:
                data = whole = await self.codec.decode(payload, metadata, key)
            else:
                whole, more = await self._read_whole_decoded(key, counter)
                stored += more
                data = _slice(whole, byte_range)
            if immutable:
                self._encodings[key] = encoding or ""
                if whole is not None and use_cache:
                    await self.cache.set(key, whole)
            elif whole is not None:
                self.ref_cache.set(key, whole)
            return data, stored
        finally:
            op.retries(counter.retries)

    async def _read(
        self,
        key: str,
        byte_range: ByteRange | None,
        immutable: bool,
        known_encoding: str | None,
        counter: AttemptCounter,
    ) -> tuple[bytes, Mapping[str, str]]:
        """Stored bytes and the metadata that says how to decode them, in as few requests
        as the backend allows."""
        storage = self.storage
        if self._native_meta or (byte_range is not None and not immutable):
            payload, meta = await self._request(
                "read",
                lambda: storage.get_with_meta(key, byte_range),
                counter,
                charge=lambda r: len(r[0]),
            )
            return payload, meta.metadata
        if byte_range is not None and known_encoding is None:
            # Immutable: its metadata cannot change between this head and the get.
            meta = await self._request("other", lambda: storage.head(key), counter)
            known_encoding = encoding_of(meta.metadata) or ""
            self._encodings[key] = known_encoding
            if known_encoding:
                return b"", meta.metadata
        payload = await self._request(
            "read", lambda: storage.get(key, byte_range), counter, charge=len
        )
        if byte_range is None and payload[:4] == ZSTD_MAGIC:
            # Only now is the metadata needed: read bytes and metadata of one version.
            payload, meta = await self._request(
                "read", lambda: storage.get_with_meta(key), counter, charge=lambda r: len(r[0])
            )
            return payload, meta.metadata
        return payload, _NO_METADATA

    async def _read_whole_decoded(self, key: str, counter: AttemptCounter) -> tuple[bytes, int]:
        payload, meta = await self._request(
            "read", lambda: self.storage.get_with_meta(key), counter, charge=lambda r: len(r[0])
        )
        return await self.codec.decode(payload, meta.metadata, key), len(payload)

    async def get_with_meta(
        self, key: str, *, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        """Bytes and metadata of one version; never cached (used for mutable refs)."""
        with self._op("get_with_meta") as op:
            (data, meta, stored), shared = await self._metas.run(
                (key, byte_range), lambda: self._fetch_with_meta(key, byte_range, op)
            )
            if shared:
                op.event("singleflight.shared")
            op.bytes(len(data), stored)
            return data, meta

    async def _fetch_with_meta(
        self, key: str, byte_range: ByteRange | None, op: OperationMetrics
    ) -> tuple[bytes, ObjectMeta, int]:
        counter = AttemptCounter()
        storage = self.storage
        try:
            payload, meta = await self._request(
                "read",
                lambda: storage.get_with_meta(key, byte_range),
                counter,
                charge=lambda r: len(r[0]),
            )
            stored = len(payload)
            if encoding_of(meta.metadata) is None:
                return payload, _caller_meta(meta), stored
            if byte_range is not None:
                payload, meta = await self._request(
                    "read", lambda: storage.get_with_meta(key), counter, charge=lambda r: len(r[0])
                )
                stored += len(payload)
            data = await self.codec.decode(payload, meta.metadata, key)
            return _slice(data, byte_range), _caller_meta(meta), stored
        finally:
            op.retries(counter.retries)

    async def head(self, key: str) -> ObjectMeta:
        """The object's metadata, with its uncompressed size and the caller's own metadata."""
        with self._op("head") as op:
            meta, shared = await self._heads.run(key, lambda: self._fetch_head(key, op))
            if shared:
                op.event("singleflight.shared")
            return meta

    async def _fetch_head(self, key: str, op: OperationMetrics) -> ObjectMeta:
        counter = AttemptCounter()
        try:
            meta = await self._request("other", lambda: self.storage.head(key), counter)
            return _caller_meta(meta)
        finally:
            op.retries(counter.retries)

    # writes --------------------------------------------------------------------------

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        immutable: bool = False,
        compress: bool | None = None,
        cache: bool | None = None,
    ) -> ObjectMeta:
        """Store ``data``, compressed when ``compress`` (default: ``immutable``) and worth it.
        An immutable object is kept in the cache unless ``cache`` is False (file data being
        streamed in, which would only push out what is read back soon).

        A conditional write (``create`` or ``Update``) whose earlier attempt failed
        ambiguously and whose retry then loses its condition is checked: if the stored
        object is exactly what this call wrote, the earlier attempt landed and the call
        succeeds.
        """
        check_caller_metadata(metadata)
        with self._op("put") as op:
            want = immutable if compress is None else compress
            encoded = await self.codec.encode(data) if want else Encoded(data, {}, tried=False)
            if encoded.tried and data:
                op.compression_ratio(len(encoded.payload) / len(data))
            payload = encoded.payload
            stored_metadata = {**(metadata or {}), **encoded.metadata}
            if mode != "overwrite":
                stored_metadata[WRITE_ID_KEY] = uuid.uuid4().hex
            self._forget(key)
            counter = AttemptCounter()
            try:
                meta = await self._request(
                    "write",
                    lambda: self.storage.put(
                        key,
                        payload,
                        mode=mode,
                        content_type=content_type,
                        metadata=stored_metadata,
                    ),
                    counter,
                    size=len(payload),
                )
            except PreconditionFailedError as lost:
                if counter.retries == 0 or mode == "overwrite":
                    raise
                meta = await self._landed_earlier(key, payload, stored_metadata, lost, counter)
            finally:
                op.retries(counter.retries)
                self._forget(key)
            if immutable:
                self._encodings[key] = encoding_of(encoded.metadata) or ""
                if cache is not False:
                    await self.cache.set(key, data)
            else:
                self._encodings.pop(key, None)
                await self.cache.delete(key)
            op.bytes(len(data), len(payload))
            return _caller_meta(meta)

    async def _landed_earlier(
        self,
        key: str,
        payload: bytes,
        metadata: Mapping[str, str],
        lost: PreconditionFailedError,
        counter: AttemptCounter,
    ) -> ObjectMeta:
        """The stored meta if the object now holds this very write (its write id, bytes and
        metadata): an earlier, failed-looking attempt took effect. Otherwise re-raise."""
        try:
            current, meta = await self._request(
                "read", lambda: self.storage.get_with_meta(key), counter
            )
        except NotFoundError:
            raise lost from None
        same_metadata = all(meta.metadata.get(k) == v for k, v in metadata.items())
        if current == payload and same_metadata:
            return meta
        lost.add_note(
            "an earlier attempt of this write failed in a way that may have hidden its "
            "success, and the object has changed since; re-read it to see whether this "
            "write took effect"
        )
        raise lost

    async def delete(self, key: str) -> None:
        """Remove one object (a missing key is not an error)."""
        with self._op("delete") as op:
            self._forget(key)
            self._encodings.pop(key, None)
            await self.cache.delete(key)
            counter = AttemptCounter()
            try:
                await self._request("other", lambda: self.storage.delete(key), counter)
            finally:
                op.retries(counter.retries)
                self._forget(key)

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Remove many objects; a retry re-sends the whole batch (deleting is idempotent)."""
        batch = list(keys)
        with self._op("delete_many") as op:
            for key in batch:
                self._forget(key)
                self._encodings.pop(key, None)
                await self.cache.delete(key)
            counter = AttemptCounter()
            try:
                await self._request("other", lambda: self.storage.delete_many(batch), counter)
            finally:
                op.retries(counter.retries)
                for key in batch:
                    self._forget(key)

    # listing -------------------------------------------------------------------------

    async def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        """List keys under ``prefix`` in key order (sizes are as stored).

        A listing that fails part way is resumed after the last entry it yielded, so no
        entry is lost or repeated.
        """
        last_key = start_after
        last_prefix: str | None = None
        failures = 0
        with self._op("list") as op:
            while True:
                resume = max(filter(None, (last_key, last_prefix)), default=None)
                source = self.storage.list(prefix, delimiter, resume)
                first = True
                try:
                    while True:
                        try:
                            entry = await self._next_entry(source, first)
                        except StopAsyncIteration:
                            return
                        first = False
                        if isinstance(entry, CommonPrefix):
                            if entry.path == last_prefix:
                                continue
                            last_prefix = entry.path
                        else:
                            if last_key is not None and entry.key <= last_key:
                                continue
                            last_key = entry.key
                        failures = 0
                        yield entry
                except StorageError as exc:
                    if not exc.retryable:
                        raise
                    failures += 1
                    if failures >= self.policy.max_attempts:
                        exc.add_note(f"gave up after {failures} attempts")
                        raise
                    op.retries(1)
                    await self.clock.sleep(self.policy.backoff(failures, self.retrier.rng))
                finally:
                    closer = getattr(source, "aclose", None)
                    if closer is not None:
                        await closer()

    async def _next_entry(self, source: AsyncIterator[ListEntry], first: bool) -> ListEntry:
        timeout = self.policy.attempt_timeout_seconds
        if not first:
            return await attempt_with_timeout(source.__anext__, timeout)
        async with self.limiter.slot("other"):
            return await attempt_with_timeout(source.__anext__, timeout)

    # lifecycle -----------------------------------------------------------------------

    async def close(self) -> None:
        """Close the wrapped storage."""
        await self.storage.close()


def reads_meta_in_one_request(storage: Storage) -> bool:
    """Whether ``storage.get_with_meta`` is its own request rather than BaseStorage's
    head/get/head default. A wrapper may say so with a ``get_with_meta_is_native`` flag."""
    declared = getattr(storage, "get_with_meta_is_native", None)
    if isinstance(declared, bool):
        return declared
    method = getattr(type(storage), "get_with_meta", None)
    return method is not None and method is not BaseStorage.get_with_meta


def _slice(data: bytes, byte_range: ByteRange | None) -> bytes:
    start, stop = clip_range(byte_range, len(data))
    return data if (start, stop) == (0, len(data)) else data[start:stop]


def _caller_meta(meta: ObjectMeta) -> ObjectMeta:
    """The stored meta as the caller sees it: original size, the caller's own metadata."""
    if RESERVED_METADATA_KEYS.isdisjoint(meta.metadata):
        return meta
    raw_size = meta.metadata.get(DECODED_SIZE_KEY)
    size = int(raw_size) if raw_size is not None and raw_size.isdigit() else meta.size
    return msgspec.structs.replace(meta, size=size, metadata=caller_metadata(meta.metadata))
