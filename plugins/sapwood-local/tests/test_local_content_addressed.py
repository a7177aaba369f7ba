"""Writes of immutable keys (inside ``content_addressed_writes``) take no lock and leave
no sidecar, yet stay inside the store's folder and durable as any deferred write."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from sapwood.errors import InvalidPathError
from sapwood.storage import ObjectMeta, content_addressed_writes, immutable_object_writes
from sapwood_local import LocalStorage, durability

BLOB = b"chunk bytes " * 300


def _locks(store: LocalStorage) -> list[str]:
    folder = Path(store.root) / ".sapwood-local" / "locks"
    return sorted(os.listdir(folder)) if folder.is_dir() else []


async def test_an_immutable_write_takes_no_lock(local_store: LocalStorage) -> None:
    with content_addressed_writes():
        await local_store.put("blobs/ab/abcd", BLOB)
    assert _locks(local_store) == []
    assert await local_store.get("blobs/ab/abcd") == BLOB
    await local_store.put("refs/main", b"pointer")  # an ordinary write does lock
    assert len(_locks(local_store)) == 1


async def test_racing_writers_of_one_immutable_key_leave_it_whole(
    local_store: LocalStorage,
) -> None:
    with immutable_object_writes():
        metas = await asyncio.gather(
            *(asyncio.to_thread(_put_blocking, local_store, "blobs/ra/raced") for _ in range(16))
        )
    assert await local_store.get("blobs/ra/raced") == BLOB
    head = await local_store.head("blobs/ra/raced")
    assert head.etag in {meta.etag for meta in metas}, "the object is one writer's"
    assert os.listdir(Path(local_store.root) / ".sapwood-local" / "tmp") == []


def _put_blocking(store: LocalStorage, key: str) -> ObjectMeta:
    """A put in a thread of its own, so that the writers really overlap."""
    return store.folder.put(key, BLOB, "overwrite", None, None)


async def test_an_immutable_write_with_metadata_is_coordinated(local_store: LocalStorage) -> None:
    with content_addressed_writes():
        await local_store.put("described", BLOB, content_type="text/plain")
    assert len(_locks(local_store)) == 1
    assert (await local_store.head("described")).content_type == "text/plain"


async def test_no_temporary_file_is_left_behind(local_store: LocalStorage) -> None:
    with immutable_object_writes():
        for index in range(5):
            await local_store.put(f"blobs/{index:02x}/{index:04x}", BLOB)
    assert os.listdir(Path(local_store.root) / ".sapwood-local" / "tmp") == []


async def test_a_deferred_immutable_write_waits_for_the_group_fsync(
    local_store: LocalStorage,
) -> None:
    await local_store.put("warm-up", b"x")
    before = durability.pending()
    with immutable_object_writes():
        await local_store.put("blobs/cd/cdef", BLOB)
    assert durability.pending() == before + 1
    await local_store.put("refs/main", b"pointer")  # not deferred: flushes the group
    assert durability.pending() == 0


async def test_a_link_at_the_key_is_replaced_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"not yours")
    store = LocalStorage(str(tmp_path / "root"))
    await store.put("warm-up", b"x")
    (tmp_path / "root" / "blobs").mkdir()
    os.symlink(outside, tmp_path / "root" / "blobs" / "planted")
    with content_addressed_writes():
        await store.put("blobs/planted", BLOB)
    assert outside.read_bytes() == b"not yours"
    assert not (tmp_path / "root" / "blobs" / "planted").is_symlink()
    assert await store.get("blobs/planted") == BLOB
    await store.close()


async def test_a_linked_folder_leading_outside_is_still_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    store = LocalStorage(str(tmp_path / "root"))
    await store.put("warm-up", b"x")
    os.symlink(outside, tmp_path / "root" / "blobs")
    with content_addressed_writes(), pytest.raises(InvalidPathError, match="outside"):
        await store.put("blobs/ab/abcd", BLOB)
    assert list(outside.iterdir()) == []
    await store.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks a child process")
def test_a_forked_child_stages_under_names_of_its_own() -> None:
    from sapwood_local import folder

    parent_name = folder._staging_name()
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.close(reader)
        os.write(writer, folder._staging_name().encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        child_name = pipe.read().decode()
    os.waitpid(child, 0)
    parent_prefix, child_prefix = parent_name.rpartition(".")[0], child_name.rpartition(".")[0]
    assert child_prefix != parent_prefix
    assert child_prefix.split(".")[1] == str(child)
    assert folder._staging_name() != parent_name  # the count moves on
