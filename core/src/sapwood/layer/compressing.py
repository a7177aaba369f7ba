"""The compression wrapper: zstd on write when asked, transparent decoding on every read.

Stored formats are those of :mod:`sapwood.layer.compression` (``sapwood-encoding`` and
``sapwood-decoded-size`` in the object's metadata); callers never see those keys, and
``head`` reports the original size. ``compress`` decides whether writes are compressed;
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
    RESERVED_METADATA_KEYS,
    ZSTD_MAGIC,
    ZstdCodec,
    caller_metadata,
    check_caller_metadata,
    encoding_of,
)
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
    ) -> None:
        super().__init__(inner)
        self.codec = codec
        self.compress = compress
        self.immutable = immutable
        self.keep_whole = keep_whole
        self.encodings: MutableMapping[str, str] = encodings if encodings is not None else {}
        self._native_meta = reads_meta_in_one_request(inner)

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        """The original bytes (or a range of them)."""
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


def caller_meta(meta: ObjectMeta) -> ObjectMeta:
    """The stored meta as the caller sees it: original size, the caller's own metadata."""
    if RESERVED_METADATA_KEYS.isdisjoint(meta.metadata):
        return meta
    raw_size = meta.metadata.get(DECODED_SIZE_KEY)
    size = int(raw_size) if raw_size is not None and raw_size.isdigit() else meta.size
    return msgspec.structs.replace(meta, size=size, metadata=caller_metadata(meta.metadata))
