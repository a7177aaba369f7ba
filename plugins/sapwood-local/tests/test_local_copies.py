"""A repository folder survives being copied, archived and restored: blobs and snapshots
describe their own encoding (no sidecar), and the sidecars that carry the other objects'
metadata (refs, the config) are trusted by a digest of the data, not by inode and
modification time, and a read never deletes one. Format 1 repositories, whose compressed
blobs keep their encoding in sidecars, are copied in test_local_formats.py."""

from __future__ import annotations

import os
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
import zstandard

import sapwood
from sapwood_local import LocalStorage

FILES = {
    "text.csv": b"id,name\n" + b"1,ada\n" * 2000,  # compressible: stored zstd-compressed
    "big/blob.bin": os.urandom(3000),
    "tiny.txt": b"t",
    "archive.zst": zstandard.ZstdCompressor().compress(os.urandom(3000)),  # starts with the magic
}


def sidecars(root: Path) -> set[Path]:
    """Every sidecar file under the store's hidden folder."""
    return {p for p in (root / ".sapwood-local" / "meta").rglob("*") if p.is_file()}


def build(folder: Path) -> str:
    """A repository at ``folder`` holding :data:`FILES` on main and a second branch; the
    head commit id."""
    with sapwood.repository(folder.as_uri()) as repo:
        main = repo.branch("main")
        for path, data in FILES.items():
            main.upload(data, path)
        head = main.commit_changes("files").id
        repo.branch("dev").create("main")
        return head


def copy_plain(source: Path, target: Path) -> None:
    """``cp -r``: new inodes and new modification times."""
    shutil.copytree(source, target, copy_function=shutil.copyfile)


def copy_whole_seconds(source: Path, target: Path) -> None:
    """``rsync -t`` to a file system (or with a tool) that keeps whole seconds."""
    shutil.copytree(source, target)
    for path in target.rglob("*"):
        if path.is_file():
            stat = path.stat()
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns // 10**9 * 10**9))


def copy_by_tar(source: Path, target: Path) -> None:
    """Archive as a GNU tar (whole-second times) and extract elsewhere."""
    archive = source.parent / "backup.tar"
    with tarfile.open(archive, "w", format=tarfile.GNU_FORMAT) as tar:
        tar.add(source, arcname=".")
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")


COPIES: dict[str, Callable[[Path, Path], None]] = {
    "cp -r": copy_plain,
    "whole-second times": copy_whole_seconds,
    "tar": copy_by_tar,
}


@pytest.mark.parametrize("how", sorted(COPIES))
def test_a_copied_repository_reads_like_the_original(tmp_path: Path, how: str) -> None:
    original = tmp_path / "original"
    head = build(original)
    copy = tmp_path / "copy"
    COPIES[how](original, copy)
    before = {p.relative_to(copy) for p in sidecars(copy)}
    assert before, "refs and the config keep their metadata in sidecars"
    with sapwood.Repository.open(copy.as_uri()) as repo:
        main = repo.branch("main")
        assert main.get_commit().id == head
        for path, data in FILES.items():
            assert main.download(path) == data
        main.upload(b"after the copy", "new.txt")
        main.commit_changes("in the copy")
        assert [c.message for c in main.log()][:2] == ["in the copy", "files"]
    assert before <= {p.relative_to(copy) for p in sidecars(copy)}, "no sidecar was lost"
    with sapwood.Repository.open(copy.as_uri()) as again:  # and once more, repaired
        assert again.branch("dev").download("text.csv") == FILES["text.csv"]


async def test_a_sidecar_that_does_not_apply_is_ignored_not_deleted(tmp_path: Path) -> None:
    store = LocalStorage(str(tmp_path / "store"))
    await store.put("k", b"original bytes", content_type="text/plain", metadata={"a": "1"})
    kept = sidecars(tmp_path / "store")
    (tmp_path / "store" / "k").write_bytes(b"edited by hand")  # another tool rewrote it
    meta = await store.head("k")
    assert meta.metadata == {}
    assert meta.content_type is None
    assert await store.get("k") == b"edited by hand"
    assert sidecars(tmp_path / "store") == kept  # the read destroyed nothing
    (tmp_path / "store" / "k").write_bytes(b"original bytes")  # restored from a backup
    restored = await store.head("k")
    assert restored.metadata == {"a": "1"}
    assert restored.content_type == "text/plain"
    await store.put("k", b"plain")  # a write without metadata replaces the sidecar
    assert sidecars(tmp_path / "store") == set()
    await store.close()
