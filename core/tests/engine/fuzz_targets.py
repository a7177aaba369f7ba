"""What sapwood's fuzzers feed it: every decoder of stored or user-given input as a
callable on bytes, and the valid inputs the fuzzers start from (their mutations explore
near them).

A decoder may return or raise a :class:`~sapwood.errors.SapwoodError`; anything else it
raises is a bug. Where a decoded value can be checked (it re-encodes to itself, a verified
range holds exactly what was written, an accepted path encodes), the decoder asserts it,
so wrong data fails too (as an AssertionError).

Shared by the hypothesis tests (``test_fuzz_decoders.py``) and the coverage-guided atheris
harness (``atheris_fuzz.py``), which imports this module with sapwood instrumented.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar

import msgspec

from sapwood.config import ObjectStoreConfig, RepositoryConfig
from sapwood.engine.cache import DecodedCache
from sapwood.engine.changelog import decode_record
from sapwood.engine.config_file import check_no_credentials
from sapwood.engine.format import (
    KIND_INDEX,
    KIND_RANGE,
    KIND_SNAPSHOT,
    ChunkRef,
    Entry,
    RangeRef,
    RangeTable,
    RecordedChange,
    RefPointer,
    RepositoryDocument,
    Snapshot,
    decode_document,
    decode_object,
    encode_document,
    encode_object,
)
from sapwood.engine.keys import manifest_key
from sapwood.engine.leases import LEASES, read_leases
from sapwood.engine.manifests import ManifestStore
from sapwood.engine.paths import validate_path, validate_prefix, validate_ref_name
from sapwood.engine.refexpr import parse_ref_expression
from sapwood.errors import SapwoodError
from sapwood.layer import ObjectLayer
from sapwood.layer.compression import DECODED_SIZE_KEY, ENCODING_KEY, ZSTD_MAGIC, ZstdCodec
from sapwood.objectstore.expiration import TimeToIdle
from sapwood.objectstore.metadata import StoredHeader
from sapwood_local.sidecar import Identity, Sidecar, decode_sidecar, encode_sidecar
from sapwood_memory.storage import MemoryStorage

__all__ = [
    "FAMILIES",
    "TARGETS",
    "Target",
    "as_text",
    "check_names",
    "check_url",
    "decode_index",
    "decode_snapshot",
]

T = TypeVar("T")

_LOOP: Final = asyncio.new_event_loop()
"""A private loop for the decoders that are coroutines, so that every decoder here is a
plain function."""
atexit.register(_LOOP.close)


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    return _LOOP.run_until_complete(coroutine)


def as_text(data: bytes) -> str:
    """``data`` as text the way :func:`os.fsdecode` makes a file name of it: bytes that are
    not UTF-8 become lone surrogates."""
    return data.decode("utf-8", "surrogateescape")


DEEP_JSON: Final = b'{"x":' + b"[" * 5000 + b"]" * 5000 + b"}"
"""A JSON document nested deeper than any decoder recurses."""
DEEP_MSGPACK: Final = b"\x81\xa1x" + b"\x91" * 5000 + b"\xc0"
"""The msgpack of the same."""

# -- stored objects -------------------------------------------------------------------------

ENTRY = Entry(
    path="data/a.csv",
    size=3,
    checksum=b"\x01" * 32,
    modified_us=1,
    content_type="text/csv",
    metadata={"k": "v"},
    chunks=(ChunkRef(b"\x02" * 32, 3),),
)
TABLE = RangeTable(["a"], ["z"], b"\x03" * 32, [1], [b"\x04" * 32], [0], [0], [10])
SNAPSHOT = Snapshot(
    (b"\x05" * 32,),
    "message",
    "author",
    1,
    {"m": "1"},
    1,
    TABLE,
    changes=msgspec.Raw(msgspec.msgpack.encode([RecordedChange(None, ENTRY)])),
)


def decode_snapshot(data: bytes) -> Snapshot:
    """A stored snapshot, with its range table and change record."""
    value = decode_object(KIND_SNAPSHOT, data, "snapshot")
    assert isinstance(value, Snapshot)
    if value.ranges is not None:
        value.ranges.refs()
    if value.record is not None:
        decode_record(value.record, "snapshot")
    assert decode_object(KIND_SNAPSHOT, encode_object(KIND_SNAPSHOT, value), "again") == value
    return value


def decode_range(data: bytes) -> list[Entry]:
    """A stored manifest range."""
    value = decode_object(KIND_RANGE, data, "range")
    assert isinstance(value, list)
    assert decode_object(KIND_RANGE, encode_object(KIND_RANGE, value), "again") == value
    return value


def decode_index(data: bytes) -> RangeTable:
    """A stored range index."""
    value = decode_object(KIND_INDEX, data, "index")
    assert isinstance(value, RangeTable)
    value.refs()
    assert decode_object(KIND_INDEX, encode_object(KIND_INDEX, value), "again") == value
    return value


def decode_ref(data: bytes) -> bytes:
    """A ref file: the snapshot id it names."""
    pointer = decode_document(data, RefPointer, "ref")
    raw = pointer.snapshot_id("ref")
    assert raw.hex() == pointer.snapshot
    return raw


def decode_repository_document(data: bytes) -> RepositoryDocument:
    """``config.json``."""
    value = decode_document(data, RepositoryDocument, "config.json")
    again = decode_document(encode_document(value), RepositoryDocument, "again")
    assert again == value
    return value


def decode_a_sidecar(data: bytes) -> Sidecar | None:
    """A local sidecar; a damaged one is ignored (None), never an exception."""
    value = decode_sidecar(data)
    assert value is None or decode_sidecar(encode_sidecar(value)) == value
    return value


HEADER: Final = StoredHeader(
    datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC), "zstd", None, {"a": "b"}
)
HEADER_EXPIRING: Final = StoredHeader(
    datetime(2024, 1, 1, 12, 30, 1, 5, tzinfo=UTC),
    datetime(2024, 1, 2, tzinfo=UTC),
    "none",
    TimeToIdle(timedelta(hours=2)),
    {},
)


def decode_object_metadata(data: bytes) -> bool:
    """An object client's header (stored as a metadata value, so text), as a read uses it."""
    header = StoredHeader.decode(data.decode("utf-8", "replace"), "object 'k'")
    assert StoredHeader.decode(header.encode(), "again") == header
    return header.expired(datetime.now(UTC))


# -- manifest packs: the ranges of a commit, read back by range and verified ----------------

PACKED_ENTRIES: Final = (
    [Entry(f"big/{n:04d}", n, bytes([n]) * 32, n, inline=b"x" * 40) for n in range(20)],
    [ENTRY],
)
"""Two ranges: one long enough to be stored compressed, one stored raw."""


async def _write_pack() -> tuple[bytes, list[RangeRef]]:
    writer = ManifestStore(
        ObjectLayer(MemoryStorage("fuzz-pack-writer")), DecodedCache(), range_entries=64
    )
    written: list[tuple[bytes, bytes]] = []
    refs = await writer.write_ranges(list(PACKED_ENTRIES), written)
    ((_, pack),) = written
    return pack, refs


PACK, PACK_REFS = _run(_write_pack())
_PACK_STORE = MemoryStorage(f"fuzz-pack-{uuid.uuid4().hex[:8]}")


def decode_pack(data: bytes) -> list[list[Entry]]:
    """A manifest pack (``data`` stored in place of the commit's pack) read as a reader
    reads it: each range fetched by its offset and length, decompressed and verified."""

    async def load() -> list[list[Entry]]:
        await _PACK_STORE.put(manifest_key(PACK_REFS[0].pack), data)
        store = ManifestStore(ObjectLayer(_PACK_STORE), DecodedCache(), range_entries=64)
        return await store.load_ranges(PACK_REFS)

    ranges = _run(load())
    assert ranges == [list(entries) for entries in PACKED_ENTRIES]
    return ranges


# -- leases: the blobs a writer's staged changes refer to, kept from garbage collection ------

LEASED: Final = frozenset({b"\x07" * 32, b"\x08" * 32})
_LEASE_STORE = MemoryStorage(f"fuzz-leases-{uuid.uuid4().hex[:8]}")


def decode_lease(data: bytes) -> set[bytes]:
    """A lease part (``data``) as garbage collection reads every lease: the blob ids it
    protects."""

    async def read() -> set[bytes]:
        await _LEASE_STORE.put(f"{LEASES}token/anchor", b"")
        await _LEASE_STORE.put(f"{LEASES}token/part-00000000", data)
        return (await read_leases(ObjectLayer(_LEASE_STORE), datetime.now(UTC))).blobs

    return _run(read())


# -- blobs: zstd frames (self-describing) and compression recorded in metadata --------------

FRAME_DATA: Final = b"sapwood blob " * 40
_CODEC: Final = ZstdCodec()
FRAME: Final = _run(_CODEC.frame(FRAME_DATA)).payload


def frame_claiming(size: int, length: int = 16) -> bytes:
    """``length`` bytes that start like a zstd frame whose header records ``size`` decoded
    bytes (in an eight-byte field), as a damaged header may."""
    header = ZSTD_MAGIC + bytes([0b11100000]) + size.to_bytes(8, "little")
    return header + b"\x01" * (length - len(header))


def decode_frame(data: bytes) -> bytes:
    """A stored blob that is self-describing: a zstd frame (or raw bytes, unchanged)."""
    unframed = _run(_CODEC.unframe(data, "blob"))
    if not data.startswith(ZSTD_MAGIC):
        assert unframed == data
    return unframed


def decode_recorded(data: bytes) -> bytes:
    """A stored blob whose metadata records zstd: the first line of ``data`` is the decoded
    size recorded (a metadata value, so text), the rest what is stored."""
    size, _, payload = data.partition(b"\n")
    metadata = {ENCODING_KEY: "zstd", DECODED_SIZE_KEY: size.decode("utf-8", "replace")}
    decoded = _run(_CODEC.decode(payload, metadata, "blob"))
    assert len(decoded) == int(metadata[DECODED_SIZE_KEY])
    return decoded


# -- documents a user writes -----------------------------------------------------------------


def _config_decoder(fmt: Any) -> Callable[[bytes], RepositoryConfig]:
    def decode(data: bytes) -> RepositoryConfig:
        config = RepositoryConfig.decode(data, fmt)
        # what every config goes through next: shown, checked for credentials, stored
        repr(config)
        check_no_credentials(config)
        stored = config.encode("msgpack")
        assert RepositoryConfig.decode(stored, "msgpack").encode("msgpack") == stored
        return config

    decode.__name__ = f"decode_config_{fmt}"
    decode.__doc__ = f"A repository config written in {fmt}."
    return decode


CONFIG: Final = RepositoryConfig.default()
YAML_ALIAS_BOMB: Final = (
    b"virtual_chunk_containers:\n  v:\n    name: v\n    prefix: s3://b/\n    store:\n"
    b"      object_store: s3\n      extra:\n        a0: &a0 [x, x]\n"
    + b"".join(b"        a%d: &a%d [*a%d, *a%d]\n" % (n, n, n - 1, n - 1) for n in range(1, 30))
)
"""Thirty lines that expand to a billion values wherever the config is read in full."""


def check_names(text: str) -> None:
    """``text`` as a listing prefix, a ref name, a ref expression and an object path; a path
    or prefix accepted is one every commit can store (it encodes)."""
    for check in (validate_ref_name, parse_ref_expression):
        with contextlib.suppress(SapwoodError):
            check(text)
    with contextlib.suppress(SapwoodError):
        validate_prefix(text).encode("utf-8")
    validate_path(text).encode("utf-8")


def check_url(text: str) -> ObjectStoreConfig:
    """``text`` as a storage URL."""
    return ObjectStoreConfig.from_url(text)


# -- the table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One decoder and the valid inputs fuzzing starts from."""

    decode: Callable[[bytes], object]
    seeds: tuple[bytes, ...]


TARGETS: Final[dict[str, Target]] = {
    "snapshot": Target(decode_snapshot, (encode_object(KIND_SNAPSHOT, SNAPSHOT),)),
    "range": Target(decode_range, (encode_object(KIND_RANGE, [ENTRY, ENTRY]),)),
    "index": Target(decode_index, (encode_object(KIND_INDEX, TABLE),)),
    "pack": Target(
        decode_pack,
        (PACK, frame_claiming(2**40, PACK_REFS[0].length) + PACK[PACK_REFS[0].length :]),
    ),
    "ref": Target(
        decode_ref,
        (encode_document(RefPointer(snapshot="ab" * 32)), DEEP_JSON),
    ),
    "config.json": Target(
        decode_repository_document,
        (
            encode_document(
                RepositoryDocument(
                    format_version=1,
                    ref_mode="cas",
                    created_at=datetime(2024, 1, 1, tzinfo=UTC),
                    config=CONFIG,
                )
            ),
        ),
    ),
    "sidecar": Target(
        decode_a_sidecar,
        (
            encode_sidecar(
                Sidecar(
                    key="k", etag="e", identity=Identity(1, 2, 3), metadata={"a": "b"}, digest="d"
                )
            ),
            DEEP_JSON,
        ),
    ),
    "object-metadata": Target(
        decode_object_metadata,
        (
            HEADER.encode().encode(),
            HEADER_EXPIRING.encode().encode(),
            b'{"created":"20241230","expiration":"tti:20241230"}',  # found by atheris
            DEEP_JSON,
        ),
    ),
    "frame": Target(decode_frame, (FRAME, FRAME_DATA, frame_claiming(2**40))),
    "recorded": Target(
        decode_recorded,
        (
            b"%d\n%s" % (len(FRAME_DATA), FRAME),
            b"-5\n" + FRAME,  # zstd was given these sizes to allocate
            b"1099511627776\n" + FRAME,
            b"%d\n%s" % (len(FRAME_DATA), frame_claiming(2**40)),
        ),
    ),
    "lease": Target(
        decode_lease, (json.dumps(sorted(raw.hex() for raw in LEASED)).encode(), DEEP_JSON)
    ),
    "config-json": Target(_config_decoder("json"), (CONFIG.encode("json"), DEEP_JSON)),
    "config-toml": Target(_config_decoder("toml"), (CONFIG.encode("toml"), b"a = " + b"[" * 5000)),
    "config-yaml": Target(
        _config_decoder("yaml"), (CONFIG.encode("yaml"), DEEP_JSON, YAML_ALIAS_BOMB)
    ),
    "config-msgpack": Target(_config_decoder("msgpack"), (CONFIG.encode("msgpack"), DEEP_MSGPACK)),
    "names": Target(
        lambda data: check_names(as_text(data)),
        tuple(
            text.encode("utf-8", "surrogateescape")
            for text in (
                "data/a.csv",
                "dir/",
                "main~2^3",
                "v1.0^",
                "dead",
                "a/../b",
                "main\n",
                "main~" + "9" * 5000,  # int() refuses 4,300 digits
                "main~\u0663",
            )
        ),
    ),
    "url": Target(
        lambda data: check_url(as_text(data)),
        (
            b"s3://bucket/prefix?region=us-east-1&allow_http=true",
            b"file:///tmp/repository",
            b"memory://name",
            b"gs://bucket/p",
            b"az://container/prefix?account_name=a",
            b"tigris://bucket",
            b"s3://[bucket/prefix",
            "s3://user:secret\uff03@bucket/".encode(),
            b"\xd9s3://bucket/p?region=\xfd",  # found by atheris
        ),
    ),
}
"""Every decoder by name."""

FAMILIES: Final[dict[str, tuple[str, ...]]] = {
    "refs": ("ref",),
    "config.json": ("config.json",),
    "snapshots": ("snapshot",),
    "manifests": ("range", "index", "pack"),
    "sidecars": ("sidecar",),
    "object-metadata": ("object-metadata",),
    "blobs": ("frame", "recorded"),
    "leases": ("lease",),
    "config-documents": ("config-json", "config-toml", "config-yaml", "config-msgpack"),
    "names": ("names",),
    "urls": ("url",),
}
"""The decoders grouped the way the atheris harness runs them: one fuzzing process per
family, whose input's first byte picks the member."""
