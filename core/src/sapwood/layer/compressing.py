"""The compression wrapper: zstd on write when asked, transparent decoding on every read.

Stored formats are those of :mod:`sapwood.layer.compression`: for keys the shared
:class:`~sapwood.layer.framing.SelfDescribingKeys` covers, the stored bytes say whether
they are a zstd frame and no metadata is read or written for it; for every other key,
``sapwood-encoding`` and ``sapwood-decoded-size`` in the object's metadata do. Callers
never see those keys, and ``head`` reports the original size (of a self-describing
object, from its frame header). ``compress`` decides whether writes are compressed;
``immutable`` says the keys' contents never change, which lets a ranged read learn the
encoding once (from ``head``, remembered in ``encodings``) instead of fetching metadata
with every range. A range of a compressed object needs the whole object decoded; given a
``keep_whole`` cache, the wrapper keeps that whole object there, so later ranges of it
cost no request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping

import msgspec

from sapwood.extensions import Cache
from sapwood.layer.compression import (
    DECODED_SIZE_KEY,
    FRAME_HEADER_MAX,
    RESERVED_METADATA_KEYS,
    ZSTD_MAGIC,
    ZstdCodec,
    caller_metadata,
    check_caller_metadata,
    encoding_of,
    frame_size,
)
from sapwood.layer.framing import SelfDescribingKeys
from sapwood.layer.recording import current_call
from sapwood.storage import (
    ByteRange,
    ForwardingStorage,
    ObjectMeta,
    PutMode,
    Storage,
    clip_range,
    reads_meta_in_one_request,
)

__all__ = ["CompressingStorage", "caller_meta"]

_NO_METADATA: Mapping[str, str] = {}


class CompressingStorage(ForwardingStorage):
    """Compresses writes (when ``compress``) and decodes reads of ``inner``."""

    def __init__(
        self,
        inner: Storage,
        codec: ZstdCodec,
        *,
        compress: bool = True,
        immutable: bool = False,
        encodings: MutableMapping[str, str] | None = None,
        keep_whole: Cache | None = None,
        self_describing: SelfDescribingKeys | None = None,
    ) -> None:
        super().__init__(inner)
        self.codec = codec
        self.compress = compress
        self.immutable = immutable
        self.keep_whole = keep_whole
        self.encodings: MutableMapping[str, str] = encodings if encodings is not None else {}
        self.self_describing = (
            self_describing if self_describing is not None else SelfDescribingKeys()
        )
        self._native_meta = reads_meta_in_one_request(inner)

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        """The original bytes (or a range of them)."""
        if self.self_describing.covers(key):
            return await self._get_self_describing(key, byte_range)
        immutable = self.immutable
        known = self.encodings.get(key) if immutable else None
        if byte_range is not None and known == "zstd":
            whole, stored = await self._read_whole_decoded(key)
            _stored(stored)
            return _slice(whole, byte_range)
        payload, metadata = await self._read(key, byte_range, known)
        stored = len(payload)
        encoding = encoding_of(metadata)
        if encoding is None:
            data = payload
        elif byte_range is None:
            data = await self.codec.decode(payload, metadata, key)
        else:
            whole, more = await self._read_whole_decoded(key)
            stored += more
            data = _slice(whole, byte_range)
        if immutable:
            self.encodings[key] = encoding or ""
        _stored(stored)
        return data

    async def _read(
        self, key: str, byte_range: ByteRange | None, known_encoding: str | None
    ) -> tuple[bytes, Mapping[str, str]]:
        """Stored bytes and the metadata that says how to decode them, in as few requests
        as the backend allows."""
        inner = self.inner
        if self._native_meta or (byte_range is not None and not self.immutable):
            payload, meta = await inner.get_with_meta(key, byte_range)
            return payload, meta.metadata
        if byte_range is not None and known_encoding is None:
            # Immutable: its metadata cannot change between this head and the get.
            meta = await inner.head(key)
            known_encoding = encoding_of(meta.metadata) or ""
            self.encodings[key] = known_encoding
            if known_encoding:
                return b"", meta.metadata
        payload = await inner.get(key, byte_range)
        if byte_range is None and payload[:4] == ZSTD_MAGIC:
            # Only now is the metadata needed: read bytes and metadata of one version.
            payload, meta = await inner.get_with_meta(key)
            return payload, meta.metadata
        return payload, _NO_METADATA

    async def _read_whole_decoded(self, key: str) -> tuple[bytes, int]:
        payload, meta = await self.inner.get_with_meta(key)
        whole = await self.codec.decode(payload, meta.metadata, key)
        if self.keep_whole is not None:
            await self.keep_whole.set(key, whole)
        return whole, len(payload)

    async def get_with_meta(
        self, key: str, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        """Original bytes and the caller's view of the metadata, of one version."""
        if self.self_describing.covers(key):
            return await self._get_with_meta_self_describing(key, byte_range)
        payload, meta = await self.inner.get_with_meta(key, byte_range)
        stored = len(payload)
        if encoding_of(meta.metadata) is None:
            _stored(stored)
            return payload, caller_meta(meta)
        if byte_range is not None:
            payload, meta = await self.inner.get_with_meta(key)
            stored += len(payload)
        data = await self.codec.decode(payload, meta.metadata, key)
        _stored(stored)
        return _slice(data, byte_range), caller_meta(meta)

    async def head(self, key: str) -> ObjectMeta:
        """The metadata with the original size and the caller's own keys only."""
        if self.self_describing.covers(key):
            return await self._head_self_describing(key)
        return caller_meta(await self.inner.head(key))

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        """Store ``data``, compressed when this wrapper compresses and it is worth it."""
        check_caller_metadata(metadata)
        if self.self_describing.covers(key):
            return await self._put_self_describing(key, data, mode, content_type, metadata)
        stored_metadata = metadata
        payload = data
        encoding = ""
        if self.compress:
            encoded = await self.codec.encode(data)
            if encoded.tried and data:
                record = current_call()
                if record is not None:
                    record.compression_ratio(len(encoded.payload) / len(data))
            if encoded.metadata:
                payload = encoded.payload
                stored_metadata = {**(metadata or {}), **encoded.metadata}
                encoding = encoding_of(encoded.metadata) or ""
        if not self.immutable:
            self.encodings.pop(key, None)
        meta = await self.inner.put(
            key, payload, mode=mode, content_type=content_type, metadata=stored_metadata
        )
        if self.immutable:
            self.encodings[key] = encoding
        _stored(len(payload))
        return caller_meta(meta)

    # self-describing keys: the stored bytes say whether they are a zstd frame -----------

    async def _get_self_describing(self, key: str, byte_range: ByteRange | None) -> bytes:
        inner = self.inner
        if byte_range is None:
            payload = await inner.get(key)
            self._remember(key, payload[:4] == ZSTD_MAGIC)
            _stored(len(payload))
            return await self.codec.unframe(payload, key)
        known = self.encodings.get(key) if self.immutable else None
        read_first = 0
        if known != "zstd" and inner.capabilities.byte_ranges:
            payload = await inner.get(key, byte_range)
            if known == "" or not await self._range_is_of_a_frame(key, byte_range, payload):
                self._remember(key, False)
                _stored(len(payload))
                return payload
            read_first = len(payload)
        # A range of a frame needs the whole frame decoded (so does a store without ranges).
        whole, stored = await self._read_whole_unframed(key)
        _stored(read_first + stored)
        return _slice(whole, byte_range)

    async def _range_is_of_a_frame(self, key: str, byte_range: ByteRange, payload: bytes) -> bool:
        """Whether ``key`` is stored as a zstd frame: told by ``payload`` (the stored bytes
        of ``byte_range``) when the range starts at the object's start, else by the
        object's first four bytes."""
        if byte_range.last is None and byte_range.start == 0:
            if len(payload) >= 4:
                return payload[:4] == ZSTD_MAGIC
            if byte_range.end is None or byte_range.end >= 4:
                return False  # the whole object is shorter than a frame's magic
        return await self.inner.get(key, ByteRange(0, 4)) == ZSTD_MAGIC

    def _remember(self, key: str, framed: bool) -> None:
        if self.immutable:
            self.encodings[key] = "zstd" if framed else ""

    async def _read_whole_unframed(self, key: str) -> tuple[bytes, int]:
        payload = await self.inner.get(key)
        self._remember(key, payload[:4] == ZSTD_MAGIC)
        whole = await self.codec.unframe(payload, key)
        if self.keep_whole is not None:
            await self.keep_whole.set(key, whole)
        return whole, len(payload)

    async def _get_with_meta_self_describing(
        self, key: str, byte_range: ByteRange | None
    ) -> tuple[bytes, ObjectMeta]:
        inner = self.inner
        known = self.encodings.get(key) if self.immutable else None
        if byte_range is not None and known != "zstd" and inner.capabilities.byte_ranges:
            payload, meta = await inner.get_with_meta(key, byte_range)
            if known == "" or not await self._range_is_of_a_frame(key, byte_range, payload):
                self._remember(key, False)
                _stored(len(payload))
                return payload, caller_meta(meta)
        payload, meta = await inner.get_with_meta(key)
        self._remember(key, payload[:4] == ZSTD_MAGIC)
        data = await self.codec.unframe(payload, key)
        _stored(len(payload))
        return _slice(data, byte_range), _with_size(caller_meta(meta), len(data))

    async def _head_self_describing(self, key: str) -> ObjectMeta:
        inner = self.inner
        if self.immutable and self.encodings.get(key) == "":
            return caller_meta(await inner.head(key))
        if not inner.capabilities.byte_ranges:
            header, meta = await inner.get_with_meta(key)
        elif self._native_meta:
            header, meta = await inner.get_with_meta(key, ByteRange(0, FRAME_HEADER_MAX))
        else:  # immutable: no other version can come between these two requests
            meta = await inner.head(key)
            header = await inner.get(key, ByteRange(0, FRAME_HEADER_MAX))
        framed = header[:4] == ZSTD_MAGIC
        self._remember(key, framed)
        seen = caller_meta(meta)
        return _with_size(seen, frame_size(header, meta.size, key)) if framed else seen

    async def _put_self_describing(
        self,
        key: str,
        data: bytes,
        mode: PutMode,
        content_type: str | None,
        metadata: Mapping[str, str] | None,
    ) -> ObjectMeta:
        encoded = await self.codec.frame(data, compress=self.compress)
        if encoded.tried and data:
            record = current_call()
            if record is not None:
                record.compression_ratio(len(encoded.payload) / len(data))
        if not self.immutable:
            self.encodings.pop(key, None)
        meta = await self.inner.put(
            key, encoded.payload, mode=mode, content_type=content_type, metadata=metadata
        )
        self._remember(key, encoded.framed)
        _stored(len(encoded.payload))
        seen = caller_meta(meta)
        return _with_size(seen, len(data)) if encoded.framed else seen

    # deleting -------------------------------------------------------------------------

    async def delete(self, key: str) -> None:
        """Delete, forgetting the remembered encoding."""
        self.encodings.pop(key, None)
        await self.inner.delete(key)

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Delete a batch, forgetting the remembered encodings."""
        batch = list(keys)
        for key in batch:
            self.encodings.pop(key, None)
        await self.inner.delete_many(batch)


def _stored(size: int) -> None:
    record = current_call()
    if record is not None:
        record.add_stored(size)


def _slice(data: bytes, byte_range: ByteRange | None) -> bytes:
    start, stop = clip_range(byte_range, len(data))
    return data if (start, stop) == (0, len(data)) else data[start:stop]


def _with_size(meta: ObjectMeta, size: int) -> ObjectMeta:
    return meta if meta.size == size else msgspec.structs.replace(meta, size=size)


def caller_meta(meta: ObjectMeta) -> ObjectMeta:
    """The stored meta as the caller sees it: original size, the caller's own metadata."""
    if RESERVED_METADATA_KEYS.isdisjoint(meta.metadata):
        return meta
    raw_size = meta.metadata.get(DECODED_SIZE_KEY)
    size = int(raw_size) if raw_size is not None and raw_size.isdigit() else meta.size
    return msgspec.structs.replace(meta, size=size, metadata=caller_metadata(meta.metadata))
