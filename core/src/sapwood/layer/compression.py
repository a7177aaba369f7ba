"""Transparent zstd compression, recorded in the object's metadata or in its own bytes.

Two stored forms (see :mod:`sapwood.layer.framing` for which keys use which):

- *recorded in metadata*: a compressed object carries ``sapwood-encoding: zstd`` and
  ``sapwood-decoded-size: N`` in its storage metadata; an object without them is raw. The
  layer strips both keys before handing metadata to its caller.
- *self-describing*: no metadata; a stored object that starts with the zstd frame magic is
  a zstd frame (recording its decoded size in the frame header), anything else is raw.
  Raw data that itself starts with the magic (a ``.zst`` file) is stored as a frame too,
  even when that does not shrink it, so the rule has no exception.

The layer reverses the compression on read. Compression is skipped when the object is below
``CompressionConfig.min_size_bytes``, when it starts the way a compressed format does
(zstd, gzip, bzip2, xz, lz4, zip, PNG, JPEG, a Blosc chunk: Zarr's compressed chunks, say),
when a quick trial on samples of a large object shows it will not shrink (already
compressed or random data costs a few dozen microseconds, not a full pass), and when the
full result is not smaller than the input. (A self-describing object starting with the
zstd magic is still wrapped in a frame, at zstd's fastest level, as the rule requires.)
Frames carry zstd's content checksum, so a damaged object raises IntegrityError.

Which objects are compressed is the caller's choice (``put(..., immutable=True)`` or
``compress=True``): ranged reads of a compressed object must fetch the whole object and
slice it, which is cheap for immutable objects (they are then cached) but would be
wasteful for large mutable ones.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping

import zstandard

from sapwood.config import CompressionConfig, RepositoryConfig
from sapwood.errors import IntegrityError, SapwoodError

__all__ = [
    "DECODED_SIZE_KEY",
    "ENCODING_KEY",
    "FRAME_HEADER_MAX",
    "RESERVED_METADATA_KEYS",
    "WRITE_ID_KEY",
    "ZSTD_MAGIC",
    "Encoded",
    "ReservedMetadataError",
    "ZstdCodec",
    "caller_metadata",
    "claimed_size",
    "encoding_of",
    "frame_size",
    "looks_compressed",
]

ENCODING_KEY = "sapwood-encoding"
DECODED_SIZE_KEY = "sapwood-decoded-size"
WRITE_ID_KEY = "sapwood-write-id"
"""A random id on each conditional write, so a retry can tell whether an earlier attempt
of the very same call took effect (identical content from another writer does not count)."""
RESERVED_METADATA_KEYS = frozenset({ENCODING_KEY, DECODED_SIZE_KEY, WRITE_ID_KEY})
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
FRAME_HEADER_MAX = 18
"""A zstd frame header is at most this long: reading that many bytes gives its size."""
_MAX_FRAME_RATIO = 32768
"""No zstd frame decodes to more than this many bytes per stored byte (a block of at most
128 KiB costs at least four bytes), so a larger claim is a damaged header."""
_NO_METADATA: Mapping[str, str] = {}
_WRAP_LEVEL = -7
"""The level of frames made only to wrap data that starts with the magic (a ``.zst`` file)
and is not worth compressing: zstd's fastest, several GB/s on data that does not shrink."""

_SAMPLE_FROM_BYTES = 256 * 1024
"""Objects at least this large are tried on samples before a full compression."""
_SAMPLE_BYTES = 8 * 1024
_SAMPLE_MAX_RATIO = 0.92
"""Samples that do not shrink below this ratio mean the object is not worth compressing."""
_THREAD_FROM_BYTES = 512 * 1024
"""Larger objects are (de)compressed in a worker thread, keeping the event loop free."""
_COMPRESSED_MAGIC = (
    ZSTD_MAGIC,
    b"\x1f\x8b",  # gzip
    b"BZh",  # bzip2
    b"\xfd7zXZ\x00",  # xz
    b"\x04\x22\x4d\x18",  # lz4 frame
    b"PK\x03\x04",  # zip
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
)
"""How compressed formats begin: a second compression of them would not shrink them."""
_BLOSC_HEADER_BYTES = 16


def looks_compressed(data: bytes) -> bool:
    """True if ``data`` starts the way a compressed format does: a compressed Zarr chunk
    (zstd, gzip, Blosc), an archive or an image, which zstd cannot shrink further."""
    if data.startswith(_COMPRESSED_MAGIC):
        return True
    # A Blosc chunk has no magic, but its 16-byte header records its own total length
    # (bytes 12 to 16) after a format version of 2 to 5 (byte 0).
    return (
        len(data) > _BLOSC_HEADER_BYTES
        and 2 <= data[0] <= 5
        and int.from_bytes(data[12:16], "little") == len(data)
    )


class ReservedMetadataError(SapwoodError, ValueError):
    """Caller metadata used a key the object layer keeps for itself."""


class Encoded:
    """What :meth:`ZstdCodec.encode` or :meth:`ZstdCodec.frame` produced: the bytes to
    store, the metadata to add (none for a frame), whether they are a zstd frame, and
    whether compression was tried (for the compression-ratio measurement)."""

    __slots__ = ("framed", "metadata", "payload", "tried")

    def __init__(
        self, payload: bytes, metadata: Mapping[str, str], tried: bool, framed: bool = False
    ) -> None:
        self.payload = payload
        self.metadata = metadata
        self.tried = tried
        self.framed = framed or bool(metadata)


def encoding_of(metadata: Mapping[str, str]) -> str | None:
    """The layer encoding a stored object's metadata records, if any."""
    return metadata.get(ENCODING_KEY)


def caller_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    """Stored metadata without the layer's own keys."""
    return {k: v for k, v in metadata.items() if k not in RESERVED_METADATA_KEYS}


def check_caller_metadata(metadata: Mapping[str, str] | None) -> None:
    """Refuse metadata that would collide with the layer's own keys."""
    if metadata and not RESERVED_METADATA_KEYS.isdisjoint(metadata):
        clash = sorted(RESERVED_METADATA_KEYS.intersection(metadata))
        raise ReservedMetadataError(
            f"metadata keys {clash} are reserved by sapwood's object layer; rename them"
        )


class ZstdCodec:
    """zstd at ``CompressionConfig.level``; ``algorithm="none"`` disables it."""

    def __init__(self, config: CompressionConfig | None = None) -> None:
        defaults = RepositoryConfig.default().compression
        assert defaults is not None
        resolved = defaults.merge(config)
        self.enabled = resolved.algorithm == "zstd"
        self.level = resolved.level if resolved.level is not None else 3
        self.min_size_bytes = resolved.min_size_bytes or 0
        self._local = threading.local()

    def _compressor(self) -> zstandard.ZstdCompressor:
        found: zstandard.ZstdCompressor | None = getattr(self._local, "compressor", None)
        if found is None:
            found = zstandard.ZstdCompressor(level=self.level, write_checksum=True)
            self._local.compressor = found
        return found

    def _sampler(self) -> zstandard.ZstdCompressor:
        found: zstandard.ZstdCompressor | None = getattr(self._local, "sampler", None)
        if found is None:
            found = zstandard.ZstdCompressor(level=1)
            self._local.sampler = found
        return found

    def _decompressor(self) -> zstandard.ZstdDecompressor:
        found: zstandard.ZstdDecompressor | None = getattr(self._local, "decompressor", None)
        if found is None:
            found = zstandard.ZstdDecompressor()
            self._local.decompressor = found
        return found

    def worth_trying(self, data: bytes) -> bool:
        """False for small objects, for compressed formats and for large objects whose
        samples do not shrink."""
        if not self.enabled or len(data) < max(1, self.min_size_bytes) or looks_compressed(data):
            return False
        if len(data) < _SAMPLE_FROM_BYTES:
            return True
        size = len(data)
        view = memoryview(data)
        starts = (0, size // 2 - _SAMPLE_BYTES // 2, size - _SAMPLE_BYTES)
        sample = b"".join(view[s : s + _SAMPLE_BYTES] for s in starts)
        return len(self._sampler().compress(sample)) <= len(sample) * _SAMPLE_MAX_RATIO

    def _compress_now(self, data: bytes) -> Encoded:
        packed = self._compressor().compress(data)
        if len(packed) >= len(data):
            return Encoded(data, {}, tried=True)
        meta = {ENCODING_KEY: "zstd", DECODED_SIZE_KEY: str(len(data))}
        return Encoded(packed, meta, tried=True)

    async def encode(self, data: bytes) -> Encoded:
        """The bytes to store for ``data`` and the metadata recording how they were made.

        The sample check runs inline (it is cheap); a full compression of a large object
        runs in a worker thread."""
        if not self.worth_trying(data):
            return Encoded(data, {}, tried=False)
        if len(data) >= _THREAD_FROM_BYTES:
            return await asyncio.to_thread(self._compress_now, data)
        return self._compress_now(data)

    def _wrapper(self) -> zstandard.ZstdCompressor:
        found: zstandard.ZstdCompressor | None = getattr(self._local, "wrapper", None)
        if found is None:
            found = zstandard.ZstdCompressor(level=_WRAP_LEVEL, write_checksum=True)
            self._local.wrapper = found
        return found

    def _frame_now(self, data: bytes, try_compress: bool) -> Encoded:
        if not try_compress:  # data starting with the magic, not worth compressing
            return Encoded(self._wrapper().compress(data), _NO_METADATA, False, framed=True)
        packed = self._compressor().compress(data)
        if len(packed) < len(data) or data[:4] == ZSTD_MAGIC:
            return Encoded(packed, _NO_METADATA, tried=True, framed=True)
        return Encoded(data, _NO_METADATA, tried=True)

    async def frame(self, data: bytes, *, compress: bool = True) -> Encoded:
        """The self-describing stored form of ``data``: a zstd frame (with its content size
        and checksum) when compressing is asked for, worth trying and shrinks it, or when
        ``data`` itself starts with the zstd magic (so that no raw object ever does);
        otherwise ``data`` unchanged. Compression runs inline for small objects (a thread
        hand-off costs more than compressing a few KiB) and in a worker thread for large
        ones."""
        try_compress = compress and self.worth_trying(data)
        if not try_compress and data[:4] != ZSTD_MAGIC:
            return Encoded(data, _NO_METADATA, tried=False)
        if len(data) >= _THREAD_FROM_BYTES:
            return await asyncio.to_thread(self._frame_now, data, try_compress)
        return self._frame_now(data, try_compress)

    def _unframe_now(self, payload: bytes, key: str) -> bytes:
        return self._decompress(payload, frame_size(payload, len(payload), key), key)

    async def unframe(self, payload: bytes, key: str) -> bytes:
        """The original bytes of a self-describing stored object: a zstd frame decoded
        (IntegrityError if it is damaged), anything else unchanged."""
        if payload[:4] != ZSTD_MAGIC:
            return payload
        if len(payload) >= _THREAD_FROM_BYTES // 4:
            return await asyncio.to_thread(self._unframe_now, payload, key)
        return self._unframe_now(payload, key)

    def _decompress(self, payload: bytes, expected: int | None, key: str) -> bytes:
        try:
            data = self._decompressor().decompress(payload, max_output_size=expected or 0)
        except zstandard.ZstdError as exc:
            raise IntegrityError(
                f"{key!r} is damaged: its zstd data does not decode ({exc})"
            ) from None
        if expected is not None and len(data) != expected:
            raise IntegrityError(
                f"{key!r} is damaged: it decodes to {len(data)} bytes, not the {expected} recorded"
            )
        return data

    def _decode_now(self, payload: bytes, metadata: Mapping[str, str], key: str) -> bytes:
        encoding = encoding_of(metadata)
        if encoding is None:
            return payload
        if encoding != "zstd":
            raise IntegrityError(
                f"{key!r} is stored with encoding {encoding!r}, which this version of sapwood "
                "cannot read; upgrade sapwood"
            )
        claimed_size(payload, len(payload), key)
        return self._decompress(payload, _decoded_size(metadata, len(payload), key), key)

    async def decode(self, payload: bytes, metadata: Mapping[str, str], key: str) -> bytes:
        """The original bytes of a stored object (unchanged if it was not compressed)."""
        if encoding_of(metadata) is None:
            return payload
        if len(payload) >= _THREAD_FROM_BYTES // 4:
            return await asyncio.to_thread(self._decode_now, payload, metadata, key)
        return self._decode_now(payload, metadata, key)


def frame_size(header: bytes, stored_size: int, key: str) -> int:
    """The decoded size a zstd frame of ``stored_size`` bytes records in its header (the
    first :data:`FRAME_HEADER_MAX` bytes of the frame are enough); IntegrityError if the
    header is damaged, records no size (sapwood always writes it) or claims more than the
    frame can hold."""
    size = claimed_size(header, stored_size, key)
    if size is None:
        raise IntegrityError(
            f"{key!r} is a zstd frame that does not record its decoded size; sapwood always "
            "writes it, so another program wrote this object"
        )
    return size


def claimed_size(header: bytes, stored_size: int, key: str) -> int | None:
    """The decoded size a zstd frame of ``stored_size`` bytes records in its header, or
    None if it records none; IntegrityError if the header is damaged or claims more than
    the frame can hold (zstd would try to allocate what it claims)."""
    try:
        size = zstandard.frame_content_size(header)
    except zstandard.ZstdError as exc:
        raise IntegrityError(f"{key!r} is damaged: its zstd frame header is bad ({exc})") from None
    if size < 0:
        return None
    if size > stored_size * _MAX_FRAME_RATIO:
        raise IntegrityError(
            f"{key!r} is damaged: its zstd frame claims {size} bytes, more than "
            f"{stored_size} stored bytes can hold"
        )
    return size


def _decoded_size(metadata: Mapping[str, str], stored_size: int, key: str) -> int | None:
    """The decoded size recorded in ``metadata``; IntegrityError if it is no size or one
    that ``stored_size`` bytes cannot hold (zstd would try to allocate that much)."""
    raw = metadata.get(DECODED_SIZE_KEY)
    if raw is None:
        return None
    try:
        size = int(raw)
    except ValueError:
        size = -1
    if not 0 <= size <= stored_size * _MAX_FRAME_RATIO:
        shown = raw if len(raw) <= 40 else f"{raw[:40]}..."
        raise IntegrityError(
            f"{key!r} has a malformed {DECODED_SIZE_KEY} of {shown!r} for its {stored_size} "
            "stored bytes; the object's metadata is damaged: write the object again"
        )
    return size
