"""Fuzzing every decoder of stored or user-given input (the table in fuzz_targets.py,
which the coverage-guided atheris_fuzz.py shares) with mutated bytes and odd text: only
SapwoodError subclasses come out (or a correct value), never a raw exception. What either
fuzzer found is pinned by the tests at the end.

Sized for CI (100 examples per property, about 20 s in all); a longer run sets
``SAPWOOD_FUZZ_EXAMPLES`` (see docs/reliability.md).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sapwood.config import YAML_MAX_NESTING, Format, ObjectStoreConfig, RepositoryConfig
from sapwood.credential_chain import load_config_file
from sapwood.engine.cache import DecodedCache
from sapwood.engine.format import (
    EMPTY_TABLE,
    KIND_INDEX,
    KIND_SNAPSHOT,
    RangeRef,
    RangeTable,
    Snapshot,
    encode_object,
)
from sapwood.engine.manifests import ManifestStore
from sapwood.engine.refexpr import parse_ref_expression
from sapwood.errors import ConfigError, IntegrityError, InvalidRefError, SapwoodError
from sapwood.layer import ObjectLayer
from sapwood.layer.compression import DECODED_SIZE_KEY, ENCODING_KEY, ZstdCodec
from sapwood.objectstore.expiration import TimeToIdle, TimeToLive, format_policy, parse_policy
from sapwood.objectstore.metadata import StoredHeader
from sapwood_memory.storage import MemoryStorage

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the table of decoders, shared with atheris_fuzz.py
    sys.path.insert(0, str(HERE))

from fuzz_targets import (  # noqa: E402
    DEEP_JSON,
    DEEP_MSGPACK,
    TARGETS,
    YAML_ALIAS_BOMB,
    check_names,
    check_url,
    decode_index,
    decode_snapshot,
    frame_claiming,
)

EXAMPLES = int(os.environ.get("SAPWOOD_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


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


@pytest.mark.parametrize("kind", sorted(TARGETS))
@FUZZ
@given(data=st.data())
def test_mutated_inputs_raise_only_sapwood_errors(kind: str, data: st.DataObject) -> None:
    target = TARGETS[kind]
    seed = data.draw(st.sampled_from(target.seeds))
    only_sapwood_errors(target.decode, data.draw(mutated(seed)))


@pytest.mark.parametrize("kind", sorted(TARGETS))
@FUZZ
@given(raw=st.binary(max_size=200))
def test_random_bytes_raise_only_sapwood_errors(kind: str, raw: bytes) -> None:
    only_sapwood_errors(TARGETS[kind].decode, raw)


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


TEXT = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()), max_size=40
) | st.sampled_from(["main\n", "a/../b", "dead", "main~2^3", "v1^", "x" * 300, "\udcff", ""])


@FUZZ
@given(text=TEXT)
def test_paths_and_ref_names_raise_only_their_errors(text: str) -> None:
    only_sapwood_errors(lambda _: check_names(text), b"")


URL_TEXT = (
    st.from_regex(
        r"\A[a-z0-9+]{0,6}(:(//)?)?[\w.@:%~\-\[\]]{0,20}(/[\w.%~\-]{0,10}){0,3}(\?[\w=&%.\-]{0,30})?\Z"
    )
    | TEXT
)


@FUZZ
@given(url=URL_TEXT)
def test_urls_raise_only_config_errors(url: str) -> None:
    only_sapwood_errors(lambda _: check_url(url), b"")


def test_the_seeds_decode() -> None:
    """The fuzzers start from valid documents (so mutations explore near them): each
    target's first seed decodes."""
    for kind, target in TARGETS.items():
        if kind == "names":
            check_names("data/a.csv")
            continue
        assert target.decode(target.seeds[0]) is not None, kind
    assert EMPTY_TABLE.refs() == []


# -- what the fuzzers found, pinned --------------------------------------------------------


@pytest.mark.parametrize("kind", ["sidecar", "lease", "ref", "object-metadata", "config-json"])
def test_json_nested_past_the_recursion_limit_is_refused(kind: str) -> None:
    """A sidecar so nested that the decoder gives up is ignored and a lease part is an
    IntegrityError (both raised RecursionError); the others were typed errors already."""
    try:
        value = TARGETS[kind].decode(DEEP_JSON)
    except SapwoodError:
        return
    assert value is None


@pytest.mark.parametrize(
    ("fmt", "document"),
    [
        ("json", DEEP_JSON),
        ("msgpack", DEEP_MSGPACK),
        ("toml", b"a = " + b"[" * 5000),
        ("yaml", DEEP_JSON),
        ("yaml", b"a: 2024-13-45"),  # PyYAML's constructors raised ValueError
        ("yaml", b"a: !!int 0x"),
        ("yaml", b"a: !!timestamp 2024-02-30"),
        ("json", "\udcff"),  # text that is not UTF-8 raised UnicodeEncodeError
    ],
)
def test_config_documents_that_do_not_parse_are_config_errors(
    fmt: Format, document: bytes | str
) -> None:
    with pytest.raises(ConfigError, match=f"not valid {fmt}"):
        RepositoryConfig.decode(document, fmt)


def test_yaml_nests_at_most_a_hundred_brackets() -> None:
    """PyYAML takes seconds on thousands of nested brackets, so they are refused at once;
    a document within the limit parses as usual."""
    deep = b"a: " + b"[" * (YAML_MAX_NESTING + 1) + b"]" * (YAML_MAX_NESTING + 1)
    with pytest.raises(ConfigError, match="nest more than 100"):
        RepositoryConfig.decode(deep, "yaml")
    within = b"a: " + b"[" * YAML_MAX_NESTING + b"]" * YAML_MAX_NESTING
    with pytest.raises(ConfigError, match="unknown field 'a'"):
        RepositoryConfig.decode(within, "yaml")
    assert RepositoryConfig.decode(b"compression: {level: 3}\n", "yaml").compression is not None


def test_a_config_file_nested_past_the_recursion_limit_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"a = " + b"[" * 5000)
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config_file(path)


@pytest.mark.parametrize(
    "url",
    [
        "s3://[bucket/prefix",  # urlsplit: Invalid IPv6 URL
        "s3://user:secret\uff03@bucket/",  # urlsplit: changes under NFKC, names the netloc
        "\udcd9s3://bucket/p?region=\udcfd",  # found by atheris: UnicodeEncodeError
        "memory://\udcff",
    ],
)
def test_urls_that_do_not_parse_are_config_errors_without_their_user_info(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ObjectStoreConfig.from_url(url)
    assert "secret" not in str(caught.value)
    str(caught.value).encode("utf-8")


def test_a_ref_expression_step_has_at_most_nine_ascii_digits() -> None:
    assert parse_ref_expression("main~123456789") == ("main", [("~", 123456789)])
    with pytest.raises(InvalidRefError, match="step of 5000 digits"):
        parse_ref_expression("main~" + "9" * 5000)  # int() raised ValueError past 4,300
    with pytest.raises(InvalidRefError):
        parse_ref_expression("main~\u0663")  # an Arabic-Indic three was taken as 3


def test_a_range_whose_frame_claims_a_terabyte_is_an_integrity_error() -> None:
    """zstd allocated what a damaged frame header claimed: MemoryError."""
    layer = ObjectLayer(MemoryStorage("fuzz-claims"))
    store = ManifestStore(layer, DecodedCache(), range_entries=4)
    ref = RangeRef("a", "b", b"\x00" * 32, 1, b"\x01" * 32, 0, 15)
    with pytest.raises(IntegrityError, match="claims 1099511627776 bytes"):
        store.decode_range(ref, frame_claiming(2**40))


@pytest.mark.parametrize("size", ["-5", str(2**40), str(10**30), "x"])
async def test_a_recorded_decoded_size_the_object_cannot_hold_is_an_integrity_error(
    size: str,
) -> None:
    """The size is zstd's output buffer: a negative one raised SystemError, a huge one
    MemoryError or OverflowError."""
    codec = ZstdCodec()
    payload = zstandard.ZstdCompressor(write_content_size=False).compress(b"a" * 1000)
    metadata = {ENCODING_KEY: "zstd", DECODED_SIZE_KEY: size}
    with pytest.raises(IntegrityError, match="malformed sapwood-decoded-size"):
        await codec.decode(payload, metadata, "k")
    claimed = {ENCODING_KEY: "zstd", DECODED_SIZE_KEY: "1000"}
    with pytest.raises(IntegrityError, match="claims"):
        await codec.decode(frame_claiming(2**40), claimed, "k")
    assert await codec.decode(payload, claimed, "k") == b"a" * 1000


def test_a_yaml_alias_bomb_is_refused_as_it_is_read() -> None:
    """Thirty aliases decoded at once into a billion values that repr, the credentials
    check and encoding then walked for ever."""
    with pytest.raises(ConfigError, match="more than 10,000 values"):
        RepositoryConfig.decode(YAML_ALIAS_BOMB, "yaml")


def test_extra_nested_deeper_than_32_levels_is_refused() -> None:
    """600 levels decoded, and then repr raised RecursionError."""
    store = {"object_store": "s3", "bucket": "b", "extra": {"x": [[[]]]}}
    assert ObjectStoreConfig.from_dict(store).extra == {"x": [[[]]]}
    deep: list[Any] = []
    for _ in range(40):
        deep = [deep]
    with pytest.raises(ConfigError, match="nests more than 32 levels"):
        ObjectStoreConfig.from_dict({**store, "extra": {"x": deep}})


@pytest.mark.parametrize("endpoint", ["http://[::1", "http://user:secret\uff03@host"])
def test_an_endpoint_url_that_does_not_parse_is_a_config_error(endpoint: str) -> None:
    with pytest.raises(ConfigError, match="host part does not parse") as caught:
        ObjectStoreConfig(object_store="s3", endpoint_url=endpoint)
    assert "secret" not in str(caught.value)


@FUZZ
@given(
    delta=st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=10_000)),
    idle=st.booleans(),
)
def test_an_expiration_policy_reads_back_as_written(delta: timedelta, idle: bool) -> None:
    """Found by atheris: the policy was written with six digits, so a TimeToIdle of
    20,241,230 s came back as 20,241,200 s. It is exact to the microsecond now (for 27
    years; the seconds are a float)."""
    policy = TimeToIdle(delta) if idle else TimeToLive(delta)
    assert parse_policy(format_policy(policy)) == policy
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    header = StoredHeader(moment, moment, "none", policy, {})
    assert StoredHeader.decode(header.encode()) == header
