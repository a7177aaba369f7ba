"""zstd compression: recorded in metadata, skipped when useless, reversed on read,
damage detected."""

from __future__ import annotations

import os

import pytest

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
