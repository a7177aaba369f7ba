"""The local backend never writes outside its folder, even when one of its own internal
folders (or files) has been replaced by a symbolic link."""

from __future__ import annotations

from pathlib import Path

import pytest

from sapwood.errors import StorageError
from sapwood_local import LocalStorage
from sapwood_local.folder import key_hash
from sapwood_local.locks import stripe_of

INTERNAL = [".sapwood-local", ".sapwood-local/meta", ".sapwood-local/tmp", ".sapwood-local/locks"]


def everything(folder: Path) -> list[Path]:
    """Every file and folder under ``folder``."""
    return sorted(folder.rglob("*"))


@pytest.mark.parametrize("internal", INTERNAL)
async def test_an_internal_folder_that_is_a_link_is_refused(tmp_path: Path, internal: str) -> None:
    root = tmp_path / "store"
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / ".sapwood-local").mkdir(parents=True)
    link = root / internal
    if link.exists():
        link.rmdir()
    link.symlink_to(outside, target_is_directory=True)
    store = LocalStorage(str(root))
    with pytest.raises(StorageError, match="symbolic link"):
        await store.put("k", b"data", content_type="text/plain", metadata={"m": "1"})
    assert everything(outside) == []
    await store.close()


async def test_a_sidecar_shard_that_is_a_link_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "store"
    outside = tmp_path / "outside"
    outside.mkdir()
    store = LocalStorage(str(root))
    await store.put("first", b"x")  # creates the internal folders
    shard = root / ".sapwood-local" / "meta" / key_hash("k")[:2]
    shard.symlink_to(outside, target_is_directory=True)
    with pytest.raises(StorageError, match="symbolic link"):
        await store.put("k", b"data", metadata={"m": "1"})
    assert everything(outside) == []
    await store.close()


async def test_a_lock_file_that_is_a_link_creates_nothing_outside(tmp_path: Path) -> None:
    root = tmp_path / "store"
    store = LocalStorage(str(root))
    await store.put("first", b"x")
    target = tmp_path / "outside-lock"
    lock = root / ".sapwood-local" / "locks" / stripe_of(key_hash("k"))
    if lock.exists():
        lock.unlink()
    lock.symlink_to(target)
    with pytest.raises(StorageError):
        await store.put("k", b"data")
    assert target not in everything(tmp_path)
    await store.close()
