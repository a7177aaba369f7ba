"""Maintenance: expire_snapshots and garbage_collect (with dry_run)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import sapwood


def stored_files(folder: Path) -> set[Path]:
    """Every file under ``folder``."""
    return {p for p in folder.rglob("*") if p.is_file()}


def future() -> datetime:
    """A moment after everything the test stored."""
    return datetime.now(UTC) + timedelta(hours=1)


def test_garbage_collect_removes_unreachable_history(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    repo = sapwood.repository(folder.as_uri())
    main = repo.branch("main")
    main.upload(b"kept", "keep.txt")
    main.commit_changes("keep")
    dev = repo.branch("dev").create("main")
    dev.upload(b"garbage " * 10_000, "garbage.bin")
    garbage_commit = dev.commit_changes("garbage")
    dev.delete()
    before = stored_files(folder)
    repo.garbage_collect(future(), dry_run=True)
    assert stored_files(folder) == before
    assert repo.commit(garbage_commit.id).download("garbage.bin").startswith(b"garbage")
    repo.garbage_collect(future())
    after = stored_files(folder)
    assert before - after
    # What a collection adds is its own bookkeeping: its run record (which writers check
    # before committing) and the local backend's lock files.
    assert all("gc-runs" in p.parts or ".sapwood-local" in p.parts for p in after - before)
    assert main.download("keep.txt") == b"kept"
    with pytest.raises(sapwood.SapwoodError):
        repo.commit(garbage_commit.id).download("garbage.bin")
    repo.close()


def test_garbage_collect_keeps_recent_objects(repo: sapwood.Repository) -> None:
    dev = repo.branch("dev").create("main")
    dev.upload(b"recent", "recent.bin")
    recent = dev.commit_changes("recent")
    dev.delete()
    repo.garbage_collect(datetime.now(UTC) - timedelta(hours=1))
    assert repo.commit(recent.id).download("recent.bin") == b"recent"


def test_garbage_collect_keeps_tags_and_branches(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"1", "a")
    c1 = main.commit_changes("one")
    repo.tag("v1").create(c1)
    main.upload(b"2", "a")
    main.commit_changes("two")
    main.upload(b"staged", "s")
    repo.expire_snapshots(future())
    repo.garbage_collect(future())
    assert repo.tag("v1").download("a") == b"1"
    assert main.download("a") == b"2"
    assert main.download("s") == b"staged"
    main.commit_changes("after gc")
    assert repo.branch("main").download("s") == b"staged"


def test_expire_snapshots_cuts_old_history(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    ids = []
    for number in range(4):
        main.upload(str(number).encode(), "n")
        ids.append(main.commit_changes(f"c{number}").id)
    expired = repo.expire_snapshots(future())
    assert set(ids[:-1]) <= set(expired)
    assert ids[-1] not in set(expired)
    log = [c.id for c in main.log()]
    assert log[0] == ids[-1]
    assert not set(ids[:-1]) & set(log)
    assert main.download("n") == b"3"


def test_expire_snapshots_with_old_cutoff_expires_nothing(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    for number in range(3):
        main.upload(str(number).encode(), "n")
        main.commit_changes(f"c{number}")
    expired = repo.expire_snapshots(datetime.now(UTC) - timedelta(hours=1))
    assert list(expired) == []
    assert len(list(main.log())) == 4
