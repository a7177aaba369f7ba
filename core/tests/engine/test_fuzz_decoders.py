"""Fuzzing every decoder of stored or user-given input with mutated bytes and odd text:
only SapwoodError subclasses come out (or a correct value), never a raw exception.

Sized for CI (100 examples per decoder, about 20 s in all); a longer run sets
``SAPWOOD_FUZZ_EXAMPLES`` (see docs/reliability.md).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sapwood.config import ObjectStoreConfig, RepositoryConfig
from sapwood.engine.format import (
    EMPTY_TABLE,
    KIND_INDEX,
    KIND_RANGE,
    KIND_SNAPSHOT,
    ChunkRef,
    Entry,
    RangeTable,
    RefPointer,
    RepositoryDocument,
    Snapshot,
    decode_document,
    decode_object,
    encode_document,
    encode_object,
)
from sapwood.engine.paths import validate_path, validate_prefix, validate_ref_name
from sapwood.engine.refexpr import parse_ref_expression
from sapwood.errors import SapwoodError
from sapwood.objectstore.metadata import StoredHeader
from sapwood_local.sidecar import Identity, Sidecar, decode_sidecar, encode_sidecar

EXAMPLES = int(os.environ.get("SAPWOOD_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

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
SNAPSHOT = Snapshot((b"\x05" * 32,), "message", "author", 1, {"m": "1"}, 1, TABLE)
SEEDS: dict[str, bytes] = {
    "snapshot": encode_object(KIND_SNAPSHOT, SNAPSHOT),
    "range": encode_object(KIND_RANGE, [ENTRY, ENTRY]),
    "index": encode_object(KIND_INDEX, TABLE),
    "ref": encode_document(RefPointer(snapshot="ab" * 32)),
    "config.json": encode_document(
        RepositoryDocument(
            format_version=1,
            ref_mode="cas",
            created_at=datetime(2024, 1, 1, tzinfo=UTC),
            config=RepositoryConfig.default(),
        )
    ),
    "sidecar": encode_sidecar(
        Sidecar(key="k", etag="e", identity=Identity(1, 2, 3), metadata={"a": "b"}, digest="d")
    ),
}


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with a few random byte flips, cuts, insertions and deletions."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["flip", "cut", "insert", "delete", "splice"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if action == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif action == "cut":
            del data[at:]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete" and data:
            del data[at : at + draw(st.integers(1, 8))]
        elif action == "splice":
            data[at : at + 1] = draw(st.sampled_from([b"\xc1", b"\xff", b"\x00", b"{", b'"']))
    return bytes(data)


def only_sapwood_errors(decode: Callable[[bytes], Any], data: bytes) -> None:
    """Run ``decode``; a SapwoodError is a fine outcome, anything else fails the test."""
    with contextlib.suppress(SapwoodError):
        decode(data)


def decode_snapshot(data: bytes) -> None:
    value = decode_object(KIND_SNAPSHOT, data, "snapshot")
    assert isinstance(value, Snapshot)
    if value.ranges is not None:
        value.ranges.refs()


def decode_index(data: bytes) -> None:
    value = decode_object(KIND_INDEX, data, "index")
    assert isinstance(value, RangeTable)
    value.refs()


DECODERS: dict[str, Callable[[bytes], Any]] = {
    "snapshot": decode_snapshot,
    "range": lambda data: decode_object(KIND_RANGE, data, "range"),
    "index": decode_index,
    "ref": lambda data: decode_document(data, RefPointer, "ref").snapshot_id("ref"),
    "config.json": lambda data: decode_document(data, RepositoryDocument, "config.json"),
}


@pytest.mark.parametrize("kind", sorted(DECODERS))
@FUZZ
@given(data=st.data())
def test_mutated_stored_documents_raise_only_sapwood_errors(kind: str, data: st.DataObject) -> None:
    only_sapwood_errors(DECODERS[kind], data.draw(mutated(SEEDS[kind])))


@pytest.mark.parametrize("kind", sorted(DECODERS))
@FUZZ
@given(raw=st.binary(max_size=200))
def test_random_bytes_raise_only_sapwood_errors(kind: str, raw: bytes) -> None:
    only_sapwood_errors(DECODERS[kind], raw)


IDS = st.binary(min_size=32, max_size=32)
TABLES = st.builds(
    RangeTable,
    st.lists(st.text(max_size=3), max_size=3),
    st.lists(st.text(max_size=3), max_size=3),
    st.binary(max_size=100),
    st.lists(st.integers(-2, 5), max_size=3),
    st.lists(IDS, max_size=3),
    st.lists(st.integers(-2, 5), max_size=3),
    st.lists(st.integers(-2, 100), max_size=3),
    st.lists(st.integers(-2, 100), max_size=3),
)


@FUZZ
@given(table=TABLES)
def test_inconsistent_range_tables_are_integrity_errors(table: RangeTable) -> None:
    """Well-formed msgpack whose columns disagree (what a buggy or hostile writer makes)."""
    only_sapwood_errors(decode_index, encode_object(KIND_INDEX, table))
    snapshot = Snapshot((), "m", "a", 0, {}, 0, table)
    only_sapwood_errors(decode_snapshot, encode_object(KIND_SNAPSHOT, snapshot))


@FUZZ
@given(data=st.data())
def test_a_mutated_sidecar_decodes_or_is_ignored(data: st.DataObject) -> None:
    value = decode_sidecar(data.draw(mutated(SEEDS["sidecar"])))
    assert value is None or isinstance(value, Sidecar)


HEADER = StoredHeader(
    datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC), "zstd", None, {"a": "b"}
).encode()


@FUZZ
@given(data=st.data())
def test_mutated_object_client_metadata_raises_only_sapwood_errors(data: st.DataObject) -> None:
    text = data.draw(mutated(HEADER.encode())).decode("utf-8", "replace")
    only_sapwood_errors(
        lambda _: StoredHeader.decode(text, "object 'k'").expired(datetime.now(UTC)), b""
    )


TEXT = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()), max_size=40
) | st.sampled_from(["main\n", "a/../b", "dead", "main~2^3", "v1^", "x" * 300, "\udcff", ""])


@FUZZ
@given(text=TEXT)
def test_paths_and_ref_names_raise_only_their_errors(text: str) -> None:
    for check in (
        validate_path,
        validate_prefix,
        validate_ref_name,
        parse_ref_expression,
    ):
        only_sapwood_errors(lambda _: check(text), b"")  # noqa: B023 - called at once
    try:
        validate_path(text)
    except SapwoodError:
        return
    text.encode("utf-8")  # a path accepted is one every commit can store


URL_TEXT = (
    st.from_regex(
        r"\A[a-z0-9+]{0,6}(:(//)?)?[\w.@:%~\-]{0,20}(/[\w.%~\-]{0,10}){0,3}(\?[\w=&%.\-]{0,30})?\Z"
    )
    | TEXT
)


@FUZZ
@given(url=URL_TEXT)
def test_urls_raise_only_config_errors(url: str) -> None:
    only_sapwood_errors(lambda _: ObjectStoreConfig.from_url(url), b"")


CONFIG_SEED = RepositoryConfig.default()


@pytest.mark.parametrize("fmt", ["json", "toml", "yaml", "msgpack"])
@FUZZ
@given(data=st.data())
def test_mutated_config_documents_raise_only_sapwood_errors(fmt: str, data: st.DataObject) -> None:
    raw = data.draw(mutated(CONFIG_SEED.encode(fmt)))  # type: ignore[arg-type]
    only_sapwood_errors(lambda blob: RepositoryConfig.decode(blob, fmt), raw)  # type: ignore[arg-type]


def test_the_seeds_decode() -> None:
    """The fuzzers start from valid documents (so mutations explore near them)."""
    for kind, decode in DECODERS.items():
        decode(SEEDS[kind])
    assert decode_sidecar(SEEDS["sidecar"]) is not None
    assert StoredHeader.decode(HEADER).custom == {"a": "b"}
    assert EMPTY_TABLE.refs() == []
