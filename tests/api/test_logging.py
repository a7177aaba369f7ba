"""sapwood logs its operations under ``sapwood.*`` loggers (INFO: open, create, commit,
merge, GC, expiry, retries, folders; DEBUG: detail), and never a secret."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import sapwood
from sapwood.layer import ChaosStorage
from sapwood.stores import open_storage

SECRET = "s3cr3t-VALUE-never-logged"


def messages(caplog: pytest.LogCaptureFixture) -> list[tuple[str, int, str]]:
    return [(r.name, r.levelno, r.getMessage()) for r in caplog.records]


def test_operations_are_logged_at_info(
    caplog: pytest.LogCaptureFixture, memory_url: str, tmp_path: Path
) -> None:
    caplog.set_level(logging.INFO, logger="sapwood")
    credentials = sapwood.StaticCredentials(access_key_id="AKIDLOGTEST", secret_access_key=SECRET)
    repo = sapwood.Repository.create(memory_url, credentials)
    main = repo.branch("main")
    main.upload(b"a", "a.txt")
    main.commit_changes("Add a")
    repo.branch("dev").create("main")
    repo.branch("dev").upload(b"b", "b.txt")
    repo.branch("dev").commit_changes("Add b")
    repo.ref("dev").merge_into("main")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "f").write_bytes(b"f")
    main.upload_folder(tmp_path / "folder", "f")
    main.commit_changes("folder")
    repo.expire_snapshots(datetime.now(UTC) - timedelta(days=1))
    repo.garbage_collect(datetime.now(UTC) - timedelta(days=1), dry_run=True)
    repo.close()
    again = sapwood.Repository.open(memory_url, credentials)
    again.close()

    logged = messages(caplog)
    text = "\n".join(message for _, _, message in logged)
    assert all(name.startswith("sapwood.") for name, _, _ in logged)
    assert "created repository at memory://" in text
    assert "opened repository at memory://" in text
    assert "on 'main' (1 change(s)): Add a" in text
    assert "merged 'dev' into 'main'" in text
    assert "staged folder" in text
    assert "expired 0 commit(s)" in text
    assert "garbage collection would delete" in text
    assert SECRET not in text
    assert SECRET not in caplog.text


def test_retries_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="sapwood.layer")
    flaky = ChaosStorage(
        open_storage(f"memory://log-{uuid.uuid4().hex[:8]}"),
        failure_ratio=0.5,
        after_write_ratio=0.0,
        seed=3,
    )
    repo = sapwood.Repository.create(flaky)
    main = repo.branch("main")
    for index in range(5):
        main.upload(f"{index}".encode() * 600, f"f{index}")
    main.commit_changes("through a flaky store")
    repo.close()
    retried = [m for name, _, m in messages(caplog) if name == "sapwood.layer.retries"]
    assert retried
    assert all(m.startswith("retrying a ") for m in retried)


def test_nothing_is_logged_below_the_level_asked(
    caplog: pytest.LogCaptureFixture, memory_url: str
) -> None:
    caplog.set_level(logging.WARNING, logger="sapwood")
    repo = sapwood.Repository.create(memory_url)
    repo.branch("main").upload(b"x", "x")
    repo.branch("main").commit_changes("quiet")
    repo.close()
    assert [r for r in caplog.records if r.levelno < logging.WARNING] == []
