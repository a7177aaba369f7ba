"""diff_trees against a naive reference: every path of both trees, compared one by one.

The trees are random (related by a few rounds of changes, or built independently so that
their ranges are cut differently), read through the cache that wrote them (warm) and
through a new store over the same storage (cold), through one that holds some of the ranges
(mixed), with and without a prefix, and with the
batch bound small enough to exercise the grouping and the streaming of large groups.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sapwood.engine import diff as diff_module
from sapwood.engine import range_ids
from sapwood.engine.cache import DecodedCache
from sapwood.engine.diff import EntryChange, diff_trees
from sapwood.engine.format import EMPTY_TABLE, Entry, decode_entry
from sapwood.engine.manifests import ManifestStore, Tree
from sapwood.errors import IntegrityError
from sapwood.layer import ObjectLayer
from sapwood_memory.storage import MemoryStorage, drop_bucket

PATHS = [f"{d}/{f:03d}" for d in "abcd" for f in range(60)]
VERSION = st.tuples(
    st.integers(0, 3),  # content
    st.integers(0, 1),  # modification time (not content: never a change on its own)
    st.sampled_from([None, (("k", "1"), ("j", "2")), (("j", "2"), ("k", "1"))]),
)
STATE = st.dictionaries(st.sampled_from(PATHS), VERSION, max_size=len(PATHS))
EDITS = st.dictionaries(st.sampled_from(PATHS), st.none() | VERSION, max_size=40)


def entry(path: str, version: tuple[int, int, tuple[tuple[str, str], ...] | None]) -> Entry:
    content, modified, metadata = version
    data = bytes([content])
    return Entry(
        path,
        len(data),
        data.ljust(32, b"-"),
        modified,
        metadata=None if metadata is None else dict(metadata),
        inline=data,
    )


@pytest.fixture
def layer() -> Iterator[ObjectLayer]:
    made = ObjectLayer(MemoryStorage(f"diff-{uuid.uuid4().hex[:10]}"))
    yield made
    drop_bucket(made.storage.name)  # type: ignore[attr-defined]


async def build(store: ManifestStore, base: Tree, changes: dict[str, Entry | None]) -> Tree:
    return Tree(store, await base.apply(changes))


async def everything(tree: Tree) -> dict[str, Entry]:
    return {e.path: e async for e in tree.entries()}


def reference(old: dict[str, Entry], new: dict[str, Entry], prefix: str) -> list[EntryChange]:
    changes: list[EntryChange] = []
    for path in sorted(set(old) | set(new)):
        if not path.startswith(prefix):
            continue
        x, y = old.get(path), new.get(path)
        if x is None or y is None or not x.same_content(y):
            changes.append((path, x, y))
    return changes


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    start=STATE,
    rounds=st.lists(EDITS, min_size=1, max_size=3),
    independent=STATE,
    batch=st.sampled_from([1, 2, 64]),
    prefix=st.sampled_from(["", "b/", "c/01", "zz"]),
)
async def test_diff_matches_a_naive_reference(
    layer: ObjectLayer,
    monkeypatch: pytest.MonkeyPatch,
    start: dict[str, tuple[int, int, tuple[tuple[str, str], ...] | None]],
    rounds: list[dict[str, tuple[int, int, tuple[tuple[str, str], ...] | None] | None]],
    independent: dict[str, tuple[int, int, tuple[tuple[str, str], ...] | None]],
    batch: int,
    prefix: str,
) -> None:
    monkeypatch.setattr(diff_module, "BATCH", batch)
    writer = ManifestStore(layer, DecodedCache(), range_entries=4)
    empty = Tree(writer, EMPTY_TABLE)
    trees = [await build(writer, empty, {p: entry(p, v) for p, v in start.items()})]
    for edits in rounds:
        changes = {p: None if v is None else entry(p, v) for p, v in edits.items()}
        trees.append(await build(writer, trees[-1], changes))
    trees.append(await build(writer, empty, {p: entry(p, v) for p, v in independent.items()}))
    reader = ManifestStore(layer, DecodedCache(), range_entries=4)
    pairs = [(trees[k], trees[k + 1]) for k in range(len(trees) - 1)]
    pairs.append((trees[-1], trees[0]))
    for old, new in pairs:
        expected = reference(await everything(old), await everything(new), prefix)
        warm = [change async for change in diff_trees(old, new, prefix)]
        assert warm == expected
        cold_old, cold_new = Tree(reader, old.table), Tree(reader, new.table)
        cold = [change async for change in diff_trees(cold_old, cold_new, prefix)]
        assert cold == expected
        # some ranges decoded in memory, the others read undecoded
        half = ManifestStore(layer, DecodedCache(), range_entries=4)
        await half.load_ranges(old.table.refs()[::2] + new.table.refs()[1::3])
        half_old, half_new = Tree(half, old.table), Tree(half, new.table)
        mixed = [change async for change in diff_trees(half_old, half_new, prefix)]
        assert mixed == expected
        backwards = [change async for change in diff_trees(new, old, prefix)]
        assert backwards == [(path, y, x) for path, x, y in expected]


@settings(max_examples=200, deadline=None)
@given(
    count=st.integers(0, 300),
    changed=st.lists(st.tuples(st.integers(0, 299), st.integers(0, 31)), max_size=20),
)
def test_changed_ids_are_found_wherever_they_differ(
    count: int, changed: list[tuple[int, int]]
) -> None:
    """_mismatches flags ids by their first bytes and proves the rest equal; ids that
    differ only further in (here: in any one chosen byte) are still all found."""
    ids = bytearray(b"".join(hashlib.sha256(b"%d" % k).digest() for k in range(count)))
    other = bytearray(ids)
    for position, byte in changed:
        if position < count:
            other[32 * position + byte] ^= 0x5A
    expected = [k for k in range(count) if ids[32 * k : 32 * k + 32] != other[32 * k : 32 * k + 32]]
    assert range_ids._mismatches(bytes(ids), bytes(other)) == expected


@settings(max_examples=200, deadline=None)
@given(
    head=st.integers(0, 40),
    middle_x=st.integers(0, 5),
    middle_y=st.integers(0, 5),
    tail=st.integers(0, 40),
)
def test_common_runs_of_ids(head: int, middle_x: int, middle_y: int, tail: int) -> None:
    def ids(tag: bytes, count: int) -> bytes:
        return b"".join(hashlib.sha256(tag + b"%d" % k).digest() for k in range(count))

    x = ids(b"h", head) + ids(b"x", middle_x) + ids(b"t", tail)
    y = ids(b"h", head) + ids(b"y", middle_y) + ids(b"t", tail)
    found_head = range_ids._common_prefix(x, y)
    assert found_head == (head + tail if middle_x == middle_y == 0 else head)
    limit = min(len(x), len(y)) // 32 - found_head
    assert range_ids._common_suffix(x, y, limit) == min(tail, limit)


@pytest.mark.parametrize("batch", [1, 2, 64])
async def test_ranges_rewritten_in_place_then_split(
    layer: ObjectLayer, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    """Pairs of ranges with the same bounds are compared pair by pair until one pair
    does not match (a range split by insertions); the rest is grouped, never repeated."""
    monkeypatch.setattr(diff_module, "BATCH", batch)
    writer = ManifestStore(layer, DecodedCache(), range_entries=4)
    base = {f"p/{k:03d}": entry(f"p/{k:03d}", (0, 0, None)) for k in range(0, 80, 2)}
    before = await build(writer, Tree(writer, EMPTY_TABLE), dict(base))
    changes: dict[str, Entry | None] = {"p/004": entry("p/004", (1, 0, None))}
    changes.update({f"p/04{k}x": entry(f"p/04{k}x", (2, 0, None)) for k in range(6)})
    changes["p/070"] = entry("p/070", (3, 0, None))
    after = await build(writer, before, changes)
    assert len(after.table) > len(before.table)  # the middle range was split
    expected = reference(await everything(before), await everything(after), "")
    assert [p for p, _, _ in expected] == sorted(changes)
    for old, new in (
        (before, after),
        (
            Tree(ManifestStore(layer, DecodedCache(), range_entries=4), before.table),
            Tree(ManifestStore(layer, DecodedCache(), range_entries=4), after.table),
        ),
    ):
        assert [change async for change in diff_trees(old, new)] == expected


def test_an_undecodable_entry_is_an_integrity_error() -> None:
    with pytest.raises(IntegrityError, match=r"could not be decoded.*restore"):
        decode_entry(msgspec.Raw(b"\xc1"), "range r")
