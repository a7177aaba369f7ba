"""``Branch.upload_folder`` and ``Reference.download_folder``: the ``local/a/b`` <->
``prefix + "a/b"`` mapping, re-sync skipping, ``delete=True``, progress, and the decisions on
symlinks, empty files, special files and names that cannot be object paths."""

from __future__ import annotations

import asyncio
import os
import uuid
import warnings
from collections.abc import Mapping
from pathlib import Path

import pytest

import sapwood
from sapwood.aio import AsyncRepository
from sapwood.aio.folders import MAX_TRANSFERS
from sapwood.storage import ObjectMeta, PutMode
from sapwood_memory.storage import MemoryStorage, drop_bucket


def make_tree(root: Path) -> dict[str, bytes]:
    files = {
        "a.txt": b"alpha",
        "empty": b"",
        "nested/deeper/b.bin": os.urandom(50_000),
        "nested/c.csv": b"id\n1\n",
        "big/large.bin": os.urandom(9 * 1024 * 1024),
    }
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


def tree_of(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }


def test_round_trip_gives_back_the_same_tree(repo: sapwood.Repository, tmp_path: Path) -> None:
    files = make_tree(tmp_path / "src")
    main = repo.branch("main")
    summary = main.upload_folder(tmp_path / "src", "data")
    assert summary.transferred_objects == len(files)
    assert summary.transferred_bytes == sum(len(d) for d in files.values())
    assert sorted(c.path for c in main.list_uncommitted()) == sorted(
        f"data/{name}" for name in files
    )
    main.commit_changes("upload")
    result = repo.ref("main").download_folder(tmp_path / "out", "data/")
    assert result.transferred_objects == len(files)
    assert tree_of(tmp_path / "out") == files
    assert not list((tmp_path / "out").rglob("*.sapwood-partial"))


def test_an_unchanged_folder_is_not_sent_again(repo: sapwood.Repository, tmp_path: Path) -> None:
    files = make_tree(tmp_path / "src")
    main = repo.branch("main")
    main.upload_folder(tmp_path / "src")
    main.commit_changes("first")
    (tmp_path / "src" / "a.txt").write_bytes(b"ALPHA")
    again = main.upload_folder(tmp_path / "src")
    assert again.transferred_objects == 1
    assert again.unchanged_objects == len(files) - 1
    assert [c.path for c in main.list_uncommitted()] == ["a.txt"]
    main.commit_changes("second")
    out = tmp_path / "out"
    repo.ref("main").download_folder(out)
    second = repo.ref("main").download_folder(out)
    assert second.transferred_objects == 0
    assert second.unchanged_objects == len(files)


def test_delete_stages_removal_only_under_the_prefix(
    repo: sapwood.Repository, tmp_path: Path
) -> None:
    make_tree(tmp_path / "src")
    main = repo.branch("main")
    main.upload(b"keep me", "outside.txt")
    main.upload_folder(tmp_path / "src", "data")
    main.commit_changes("first")
    (tmp_path / "src" / "nested" / "c.csv").unlink()
    plain = main.upload_folder(tmp_path / "src", "data")
    assert plain.deleted_objects == 0
    synced = main.upload_folder(tmp_path / "src", "data", delete=True)
    assert synced.deleted_objects == 1
    assert synced.deleted_bytes == 5
    assert [(c.type, c.path) for c in main.list_uncommitted()] == [("removed", "data/nested/c.csv")]
    main.commit_changes("sync")
    assert main.exists("outside.txt")


def test_progress_callback_reaches_the_totals(repo: sapwood.Repository, tmp_path: Path) -> None:
    files = make_tree(tmp_path / "src")
    calls: list[tuple[int, int, int, int]] = []
    repo.branch("main").upload_folder(
        tmp_path / "src", progress=lambda *report: calls.append(report)
    )
    total = sum(len(d) for d in files.values())
    assert calls[-1] == (total, total, len(files), len(files))
    done = [c[0] for c in calls]
    assert done == sorted(done)
    with pytest.raises(TypeError, match="progress"):
        repo.branch("main").upload_folder(tmp_path / "src", progress="yes")  # type: ignore[arg-type]


def test_symlinks_special_files_and_empty_files(repo: sapwood.Repository, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "real").mkdir(parents=True)
    (src / "real" / "data.txt").write_bytes(b"data")
    (src / "empty").write_bytes(b"")
    os.symlink(src / "real" / "data.txt", src / "file-link")
    os.symlink(src / "real", src / "folder-link")
    os.symlink(src / "missing", src / "dangling")
    os.mkfifo(src / "pipe")
    with pytest.warns(sapwood.SkippedPathWarning, match="3 path"):
        summary = repo.branch("main").upload_folder(src)
    assert summary.skipped == (
        "dangling (dangling symlink)",
        "folder-link (symlink to a folder)",
        "pipe (FIFO)",
    )
    main = repo.branch("main")
    assert main.download("file-link") == b"data"
    assert main.stat_object("empty").size_bytes == 0
    assert not main.exists("folder-link/data.txt")


def test_names_that_cannot_be_paths_refuse_the_folder(
    repo: sapwood.Repository, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "fine.txt").write_bytes(b"ok")
    (src / os.fsdecode(b"caf\xe9.txt")).write_bytes(b"latin-1 name")
    (src / "line\nbreak").write_bytes(b"control character")
    with pytest.raises(sapwood.InvalidPathError, match=r"2 name\(s\)") as caught:
        repo.branch("main").upload_folder(src)
    assert "caf\\xe9.txt" in str(caught.value)
    assert "rename them" in str(caught.value)
    assert list(repo.branch("main").list_uncommitted()) == []


def test_bad_local_paths(repo: sapwood.Repository, tmp_path: Path) -> None:
    with pytest.raises(sapwood.InvalidPathError, match="does not exist"):
        repo.branch("main").upload_folder(tmp_path / "absent")
    (tmp_path / "file").write_bytes(b"x")
    with pytest.raises(sapwood.InvalidPathError, match="not a folder"):
        repo.branch("main").upload_folder(tmp_path / "file")
    with pytest.raises(sapwood.InvalidPathError, match="not a folder"):
        repo.ref("main").download_folder(tmp_path / "file")


def test_objects_that_are_also_folders_refuse_download(
    repo: sapwood.Repository, tmp_path: Path
) -> None:
    main = repo.branch("main")
    main.upload(b"file", "x/a")
    main.upload(b"inside", "x/a/b")
    main.commit_changes("clash")
    with pytest.raises(sapwood.InvalidPathError, match="also folders"):
        repo.ref("main").download_folder(tmp_path / "out", "x")
    repo.ref("main").download_folder(tmp_path / "out", "x/a/")
    assert (tmp_path / "out" / "b").read_bytes() == b"inside"


def test_download_reads_one_commit(repo: sapwood.Repository, tmp_path: Path) -> None:
    main = repo.branch("main")
    main.upload(b"v1", "f")
    first = main.commit_changes("v1")
    main.upload(b"v2", "f")
    main.commit_changes("v2")
    repo.commit(first.id).download_folder(tmp_path / "old")
    assert (tmp_path / "old" / "f").read_bytes() == b"v1"


async def test_async_twins(memory_url: str, tmp_path: Path) -> None:
    files = make_tree(tmp_path / "src")
    repo = await AsyncRepository.create(memory_url)
    try:
        main = repo.branch("main")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            summary = await main.upload_folder(tmp_path / "src", "p/")
        assert summary.transferred_objects == len(files)
        await main.commit_changes("async")
        await repo.ref("main").download_folder(tmp_path / "out", "p")
        assert tree_of(tmp_path / "out") == files
    finally:
        await repo.close()


def test_a_transaction_and_sessions_move_folders_too(
    repo: sapwood.Repository, tmp_path: Path
) -> None:
    files = make_tree(tmp_path / "src")
    main = repo.branch("main")
    with main.transaction("Add a folder in one commit") as tx:
        summary = tx.upload_folder(tmp_path / "src", "data")
        assert summary.transferred_objects == len(files)
        # What the session sees, staged changes included, goes out before the commit.
        tx.download_folder(tmp_path / "staged", "data")
    assert tree_of(tmp_path / "staged") == files
    assert main.get_commit().message == "Add a folder in one commit"
    assert sorted(i.path for i in main.list_objects()) == sorted(f"data/{n}" for n in files)
    (tmp_path / "src" / "a.txt").unlink()
    session = repo.writable_session("main")
    again = session.upload_folder(tmp_path / "src", "data/", delete=True)
    assert (again.transferred_objects, again.unchanged_objects, again.deleted_objects) == (
        0,
        len(files) - 1,
        1,
    )
    session.commit("Drop a.txt")
    repo.readonly_session("main").download_folder(tmp_path / "out", "data/")
    assert tree_of(tmp_path / "out") == {n: d for n, d in files.items() if n != "a.txt"}
    with pytest.raises(sapwood.SapwoodError, match="read-only"):
        repo.readonly_session("main").upload_folder(tmp_path / "src")


class SlowPutStorage(MemoryStorage):
    """A memory store whose puts take a moment, counting how many are in flight at once."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.active = 0
        self.most_active = 0

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        try:
            await asyncio.sleep(0.005)
            return await super().put(
                key, data, mode=mode, content_type=content_type, metadata=metadata
            )
        finally:
            self.active -= 1


def test_many_files_are_in_flight_at_once_but_bounded(tmp_path: Path) -> None:
    source = tmp_path / "many"
    source.mkdir()
    for index in range(120):
        (source / f"f{index:03d}").write_bytes(os.urandom(2048))
    name = f"folders-{uuid.uuid4().hex[:8]}"
    store = SlowPutStorage(name)
    repo = sapwood.Repository.create(store)
    try:
        store.most_active = 0
        summary = repo.branch("main").upload_folder(source)
        assert summary.transferred_objects == 120
        assert store.most_active > 8, "files go up concurrently, not one by one"
        # Bounded by the folder's transfers plus the blobs written behind them.
        assert store.most_active <= MAX_TRANSFERS + repo.aio.engine.blobs.window
    finally:
        repo.close()
        drop_bucket(name)
