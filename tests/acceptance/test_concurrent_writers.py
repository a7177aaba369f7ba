"""Many writers, no server: processes committing to one branch of a local repository lose
no commit, and readers always see complete commits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sapwood

WORKER = """
import sys
import sapwood

url, worker = sys.argv[1], sys.argv[2]
with sapwood.repository(url) as repo:
    main = repo.branch("main")
    for number in range(3):
        with main.transaction(f"worker {worker} commit {number}") as tx:
            tx.upload(f"{worker}-{number}".encode(), f"w{worker}/{number}.txt")
"""


def test_processes_committing_to_one_branch_lose_nothing(tmp_path: Path) -> None:
    url = (tmp_path / "shared").as_uri()
    sapwood.Repository.create(url).close()
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, str(worker)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for worker in range(3)
    ]
    for process in workers:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    with sapwood.Repository.open(url) as repo:
        main = repo.branch("main")
        paths = sorted(i.path for i in main.list_objects())
        assert paths == sorted(f"w{w}/{n}.txt" for w in range(3) for n in range(3))
        messages = [c.message for c in main.log()]
        assert len(messages) == 10
        assert len(set(messages)) == 10
        assert main.download("w2/1.txt") == b"2-1"


def test_a_commit_through_one_handle_is_read_at_once_through_another(tmp_path: Path) -> None:
    url = (tmp_path / "two-handles").as_uri()
    with sapwood.Repository.create(url) as writer, sapwood.Repository.open(url) as reader:
        assert not reader.branch("main").exists("new.txt")  # the reader has seen the head
        main = writer.branch("main")
        main.upload(b"fresh", "new.txt")
        commit = main.commit_changes("Add new.txt")
        assert reader.branch("main").download("new.txt") == b"fresh"
        assert reader.branch("main").get_commit() == commit
        assert [i.path for i in reader.ref("main").list_objects()] == ["new.txt"]
