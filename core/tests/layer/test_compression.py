"""zstd compression: recorded in metadata, skipped when useless, reversed on read,
damage detected."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import zipfile

import pytest
import zstandard

from sapwood.config import CompressionConfig
from sapwood.errors import IntegrityError
from sapwood.layer.compression import (
    DECODED_SIZE_KEY,
    ENCODING_KEY,
    ZSTD_MAGIC,
    ReservedMetadataError,
    ZstdCodec,
    caller_metadata,
    check_caller_metadata,
    looks_compressed,
)

TEXT = b"the quick brown fox jumps over the lazy dog. " * 2000


async def test_compressible_data_is_compressed_and_recorded() -> None:
    codec = ZstdCodec()
    encoded = await codec.encode(TEXT)
    assert encoded.tried
    assert len(encoded.payload) < len(TEXT) / 10
    assert encoded.payload.startswith(ZSTD_MAGIC)
    assert encoded.metadata == {ENCODING_KEY: "zstd", DECODED_SIZE_KEY: str(len(TEXT))}
    assert await codec.decode(encoded.payload, encoded.metadata, "k") == TEXT


async def test_random_data_is_stored_as_is() -> None:
    codec = ZstdCodec()
    noise = os.urandom(100_000)
    encoded = await codec.encode(noise)
    assert encoded.payload is noise
    assert encoded.metadata == {}


async def test_large_random_data_is_judged_on_samples_without_a_full_pass() -> None:
    codec = ZstdCodec()
    noise = os.urandom(2 * 1024 * 1024)
    assert not codec.worth_trying(noise)
    encoded = await codec.encode(noise)
    assert not encoded.tried
    assert encoded.payload is noise


async def test_large_compressible_data_passes_the_sample_check() -> None:
    codec = ZstdCodec()
    big = TEXT * 30
    assert codec.worth_trying(big)
    encoded = await codec.encode(big)
    assert encoded.metadata[ENCODING_KEY] == "zstd"
    assert await codec.decode(encoded.payload, encoded.metadata, "k") == big


async def test_objects_below_the_minimum_size_are_not_compressed() -> None:
    codec = ZstdCodec(CompressionConfig(min_size_bytes=10_000))
    encoded = await codec.encode(b"a" * 9_999)
    assert not encoded.tried
    assert encoded.metadata == {}


async def test_algorithm_none_turns_compression_off() -> None:
    codec = ZstdCodec(CompressionConfig(algorithm="none"))
    encoded = await codec.encode(TEXT)
    assert encoded.payload is TEXT
    assert not encoded.tried


async def test_data_that_does_not_shrink_is_kept_raw() -> None:
    codec = ZstdCodec(CompressionConfig(min_size_bytes=1))
    encoded = await codec.encode(b"ab")
    assert encoded.tried
    assert encoded.payload == b"ab"
    assert encoded.metadata == {}


async def test_uncompressed_payloads_decode_unchanged() -> None:
    codec = ZstdCodec()
    raw = ZSTD_MAGIC + b"looks like zstd but metadata says raw"
    assert await codec.decode(raw, {}, "k") is raw


async def test_damaged_payloads_raise_integrity_error() -> None:
    codec = ZstdCodec()
    encoded = await codec.encode(TEXT)
    damaged = bytearray(encoded.payload)
    damaged[len(damaged) // 2] ^= 0xFF
    with pytest.raises(IntegrityError, match="damaged"):
        await codec.decode(bytes(damaged), encoded.metadata, "blob")


async def test_a_wrong_recorded_size_raises_integrity_error() -> None:
    codec = ZstdCodec()
    encoded = await codec.encode(TEXT)
    wrong = {**encoded.metadata, DECODED_SIZE_KEY: str(len(TEXT) + 1)}
    with pytest.raises(IntegrityError):
        await codec.decode(encoded.payload, wrong, "blob")


async def test_an_unknown_encoding_says_to_upgrade() -> None:
    with pytest.raises(IntegrityError, match="upgrade sapwood"):
        await ZstdCodec().decode(b"x", {ENCODING_KEY: "brotli"}, "k")


def test_reserved_keys_are_refused_in_caller_metadata_and_stripped_on_the_way_out() -> None:
    with pytest.raises(ReservedMetadataError, match="reserved"):
        check_caller_metadata({ENCODING_KEY: "zstd"})
    check_caller_metadata({"owner": "me"})
    assert caller_metadata({ENCODING_KEY: "zstd", "owner": "me"}) == {"owner": "me"}


@pytest.mark.parametrize("fmt", ["zstd", "gzip", "bzip2", "xz", "zip"])
async def test_compressed_formats_are_stored_without_a_second_attempt(fmt: str) -> None:
    if fmt == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr("text.txt", TEXT)  # stored: zstd could shrink it
        packed = buffer.getvalue()
    else:
        pack = {
            "zstd": zstandard.ZstdCompressor().compress,
            "gzip": gzip.compress,
            "bzip2": bz2.compress,
            "xz": lzma.compress,
        }[fmt]
        packed = pack(TEXT)
    assert looks_compressed(packed)
    codec = ZstdCodec()
    encoded = await codec.encode(packed)
    assert not encoded.tried
    assert encoded.payload is packed
    assert await codec.decode(encoded.payload, encoded.metadata, "k") == packed


def test_a_blosc_chunk_is_recognised_by_its_header() -> None:
    body = TEXT[:4000]
    total = 16 + len(body)
    header = bytes([2, 1, 0x01, 4]) + (len(TEXT)).to_bytes(4, "little")
    header += (4096).to_bytes(4, "little") + total.to_bytes(4, "little")
    assert looks_compressed(header + body)
    wrong_length = header[:12] + (total + 1).to_bytes(4, "little") + body
    assert not looks_compressed(wrong_length)


def test_plain_data_does_not_look_compressed() -> None:
    assert not looks_compressed(TEXT)
    assert not looks_compressed(b"")
    assert ZstdCodec().worth_trying(TEXT)
