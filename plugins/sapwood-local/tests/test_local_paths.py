"""The local backend never reads or writes outside its folder, and says why it refuses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sapwood.errors import InvalidPathError
from sapwood.storage import ObjectMeta
from sapwood_local import LocalStorage

OUTSIDE = "outside the store's folder"

BAD_KEYS = [
    pytest.param("../escaped", r"'\.\.' segment", id="parent"),
    pytest.param("a/../../escaped", r"'\.\.' segment", id="parent-inside"),
    pytest.param("a/./b", r"'\.' segment", id="dot"),
    pytest.param("/etc/passwd", "absolute", id="absolute"),
    pytest.param("a//b", "empty segment", id="double-slash"),
    pytest.param("a/", "empty segment", id="trailing-slash"),
    pytest.param("", "non-empty", id="empty"),
    pytest.param("nul\x00byte", "NUL", id="nul"),
    pytest.param(".sapwood-local/meta/x", r"\.sapwood-local", id="reserved"),
]


@pytest.mark.parametrize(("key", "reason"), BAD_KEYS)
async def test_bad_keys_are_refused_everywhere(
    local_store: LocalStorage, tmp_path: Path, key: str, reason: str
) -> None:
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(InvalidPathError, match=reason):
        await local_store.put(key, b"x")
    for call in (local_store.get, local_store.head, local_store.delete):
        with pytest.raises(InvalidPathError, match=reason):
            await call(key)
    assert sorted(os.listdir(tmp_path)) == before
    assert not (tmp_path / "escaped").exists()


async def test_listing_prefix_cannot_climb_out(local_store: LocalStorage) -> None:
    await local_store.put("k", b"x")
    with pytest.raises(InvalidPathError, match=r"'\.\.' segment"):
        [e async for e in local_store.list("../")]
    with pytest.raises(InvalidPathError, match="absolute"):
        [e async for e in local_store.list("/etc/")]


async def test_symlinked_folder_pointing_outside_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"do not read")
    store = LocalStorage(str(tmp_path / "root"))
    await store.put("inside", b"fine")
    os.symlink(outside, tmp_path / "root" / "link")

    with pytest.raises(InvalidPathError, match=OUTSIDE):
        await store.get("link/secret")
    with pytest.raises(InvalidPathError, match=OUTSIDE):
        await store.put("link/planted", b"evil")
    with pytest.raises(InvalidPathError, match=OUTSIDE):
        await store.put("link/new/deeper/planted", b"evil")
    with pytest.raises(InvalidPathError, match=OUTSIDE):
        [e async for e in store.list("link/")]
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]
    listed = [e.key async for e in store.list() if isinstance(e, ObjectMeta)]
    assert listed == ["inside"], "links leading outside are not listed"


async def test_symlinked_file_pointing_outside_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_bytes(b"do not read")
    store = LocalStorage(str(tmp_path / "root"))
    await store.put("inside", b"fine")
    os.symlink(outside, tmp_path / "root" / "leak")
    with pytest.raises(InvalidPathError, match=OUTSIDE):
        await store.get("leak")
    with pytest.raises(InvalidPathError, match=OUTSIDE):
        await store.head("leak")
    assert [e.key async for e in store.list() if isinstance(e, ObjectMeta)] == ["inside"]
    assert outside.read_bytes() == b"do not read"


async def test_symlinked_file_inside_the_root_is_readable(tmp_path: Path) -> None:
    store = LocalStorage(str(tmp_path / "root"))
    await store.put("real/target", b"shared bytes")
    os.symlink(tmp_path / "root" / "real" / "target", tmp_path / "root" / "alias")
    assert await store.get("alias") == b"shared bytes"
    keys = [e.key async for e in store.list() if isinstance(e, ObjectMeta)]
    assert keys == ["alias", "real/target"]


async def test_root_that_is_itself_a_symlink_works(tmp_path: Path) -> None:
    (tmp_path / "real-root").mkdir()
    os.symlink(tmp_path / "real-root", tmp_path / "root-link")
    store = LocalStorage(str(tmp_path / "root-link"))
    await store.put("a/b", b"through the link")
    assert (tmp_path / "real-root" / "a" / "b").read_bytes() == b"through the link"
    assert await store.get("a/b") == b"through the link"


async def test_overlong_segment_is_an_invalid_path(local_store: LocalStorage) -> None:
    with pytest.raises(InvalidPathError, match="shorter key"):
        await local_store.put("x" * 300, b"x")
    with pytest.raises(InvalidPathError, match="shorter key"):
        await local_store.get("x" * 300)
