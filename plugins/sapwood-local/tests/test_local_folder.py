"""How the local backend lays objects out in its folder and treats files it did not write."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from sapwood.config import ObjectStoreConfig
from sapwood.errors import ConfigError, NotFoundError, PreconditionFailedError, StorageError
from sapwood.storage import CommonPrefix, ObjectMeta, Update
from sapwood.stores import open_storage
from sapwood_local import LocalStorage


def test_file_url_gives_a_local_config() -> None:
    config = ObjectStoreConfig.from_url("file:///abs/path")
    assert (config.object_store, config.prefix) == ("local", "/abs/path")


async def test_relative_folder_resolves_against_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_storage("file://data/repo")
    assert isinstance(store, LocalStorage)
    assert store.root == str(tmp_path / "data" / "repo")
    (tmp_path / "data").mkdir()
    await store.put("k", b"v")
    assert (tmp_path / "data" / "repo" / "k").read_bytes() == b"v"


def test_fsync_setting_comes_from_the_url(tmp_path: Path) -> None:
    fast = open_storage(f"file://{tmp_path}?fsync=false")
    assert isinstance(fast, LocalStorage)
    assert fast.folder.fsync is False
    safe = open_storage(f"file://{tmp_path}")
    assert isinstance(safe, LocalStorage)
    assert safe.folder.fsync is True
    with pytest.raises(ConfigError, match="extra"):
        open_storage(f"file://{tmp_path}?fsink=false")


def test_a_folder_is_required() -> None:
    with pytest.raises(ConfigError, match="folder"):
        open_storage(ObjectStoreConfig(object_store="local"))


async def test_objects_are_plain_files_and_internals_stay_hidden(tmp_path: Path) -> None:
    store = LocalStorage(str(tmp_path / "root"))
    await store.put("dir/file.txt", b"exact bytes", content_type="text/plain", metadata={"a": "b"})
    assert (tmp_path / "root" / "dir" / "file.txt").read_bytes() == b"exact bytes"
    assert sorted(os.listdir(tmp_path / "root")) == [".sapwood-local", "dir"]
    assert [e async for e in store.list("", "/")] == [CommonPrefix("dir/")]
    listed = [e.key async for e in store.list() if isinstance(e, ObjectMeta)]
    assert listed == ["dir/file.txt"]
    leftovers = os.listdir(tmp_path / "root" / ".sapwood-local" / "tmp")
    assert leftovers == [], "no temporary file is left behind by a finished write"


async def test_the_root_is_created_on_first_write_if_its_parent_exists(tmp_path: Path) -> None:
    store = LocalStorage(str(tmp_path / "new-root"))
    with pytest.raises(NotFoundError, match="does not exist"):
        await store.get("k")
    assert [e async for e in store.list()] == []
    await store.delete("k")
    assert not (tmp_path / "new-root").exists(), "reads and deletes create nothing"
    await store.put("k", b"v")
    assert (tmp_path / "new-root" / "k").read_bytes() == b"v"


async def test_a_missing_parent_folder_is_a_clear_error(tmp_path: Path) -> None:
    root = tmp_path / "no" / "such" / "root"
    store = LocalStorage(str(root))
    with pytest.raises(StorageError, match="does not exist") as caught:
        await store.put("k", b"v")
    assert str(root) in str(caught.value)
    assert not (tmp_path / "no").exists()


async def test_a_root_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(StorageError, match="is a file, not a folder"):
        await LocalStorage(str(tmp_path / "file")).put("k", b"v")


async def test_a_key_cannot_be_both_an_object_and_a_folder(local_store: LocalStorage) -> None:
    await local_store.put("a", b"object")
    with pytest.raises(StorageError, match="'a' is an object"):
        await local_store.put("a/b", b"under it")
    await local_store.put("x/y", b"object in folder x")
    with pytest.raises(StorageError, match="is a folder holding other objects"):
        await local_store.put("x", b"x")
    with pytest.raises(NotFoundError):
        await local_store.get("x")
    assert await local_store.get("a") == b"object"
    assert await local_store.get("x/y") == b"object in folder x"


async def test_deleting_removes_folders_left_empty(local_store: LocalStorage) -> None:
    await local_store.put("deep/er/est/leaf", b"x")
    await local_store.put("deep/keep", b"y")
    await local_store.delete("deep/er/est/leaf")
    root = Path(local_store.root)
    assert not (root / "deep" / "er").exists()
    assert (root / "deep" / "keep").exists()
    await local_store.put("deep/er", b"now a file")
    assert await local_store.get("deep/er") == b"now a file"


async def test_files_written_by_other_tools_are_objects(tmp_path: Path) -> None:
    (tmp_path / "root" / "sub").mkdir(parents=True)
    (tmp_path / "root" / "sub" / "external.csv").write_bytes(b"a,b\n1,2\n")
    store = LocalStorage(str(tmp_path / "root"))
    meta = await store.head("sub/external.csv")
    assert meta.size == 8
    assert meta.etag
    assert meta.metadata == {}
    data, with_data = await store.get_with_meta("sub/external.csv")
    assert (data, with_data.etag) == (b"a,b\n1,2\n", meta.etag)
    listed = [e async for e in store.list()]
    assert listed == [meta]

    (tmp_path / "root" / "sub" / "external.csv").write_bytes(b"edited by hand, longer")
    edited = await store.head("sub/external.csv")
    assert edited.etag != meta.etag
    with pytest.raises(PreconditionFailedError):
        await store.put("sub/external.csv", b"stale", mode=Update(meta.etag))
    assert edited.etag is not None
    await store.put("sub/external.csv", b"swapped", mode=Update(edited.etag))
    assert (tmp_path / "root" / "sub" / "external.csv").read_bytes() == b"swapped"


async def test_a_hand_edit_of_a_stored_object_drops_its_stale_metadata(tmp_path: Path) -> None:
    store = LocalStorage(str(tmp_path / "root"))
    written = await store.put("k", b"original", metadata={"about": "original"})
    (tmp_path / "root" / "k").write_bytes(b"edited by hand")
    meta = await store.head("k")
    assert meta.etag != written.etag
    assert meta.metadata == {}
    assert await store.get("k") == b"edited by hand"


async def test_a_copied_store_keeps_etags_and_metadata(tmp_path: Path) -> None:
    original = LocalStorage(str(tmp_path / "original"))
    written = await original.put("k", b"v", content_type="text/plain", metadata={"m": "1"})
    shutil.copytree(tmp_path / "original", tmp_path / "copy", symlinks=True)
    copy = LocalStorage(str(tmp_path / "copy"))
    meta = await copy.head("k")
    assert (meta.etag, meta.content_type, meta.metadata) == (
        written.etag,
        "text/plain",
        {"m": "1"},
    )
    assert written.etag is not None
    await copy.put("k", b"w", mode=Update(written.etag))
    assert await original.get("k") == b"v"


async def test_every_write_gets_a_new_etag_even_for_identical_bytes(
    local_store: LocalStorage,
) -> None:
    etags = []
    for payload in (b"A", b"B", b"A", b"A"):
        etags.append((await local_store.put("ref", payload)).etag)
    assert len(set(etags)) == 4, "an etag seen before must never come back (no ABA)"
    stale = etags[0]
    assert stale is not None
    with pytest.raises(PreconditionFailedError):
        await local_store.put("ref", b"C", mode=Update(stale))


async def test_objects_without_metadata_need_no_sidecar(local_store: LocalStorage) -> None:
    await local_store.put("plain", b"x")
    meta_dir = Path(local_store.root) / ".sapwood-local" / "meta"
    assert [p for p in meta_dir.rglob("*") if p.is_file()] == []
    await local_store.put("plain", b"y", metadata={"now": "with metadata"})
    assert len([p for p in meta_dir.rglob("*") if p.is_file()]) == 1
    await local_store.put("plain", b"z")
    assert [p for p in meta_dir.rglob("*") if p.is_file()] == [], "a stale sidecar is removed"
    assert (await local_store.head("plain")).metadata == {}
