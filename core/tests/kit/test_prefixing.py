"""KeyPrefix: store keys to bucket keys and back, and listing windows checked against a
brute-force listing over random key sets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sapwood.errors import InvalidPathError
from sapwood.kit.prefixing import (
    KeyPrefix,
    ListingWindow,
    after_every_key_in,
    merge_in_key_order,
)
from sapwood.storage import CommonPrefix, ListEntry, ObjectMeta, group_by_delimiter

_SEGMENT = st.text(alphabet="ab/-\u00e9\U0010ffff", min_size=1, max_size=4)
_KEY = st.lists(_SEGMENT, min_size=1, max_size=3).map("".join)
_PREFIX = st.sampled_from(["", "root", "/root/", "a/b", "é"])


@pytest.mark.parametrize(
    ("prefix", "root"), [("", ""), ("/", ""), ("data", "data/"), ("/data/v1/", "data/v1/")]
)
def test_the_root_ignores_outer_slashes(prefix: str, root: str) -> None:
    keys = KeyPrefix(prefix)
    assert keys.root == root
    assert keys.prefix == root.rstrip("/")
    assert keys.full("k") == root + "k"


@given(prefix=_PREFIX, key=_KEY)
def test_store_keys_round_trip(prefix: str, key: str) -> None:
    keys = KeyPrefix(prefix)
    assert keys.store_key(keys.full(key)) == key
    assert keys.object_key(key) == keys.full(key)


def test_an_empty_object_key_and_a_foreign_bucket_key_are_refused() -> None:
    keys = KeyPrefix("data")
    with pytest.raises(InvalidPathError, match="must not be empty"):
        keys.object_key("")
    with pytest.raises(InvalidPathError, match="outside this store's prefix 'data'"):
        keys.store_key("other/k")


def test_after_every_key_in() -> None:
    assert after_every_key_in("a/") == "a0"
    assert after_every_key_in("a\U0010ffff") is None
    assert after_every_key_in("") is None


def test_a_start_after_outside_the_prefix() -> None:
    keys = KeyPrefix("r")
    assert keys.window("b/", None, "c").empty, "everything under b/ sorts before c"
    before = keys.window("b/", None, "a")
    assert not before.empty
    assert before.start_after is None, "everything under b/ sorts after a"
    assert keys.window("b/", None, "").start_after is None


def test_a_start_after_inside_a_group_names_the_group() -> None:
    window = KeyPrefix("r").window("d/", "/", "d/x/1")
    assert window == ListingWindow(
        full_prefix="r/d/",
        start_after="r/d/x/1",
        group_holding_start="r/d/x/",
        resume_at="r/d/x0",
    )
    assert KeyPrefix("r").window("d/", None, "d/x/1").group_holding_start is None


def _service_listing(
    bucket: list[str], keys: KeyPrefix, prefix: str, delimiter: str | None, start: str | None
) -> list[ListEntry]:
    """What a store does with a window over a service that lists from an inclusive start
    and groups before filtering (as GCS's startOffset and Azure's startFrom do)."""
    window = keys.window(prefix, delimiter, start)
    if window.empty:
        return []
    out: list[ListEntry] = []
    low, start_from = window.start_after, window.start_after
    group = window.group_holding_start
    if group is not None:
        if any(k.startswith(group) and low is not None and k > low for k in bucket):
            out.append(CommonPrefix(keys.store_key(group)))
        start_from = window.resume_at
    under = sorted(
        k
        for k in bucket
        if k.startswith(window.full_prefix) and (start_from is None or k >= start_from)
    )
    metas = [ObjectMeta(key=k, size=0) for k in under]
    for entry in group_by_delimiter(metas, window.full_prefix, delimiter):
        name = entry.key if isinstance(entry, ObjectMeta) else entry.path
        if low is not None and name <= low:
            continue
        if isinstance(entry, ObjectMeta):
            out.append(ObjectMeta(key=keys.store_key(name), size=0))
        else:
            out.append(CommonPrefix(keys.store_key(name)))
    return out


@given(
    prefix=_PREFIX,
    stored=st.lists(_KEY, max_size=12, unique=True),
    others=st.lists(_KEY, max_size=4),
    list_prefix=st.sampled_from(["", "a", "a/", "b/", "é"]),
    delimiter=st.sampled_from([None, "/", "-"]),
    start_after=st.one_of(st.none(), _KEY, st.sampled_from(["", "a/", "b"])),
    start_at_stored=st.integers(min_value=-1, max_value=11),
)
def test_windowed_listings_match_a_brute_force_listing(
    prefix: str,
    stored: list[str],
    others: list[str],
    list_prefix: str,
    delimiter: str | None,
    start_after: str | None,
    start_at_stored: int,
) -> None:
    if 0 <= start_at_stored < len(stored):
        # A stored key as start_after: it often falls inside a group that has later keys.
        start_after = stored[start_at_stored]
    keys = KeyPrefix(prefix)
    # Keys beside a store's root (another store in the same bucket) must never show up.
    beside = [f"zz-other/{k}" for k in others] if keys.root else []
    bucket = [keys.full(k) for k in stored] + beside
    expected = group_by_delimiter(
        [
            ObjectMeta(key=k, size=0)
            for k in sorted(stored)
            if k.startswith(list_prefix) and (not start_after or k > start_after)
        ],
        list_prefix,
        delimiter,
    )
    assert _service_listing(bucket, keys, list_prefix, delimiter, start_after) == expected


def test_merge_in_key_order_reports_each_prefix_once() -> None:
    seen: set[str] = set()
    first = merge_in_key_order([ObjectMeta(key="b", size=1)], ["a/", "c/"], seen)
    assert first == [CommonPrefix("a/"), ObjectMeta(key="b", size=1), CommonPrefix("c/")]
    second = merge_in_key_order([ObjectMeta(key="d", size=1)], ["c/"], seen)
    assert second == [ObjectMeta(key="d", size=1)]
    assert merge_in_key_order([], ["x/"]) == [CommonPrefix("x/")]
