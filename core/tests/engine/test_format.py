"""The stored format: headers, versions, round trips and content comparison."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sapwood.engine.format import (
    KIND_INDEX,
    KIND_RANGE,
    KIND_SNAPSHOT,
    OBJECT_VERSION,
    ChunkRef,
    Entry,
    RangeRef,
    RangeTable,
    Snapshot,
    decode_object,
    encode_object,
    from_micros,
    to_micros,
)
from sapwood.errors import IntegrityError, SapwoodError


def entry(path: str, data: bytes = b"x", **changes: object) -> Entry:
    fields: dict[str, object] = {
        "path": path,
        "size": len(data),
        "checksum": b"\x01" * 32,
        "modified_us": 5,
        "inline": data,
    }
    fields.update(changes)
    return Entry(**fields)  # type: ignore[arg-type]


def test_a_range_round_trips_with_its_header() -> None:
    entries = [entry("a", metadata={"k": "v"}), entry("b", chunks=(ChunkRef(b"\x02" * 32, 9),))]
    data = encode_object(KIND_RANGE, entries)
    assert data[:4] == b"SWR" + bytes([OBJECT_VERSION])
    assert decode_object(KIND_RANGE, data, "test") == entries


def test_a_snapshot_round_trips_with_an_inline_table() -> None:
    table = RangeTable.from_refs([RangeRef("a", "b", b"\x03" * 32, 2, b"\x04" * 32, 0, 10)])
    snapshot = Snapshot((b"\x05" * 32,), "msg", "me", 7, {"k": "v"}, 2, table)
    data = encode_object(KIND_SNAPSHOT, snapshot)
    assert decode_object(KIND_SNAPSHOT, data, "test") == snapshot


def test_the_wrong_kind_of_object_is_an_integrity_error() -> None:
    data = encode_object(KIND_RANGE, [entry("a")])
    with pytest.raises(IntegrityError, match="not a sapwood snapshot"):
        decode_object(KIND_SNAPSHOT, data, "snapshots/x")


def test_garbage_after_a_valid_header_is_an_integrity_error() -> None:
    with pytest.raises(IntegrityError, match="could not be decoded"):
        decode_object(KIND_INDEX, b"SWI\x01\xc1\xc1", "index x")


def test_a_newer_format_asks_for_an_upgrade() -> None:
    data = bytearray(encode_object(KIND_RANGE, [entry("a")]))
    data[3] = OBJECT_VERSION + 1
    with pytest.raises(SapwoodError, match="upgrade sapwood"):
        decode_object(KIND_RANGE, bytes(data), "range x")


def test_same_content_ignores_times_but_not_bytes_type_or_metadata() -> None:
    base = entry("a")
    assert base.same_content(entry("a", modified_us=99))
    assert not base.same_content(entry("a", checksum=b"\x09" * 32))
    assert not base.same_content(entry("a", content_type="text/plain"))
    assert not base.same_content(entry("a", metadata={"k": "v"}))
    assert not base.same_content(None)
    assert entry("a", metadata={}).same_content(entry("a", metadata=None))


def test_a_range_table_gives_back_its_refs() -> None:
    refs = [
        RangeRef(f"p{i}", f"q{i}", bytes([i]) * 32, i + 1, bytes([i % 2]) * 32, i * 10, 10)
        for i in range(5)
    ]
    table = RangeTable.from_refs(refs)
    assert table.refs() == refs
    assert len(table.packs) == 2
    assert table.id_list() == [r.id for r in refs]
    assert table.id_at(3) == refs[3].id


@given(st.datetimes(timezones=st.just(UTC)))
def test_micros_round_trip(moment: datetime) -> None:
    assert from_micros(to_micros(moment)) == moment


def test_micros_accept_other_zones_and_naive_times() -> None:
    eastern = datetime(2024, 1, 1, 5, tzinfo=timezone(timedelta(hours=5)))
    assert from_micros(to_micros(eastern)) == datetime(2024, 1, 1, tzinfo=UTC)
    assert to_micros(datetime(1970, 1, 1, 0, 0, 1)) == 1_000_000
