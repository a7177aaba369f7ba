"""Manifest trees: copy-on-write changes against a dict model, range bounds, and reuse."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sapwood.engine.cache import DecodedCache
from sapwood.engine.diff import diff_trees
from sapwood.engine.format import EMPTY_TABLE, Entry, RangeTable
from sapwood.engine.manifests import ManifestStore, Tree, merge_changes
from sapwood.layer import ObjectLayer
from sapwood_memory.storage import MemoryStorage, drop_bucket

PATHS = st.sampled_from([f"{d}/{f:03d}" for d in "abcde" for f in range(40)])
CONTENT = st.binary(min_size=0, max_size=3)
CHANGES = st.dictionaries(PATHS, st.none() | CONTENT, max_size=60)


def entry(path: str, data: bytes) -> Entry:
    return Entry(path, len(data), data.ljust(32, b"-"), 0, inline=data)


def as_entries(changes: dict[str, bytes | None]) -> dict[str, Entry | None]:
    return {p: None if d is None else entry(p, d) for p, d in changes.items()}


def store(range_entries: int = 4) -> ManifestStore:
    layer = ObjectLayer(MemoryStorage(f"manifests-{uuid.uuid4().hex[:10]}"))
    return ManifestStore(layer, DecodedCache(), range_entries=range_entries)


async def contents(tree: Tree) -> dict[str, bytes]:
    return {e.path: e.inline or b"" async for e in tree.entries()}


def apply_model(model: dict[str, bytes], changes: dict[str, bytes | None]) -> dict[str, bytes]:
    result = dict(model)
    for path, data in changes.items():
        if data is None:
            result.pop(path, None)
        else:
            result[path] = data
    return result


def check_shape(table: RangeTable, range_entries: int) -> None:
    assert table.firsts == sorted(table.firsts)
    for index in range(len(table)):
        assert table.firsts[index] <= table.lasts[index]
        if index:
            assert table.lasts[index - 1] < table.firsts[index]
        assert 1 <= table.counts[index] <= 2 * range_entries


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(CHANGES, min_size=1, max_size=5))
async def test_applying_changes_matches_a_dict(rounds: list[dict[str, bytes | None]]) -> None:
    manifests = store()
    try:
        tree = Tree(manifests, EMPTY_TABLE)
        model: dict[str, bytes] = {}
        for changes in rounds:
            table = await tree.apply(as_entries(changes))
            previous, tree = tree, Tree(manifests, table)
            model = apply_model(model, changes)
            assert await contents(tree) == model
            assert tree.count == len(model)
            check_shape(table, manifests.range_entries)
            for path in list(model)[:5]:
                found = await tree.get(path)
                assert found is not None
                assert found.inline == model[path]
            assert await tree.get("zzz/none") is None
            found_many = await tree.get_many(["a/000", "e/039", "nope"])
            assert set(found_many) == {p for p in ("a/000", "e/039") if p in model}
            diffs = {p: (old, new) async for p, old, new in diff_trees(previous, tree)}
            before = await contents(previous)
            expected = {p for p in set(before) | set(model) if before.get(p) != model.get(p)}
            assert set(diffs) == expected
            prefixed = [p async for p, _, _ in diff_trees(previous, tree, prefix="b/")]
            assert prefixed == sorted(p for p in expected if p.startswith("b/"))
    finally:
        drop_bucket(manifests.layer.storage.name)  # type: ignore[attr-defined]


async def test_untouched_ranges_are_reused_and_one_pack_is_written() -> None:
    manifests = store(range_entries=8)
    base = {f"{d}/{f:03d}": b"v" for d in "abcde" for f in range(40)}
    tree = Tree(manifests, await Tree(manifests, EMPTY_TABLE).apply(as_entries(dict(base))))
    before = tree.table
    assert len(before) == 25
    table = await tree.apply(as_entries({"c/010": b"new", "c/011": None}))
    changed = [i for i in range(len(table)) if table.id_at(i) not in set(before.id_list())]
    assert len(changed) == 1
    assert len(set(before.id_list()) - set(table.id_list())) == 1
    assert len(table.packs) == len(set(before.packs)) + 1


async def test_entries_respect_prefix_and_start() -> None:
    manifests = store()
    base = {f"{d}/{f:03d}": b"v" for d in "abc" for f in range(10)}
    tree = Tree(manifests, await Tree(manifests, EMPTY_TABLE).apply(as_entries(dict(base))))
    listed = [e.path async for e in tree.entries(prefix="b/", start="b/004")]
    assert listed == [f"b/{f:03d}" for f in range(4, 10)]
    seek = await tree.first_at_or_after("b/0045")
    assert seek is not None
    assert seek.path == "b/005"
    assert await tree.first_at_or_after("zzz") is None


async def test_following_gives_the_next_paths_across_ranges() -> None:
    manifests = store(range_entries=4)
    paths = sorted(f"{d}/{f:03d}" for d in "abc" for f in range(10))
    tree = Tree(
        manifests, await Tree(manifests, EMPTY_TABLE).apply(as_entries(dict.fromkeys(paths, b"v")))
    )
    assert len(tree) > 3
    for at, path in enumerate(paths):
        got = [e.path for e in await tree.following(path, 6)]
        assert got == paths[at + 1 : at + 7]
    assert [e.path for e in await tree.following("a/0045", 2)] == ["a/005", "a/006"]
    assert [e.path for e in await tree.following("", 1)] == [paths[0]]
    assert await tree.following("zzz", 5) == []
    assert await Tree(manifests, EMPTY_TABLE).following("a", 5) == []


def test_a_change_to_identical_content_keeps_the_old_entry() -> None:
    old = [entry("a", b"1"), entry("b", b"2")]
    same = Entry("b", 1, b"2".ljust(32, b"-"), 99, inline=b"2")
    merged, changed = merge_changes(old, [("b", same), ("c", None)])
    assert merged == old
    assert merged[1] is old[1]
    assert not changed
