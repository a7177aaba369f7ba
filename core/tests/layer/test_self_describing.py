"""Self-describing objects: for keys under the layer's self-describing prefixes the stored
bytes alone say how to decode them (a zstd frame or raw), and no metadata is written."""

from __future__ import annotations

import os

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sapwood.config import CompressionConfig, RepositoryConfig
from sapwood.errors import IntegrityError, StorageError
from sapwood.layer import ChaosStorage, ObjectLayer
from sapwood.layer.compressing import CompressingStorage
from sapwood.layer.compression import ENCODING_KEY, ZSTD_MAGIC, ZstdCodec, frame_size
from sapwood.layer.framing import SelfDescribingKeys
from sapwood.storage import ByteRange, Capabilities, ForwardingStorage, ObjectMeta, Storage
from sapwood.stores import open_storage

TEXT = b"id,sensor,value\n" + b"".join(b"%d,s-%d,%d.5\n" % (i, i % 9, i % 97) for i in range(900))
NOISE = os.urandom(5000)
ZST_FILE = zstandard.ZstdCompressor().compress(os.urandom(3000))  # a user's .zst file


def layer_over(store: Storage, config: RepositoryConfig | None = None) -> ObjectLayer:
    layer = ObjectLayer(store, config)
    layer.self_describing.set(["blobs/", "snapshots/"])
    return layer


async def test_compressed_objects_are_frames_without_metadata(counted: ChaosStorage) -> None:
    layer = layer_over(counted)
    written = await layer.put("blobs/text", TEXT, immutable=True)
    assert written.size == len(TEXT)
    stored, meta = await counted.get_with_meta("blobs/text")
    assert stored.startswith(ZSTD_MAGIC)
    assert len(stored) < len(TEXT) / 3
    assert meta.metadata == {}, "the encoding is in the bytes, not in metadata"
    assert frame_size(stored, len(stored), "blobs/text") == len(TEXT)
    fresh = layer_over(counted)  # knows nothing about the key
    assert await fresh.get("blobs/text", immutable=True) == TEXT
    assert (await fresh.head("blobs/text")).size == len(TEXT)
    data, seen = await fresh.get_with_meta("blobs/text")
    assert data == TEXT
    assert seen.size == len(TEXT)
    assert seen.metadata == {}


async def test_raw_objects_are_stored_exactly(memory: Storage) -> None:
    layer = layer_over(memory)
    await layer.put("blobs/noise", NOISE, immutable=True)
    assert await memory.get("blobs/noise") == NOISE
    assert await layer_over(memory).get("blobs/noise", immutable=True) == NOISE
    assert (await layer_over(memory).head("blobs/noise")).size == len(NOISE)


@pytest.mark.parametrize(
    "config",
    [
        None,
        RepositoryConfig(compression=CompressionConfig(algorithm="none")),
        RepositoryConfig(compression=CompressionConfig(min_size_bytes=1 << 20)),
    ],
    ids=["default", "compression off", "below the minimum size"],
)
@pytest.mark.parametrize(
    "data", [ZST_FILE, ZSTD_MAGIC, ZSTD_MAGIC + b"!"], ids=["zst file", "magic", "magic+1"]
)
async def test_raw_data_starting_with_the_magic_is_always_framed(
    memory: Storage, config: RepositoryConfig | None, data: bytes
) -> None:
    """Otherwise a reader would take a user's .zst file for one of the layer's frames."""
    layer = layer_over(memory, config)
    await layer.put("blobs/z", data, immutable=True)
    await layer.put("blobs/z-plain", data, immutable=True, compress=False)
    for key in ("blobs/z", "blobs/z-plain"):
        stored = await memory.get(key)
        assert stored != data
        assert frame_size(stored, len(stored), key) == len(data)
        fresh = layer_over(memory)
        assert await fresh.get(key, immutable=True) == data
        assert (await fresh.head(key)).size == len(data)


async def test_keys_outside_the_prefixes_keep_their_encoding_in_metadata(
    memory: Storage,
) -> None:
    layer = layer_over(memory)
    await layer.put("manifests/text", TEXT, immutable=True)
    _, meta = await memory.get_with_meta("manifests/text")
    assert meta.metadata[ENCODING_KEY] == "zstd"
    await layer.put("manifests/z", ZST_FILE, immutable=True)
    assert await memory.get("manifests/z") == ZST_FILE, "raw, as metadata says"
    assert await layer_over(memory).get("manifests/z", immutable=True) == ZST_FILE


@pytest.mark.parametrize(
    "byte_range",
    [ByteRange(0, 10), ByteRange(0, 2), ByteRange(100, 3000), ByteRange(7000), ByteRange.suffix(9)],
    ids=["head", "tiny head", "middle", "tail", "suffix"],
)
@pytest.mark.parametrize("immutable", [True, False])
async def test_ranges_of_framed_and_raw_objects_on_a_fresh_layer(
    counted: ChaosStorage, byte_range: ByteRange, immutable: bool
) -> None:
    writer = layer_over(counted)
    for key, data in (("blobs/t", TEXT), ("blobs/n", NOISE), ("blobs/z", ZST_FILE)):
        await writer.put(key, data, immutable=True)
        start = min(byte_range.start, len(data))
        stop = len(data) if byte_range.end is None else min(byte_range.end, len(data))
        if byte_range.last is not None:
            start, stop = len(data) - byte_range.last, len(data)
        expected = data[start:stop]
        fresh = layer_over(counted)
        assert await fresh.get(key, byte_range, immutable=immutable) == expected, key
        assert await fresh.get(key, byte_range, immutable=immutable) == expected, key
        got, meta = await layer_over(counted).get_with_meta(key, byte_range=byte_range)
        assert got == expected, key
        assert meta.size == len(data), "the whole object's original size"


async def test_a_range_of_a_known_raw_object_costs_one_request(counted: ChaosStorage) -> None:
    layer = layer_over(counted)
    await layer.put("blobs/n", NOISE, immutable=True)
    before = sum(counted.calls.values())
    got = await layer.get("blobs/n", ByteRange(10, 20), immutable=True, cache=False)
    assert got == NOISE[10:20]
    assert sum(counted.calls.values()) - before == 1


async def test_objects_shorter_than_the_magic_read_by_range(memory: Storage) -> None:
    layer = layer_over(memory)
    for data in (b"", b"a", b"abc"):
        await layer.put("blobs/short", data, immutable=True)
        fresh = layer_over(memory)
        assert await fresh.get("blobs/short", ByteRange(0, 10), immutable=True) == data
        assert await layer_over(memory).get("blobs/short", ByteRange(1, 2)) == data[1:2]


class _NoRanges(ForwardingStorage):
    """A store that cannot read ranges."""

    capabilities = Capabilities(byte_ranges=False)

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        if byte_range is not None:
            raise StorageError("this store reads whole objects only")
        return await super().get(key)

    async def get_with_meta(
        self, key: str, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        if byte_range is not None:
            raise StorageError("this store reads whole objects only")
        return await super().get_with_meta(key)


async def test_a_store_without_ranges_serves_ranges_from_the_whole_object(
    memory: Storage,
) -> None:
    store = _NoRanges(memory)
    await layer_over(store).put("blobs/t", TEXT, immutable=True)
    await layer_over(store).put("blobs/n", NOISE, immutable=True)
    assert await layer_over(store).get("blobs/t", ByteRange(5, 50), immutable=True) == TEXT[5:50]
    assert await layer_over(store).get("blobs/n", ByteRange(5, 50)) == NOISE[5:50]
    assert (await layer_over(store).head("blobs/t")).size == len(TEXT)


async def test_a_damaged_frame_is_an_integrity_error(memory: Storage) -> None:
    await layer_over(memory).put("blobs/t", TEXT, immutable=True)
    stored = bytearray(await memory.get("blobs/t"))
    stored[len(stored) // 2] ^= 0xFF
    await memory.put("blobs/t", bytes(stored))
    with pytest.raises(IntegrityError, match="damaged"):
        await layer_over(memory).get("blobs/t", immutable=True)


async def test_a_frame_header_claiming_too_much_is_an_integrity_error(memory: Storage) -> None:
    """A damaged size field must not make the reader allocate terabytes."""
    frame = zstandard.ZstdCompressor().compress(b"x" * 300)
    assert frame[4] & 0b0010_0000, "a single-segment frame: no window descriptor"
    # The same frame with an 8-byte content size field claiming 2**40 bytes.
    descriptor = bytes([0b1110_0000 | (frame[4] & 0b0000_0111)])
    body = frame[zstandard.frame_header_size(frame) :]
    forged = frame[:4] + descriptor + (1 << 40).to_bytes(8, "little") + body
    assert zstandard.frame_content_size(forged) == 1 << 40
    await memory.put("blobs/huge", forged)
    with pytest.raises(IntegrityError, match="claims"):
        await layer_over(memory).get("blobs/huge", immutable=True)
    with pytest.raises(IntegrityError, match="claims"):
        await layer_over(memory).head("blobs/huge")


async def test_a_frame_without_its_size_is_refused(memory: Storage) -> None:
    foreign = zstandard.ZstdCompressor(write_content_size=False).compress(TEXT)
    await memory.put("blobs/foreign", foreign)
    with pytest.raises(IntegrityError, match="does not record its decoded size"):
        await layer_over(memory).get("blobs/foreign", immutable=True)


async def test_ranges_of_a_compressed_object_keep_it_whole_in_the_cache(
    counted: ChaosStorage,
) -> None:
    await layer_over(counted).put("blobs/t", TEXT, immutable=True)
    layer = layer_over(counted)
    assert await layer.get("blobs/t", ByteRange(0, 100), immutable=True) == TEXT[:100]
    before = sum(counted.calls.values())
    assert await layer.get("blobs/t", ByteRange(200, 300), immutable=True) == TEXT[200:300]
    assert await layer.get("blobs/t", immutable=True) == TEXT
    assert sum(counted.calls.values()) == before, "served from the cache"


def test_prefixes_must_be_strings() -> None:
    from sapwood.errors import ConfigError

    with pytest.raises(ConfigError, match="must be a string"):
        SelfDescribingKeys([b"blobs/"])  # type: ignore[list-item]
    keys = SelfDescribingKeys(["blobs/"])
    assert keys.covers("blobs/ab/cd")
    assert not keys.covers("refs/branches/main/ref.json")
    assert not SelfDescribingKeys().covers("blobs/x")


_PREFIXES = st.sampled_from([b"", ZSTD_MAGIC, ZSTD_MAGIC[:3], b"SW"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=_PREFIXES,
    body=st.binary(max_size=600) | st.builds(lambda n: b"ab" * n, st.integers(0, 400)),
    start=st.integers(0, 900),
    length=st.integers(0, 900),
    compress=st.booleans(),
)
async def test_any_bytes_round_trip_whole_and_by_range(
    prefix: bytes, body: bytes, start: int, length: int, compress: bool
) -> None:
    data = prefix + body
    store = open_storage("memory://self-describing-property")
    codec = ZstdCodec(CompressionConfig(min_size_bytes=1))
    keys = SelfDescribingKeys(["k"])
    writer = CompressingStorage(store, codec, compress=compress, self_describing=keys)
    await writer.put("k", data)
    stored = await store.get("k")
    assert stored.startswith(ZSTD_MAGIC) == (stored != data)
    reader = CompressingStorage(store, codec, immutable=True, self_describing=keys)
    assert await reader.get("k") == data
    assert await reader.get("k", ByteRange(start, start + length)) == data[start : start + length]
    assert (await reader.head("k")).size == len(data)
    await store.delete("k")


async def test_head_as_stored_is_one_metadata_request(counted: ChaosStorage) -> None:
    """What existence and age checks use: no frame header read, the size as listed."""
    await layer_over(counted).put("blobs/t", TEXT, immutable=True)
    stored = len(await counted.get("blobs/t"))
    layer = layer_over(counted)
    counted.calls.clear()
    meta = await layer.head_as_stored("blobs/t")
    assert meta.size == stored < len(TEXT)
    assert meta.last_modified is not None
    assert dict(counted.calls) == {"head": 1}
    assert (await layer.head("blobs/t")).size == len(TEXT)


async def test_a_large_zst_file_not_worth_compressing_is_still_framed() -> None:
    codec = ZstdCodec()
    big = zstandard.ZstdCompressor().compress(os.urandom(1 << 20))
    assert not codec.worth_trying(big), "its samples do not shrink"
    encoded = await codec.frame(big)
    assert encoded.framed
    assert not encoded.tried, "wrapped, not compressed: no compression ratio to record"
    assert encoded.payload.startswith(ZSTD_MAGIC)
    assert await codec.unframe(encoded.payload, "k") == big
    noise = os.urandom(1 << 20)
    kept = await codec.frame(noise)
    assert kept.payload is noise
    assert not kept.framed
