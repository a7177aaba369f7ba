"""What DESIGN.md promises about the stored form, checked by what lands in a local folder:
big files share unchanged chunks between versions, tiny files are inlined in manifests,
and a commit of one change rewrites little of a large repository."""

from __future__ import annotations

import os
from pathlib import Path

import sapwood


def footprint(folder: Path) -> tuple[int, int]:
    """(number of files, total bytes) stored under ``folder``."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def test_versions_of_a_big_file_share_unchanged_chunks(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    repo = sapwood.repository(folder.as_uri())
    main = repo.branch("main")
    payload = bytearray(os.urandom(16 * 1024 * 1024))
    main.upload(bytes(payload), "big.bin")
    main.commit_changes("big")
    _, first = footprint(folder)
    assert first >= len(payload)
    payload[8_000_000:8_000_016] = b"sixteen bytes!!!"
    main.upload(bytes(payload), "big.bin")
    main.commit_changes("a 16-byte edit")
    _, second = footprint(folder)
    assert second - first < len(payload) // 4
    assert main.download("big.bin") == bytes(payload)
    repo.close()


def test_tiny_files_are_inlined(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    repo = sapwood.repository(folder.as_uri())
    main = repo.branch("main")
    files_before, _ = footprint(folder)
    for number in range(200):
        main.upload(f"tiny {number}".encode(), f"tiny/{number:03}.txt")
    main.commit_changes("200 tiny files")
    files_after, _ = footprint(folder)
    assert files_after - files_before < 50
    assert main.download("tiny/123.txt") == b"tiny 123"
    repo.close()


def test_one_change_in_a_large_repository_rewrites_little(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    repo = sapwood.repository(folder.as_uri())
    main = repo.branch("main")
    for number in range(3000):
        main.upload(f"row {number}".encode(), f"rows/{number:05}.txt")
    main.commit_changes("3000 rows")
    files_before, bytes_before = footprint(folder)
    main.upload(b"edited", "rows/01500.txt")
    main.commit_changes("one edit")
    files_after, bytes_after = footprint(folder)
    assert files_after - files_before < 10
    assert bytes_after - bytes_before < bytes_before // 5
    assert [c.path for c in repo.ref("main~1").diff("main")] == ["rows/01500.txt"]
    repo.close()
