"""Group durability: deferred writes are fsynced together before the next write that is
not deferred, so a ref never reaches stable storage ahead of what it refers to."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from sapwood.errors import ConfigError
from sapwood.storage import deferred_durability
from sapwood_local import LocalStorage, durability


def _record_fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every fsync from now on, as the path of the file or folder synced, in order."""
    synced: list[str] = []
    real: Callable[[int], None] = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    real_replace = os.replace

    def replace(source: str, target: str) -> None:
        real_replace(source, target)
        synced.append(f"renamed to {target}")

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    return synced


pytestmark = pytest.mark.skipif(
    not os.path.isdir("/proc/self/fd"), reason="names fsynced files through /proc"
)


async def test_deferred_writes_are_synced_before_the_next_plain_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalStorage(str(tmp_path / "store"))
    await store.put("warm-up", b"x")  # creates the folders and syncs them
    synced = _record_fsyncs(monkeypatch)
    with deferred_durability():
        await store.put("blobs/ab/abcd", b"content" * 100)
        await store.put("blobs/cd/cdef", b"other" * 100)
    assert [event for event in synced if not event.startswith("renamed")] == []
    root = store.root
    synced.clear()
    await store.put("refs/main", b"pointer", mode="create")
    ref_appears = synced.index(f"renamed to {root}/refs/main")
    before_ref = set(synced[:ref_appears])
    assert {f"{root}/blobs/ab/abcd", f"{root}/blobs/cd/cdef"} <= before_ref
    assert {f"{root}/blobs/ab", f"{root}/blobs/cd", f"{root}/blobs", root} <= before_ref
    assert any(path.startswith(f"{root}/.sapwood-local/tmp/") for path in before_ref)
    assert f"{root}/refs" in synced[ref_appears:]  # the ref's own name, once it is there
    await store.close()


async def test_close_syncs_what_is_pending(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalStorage(str(tmp_path / "store"))
    await store.put("warm-up", b"x")
    synced = _record_fsyncs(monkeypatch)
    with deferred_durability():
        await store.put("blob", b"content")
    assert [event for event in synced if not event.startswith("renamed")] == []
    await store.close()
    assert f"{store.root}/blob" in synced
    synced.clear()
    await store.close()
    assert synced == []  # nothing left pending


async def test_without_deferral_every_write_is_synced_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalStorage(str(tmp_path / "store"))
    await store.put("warm-up", b"x")
    synced = _record_fsyncs(monkeypatch)
    await store.put("blob", b"content")
    assert f"{store.root}" in synced  # the folder holding the new name
    fsynced = [event for event in synced if not event.startswith("renamed")]
    assert any(path.startswith(f"{store.root}/.sapwood-local/tmp/") for path in fsynced)


async def test_conditional_writes_are_never_deferred(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalStorage(str(tmp_path / "store"))
    await store.put("warm-up", b"x")
    synced = _record_fsyncs(monkeypatch)
    with deferred_durability():
        await store.put("ref", b"pointer", mode="create")
    assert f"{store.root}" in synced
    assert not durability.pending()


async def test_fsync_off_defers_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalStorage(str(tmp_path / "store"), fsync=False)
    synced = _record_fsyncs(monkeypatch)
    with deferred_durability():
        await store.put("blob", b"content")
    await store.put("ref", b"pointer", mode="create")
    await store.close()
    assert [event for event in synced if not event.startswith("renamed")] == []
    assert not durability.pending()


def _many_deferred_blobs(store: LocalStorage, count: int) -> list[str]:
    return [f"blobs/{index % 7:02x}/{index:04x}" for index in range(count)]


async def test_a_large_round_is_one_syncfs_per_file_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalStorage(str(tmp_path / "store"))
    await store.put("warm-up", b"x")
    keys = _many_deferred_blobs(store, durability._WHOLE_FILE_SYSTEM_FROM)
    with deferred_durability():
        for key in keys:
            await store.put(key, key.encode() * 50)
    real_syncfs = durability._syncfs  # None on a kernel whose syncfs hides write errors
    file_systems: list[str] = []

    def syncfs(fd: int) -> int:
        file_systems.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real_syncfs(fd) if real_syncfs is not None else 0

    monkeypatch.setattr(durability, "_syncfs", syncfs)
    synced = _record_fsyncs(monkeypatch)
    await store.put("refs/main", b"pointer", mode="create")
    ref_appears = synced.index(f"renamed to {store.root}/refs/main")
    assert len(file_systems) == 1  # one file system holds the whole store
    assert [event for event in synced[:ref_appears] if not event.startswith("renamed")] == []
    assert not durability.pending()
    await store.close()


async def test_a_large_round_falls_back_to_fsyncs_when_syncfs_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalStorage(str(tmp_path / "store"))
    await store.put("warm-up", b"x")
    keys = _many_deferred_blobs(store, durability._WHOLE_FILE_SYSTEM_FROM)
    with deferred_durability():
        for key in keys:
            await store.put(key, key.encode() * 50)
    monkeypatch.setattr(durability, "_syncfs", lambda fd: -1)
    synced = _record_fsyncs(monkeypatch)
    await store.put("refs/main", b"pointer", mode="create")
    ref_appears = synced.index(f"renamed to {store.root}/refs/main")
    before_ref = set(synced[:ref_appears])
    assert {f"{store.root}/{key}" for key in keys} <= before_ref
    assert {f"{store.root}/blobs/00", f"{store.root}/blobs", store.root} <= before_ref
    await store.close()


async def test_syncfs_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalStorage(str(tmp_path / "store"))
    keys = _many_deferred_blobs(store, durability._WHOLE_FILE_SYSTEM_FROM)
    with deferred_durability():
        for key in keys:
            await store.put(key, key.encode() * 50)
    calls: list[int] = []
    monkeypatch.setattr(durability, "_syncfs", lambda fd: calls.append(fd) or 0)
    monkeypatch.setenv(durability.SYNCFS_VARIABLE, "0")
    synced = _record_fsyncs(monkeypatch)
    await store.put("refs/main", b"pointer", mode="create")
    assert calls == []  # file by file instead
    assert {f"{store.root}/{key}" for key in keys} <= set(synced)
    await store.close()


def test_a_bad_syncfs_setting_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(durability.SYNCFS_VARIABLE, "yes please")
    with pytest.raises(ConfigError, match="neither 0 nor 1") as caught:
        durability.syncfs_allowed()
    assert caught.value.field == durability.SYNCFS_VARIABLE
    monkeypatch.setenv(durability.SYNCFS_VARIABLE, "1")
    assert durability.syncfs_allowed()
