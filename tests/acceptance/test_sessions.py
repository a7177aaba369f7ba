"""Sessions: readonly_session by branch / tag / snapshot_id / as_of, writable_session with
commit and discard, and picklable forks merged back."""

from __future__ import annotations

import pickle
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

import sapwood


def commit_file(branch: sapwood.Branch, path: str, data: bytes, message: str) -> sapwood.Commit:
    """Upload one file to ``branch`` and commit it."""
    branch.upload(data, path)
    return branch.commit_changes(message)


def test_readonly_session_on_branch(repo: sapwood.Repository) -> None:
    commit_file(repo.branch("main"), "a", b"1", "one")
    session = repo.readonly_session("main")
    assert isinstance(session, sapwood.Session)
    assert session.download("a") == b"1"
    assert session.exists("a")
    assert [i.path for i in session.list_objects()] == ["a"]
    assert session.stat_object("a").size_bytes == 1
    with session.open("a", "rb") as reader:
        assert reader.read() == b"1"
    assert repo.readonly_session(branch="main").download("a") == b"1"


def test_readonly_session_default_is_main(repo: sapwood.Repository) -> None:
    commit_file(repo.branch("main"), "a", b"1", "one")
    assert repo.readonly_session().download("a") == b"1"


def test_readonly_session_is_pinned(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    commit_file(main, "a", b"1", "one")
    session = repo.readonly_session(branch="main")
    commit_file(main, "a", b"2", "two")
    assert session.download("a") == b"1"


def test_readonly_session_by_tag_and_snapshot(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    c1 = commit_file(main, "a", b"1", "one")
    repo.tag("v1").create(c1)
    commit_file(main, "a", b"2", "two")
    assert repo.readonly_session(tag="v1").download("a") == b"1"
    assert repo.readonly_session(snapshot_id=c1.id).download("a") == b"1"
    assert repo.readonly_session(branch="main").download("a") == b"2"


def test_readonly_session_as_of(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    c1 = commit_file(main, "a", b"1", "one")
    c2 = commit_file(main, "a", b"2", "two")
    assert c2.committed_at >= c1.committed_at
    assert repo.readonly_session(branch="main", as_of=c1.committed_at).download("a") == b"1"
    later = c2.committed_at + timedelta(seconds=1)
    assert repo.readonly_session(branch="main", as_of=later).download("a") == b"2"


def test_readonly_session_refuses_writes(repo: sapwood.Repository) -> None:
    session = repo.readonly_session(branch="main")
    with pytest.raises(sapwood.SapwoodError):
        session.upload(b"x", "x")


def test_readonly_session_missing_ref(repo: sapwood.Repository) -> None:
    with pytest.raises(sapwood.RefNotFoundError):
        repo.readonly_session(branch="nope")
    with pytest.raises(sapwood.RefNotFoundError):
        repo.readonly_session(tag="nope")


def test_writable_session_commit(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    before = main.get_commit()
    session = repo.writable_session("main")
    session.upload(b"s", "s.txt")
    with session.open("w.bin", "wb") as writer:
        writer.write(b"written")
    assert session.download("s.txt") == b"s"
    assert {c.path for c in session.list_uncommitted()} == {"s.txt", "w.bin"}
    assert not main.exists("s.txt")
    commit = session.commit("from session", metadata={"k": "v"})
    assert isinstance(commit, sapwood.Commit)
    assert commit.message == "from session"
    assert commit.metadata == {"k": "v"}
    assert list(commit.parents) == [before.id]
    assert main.get_commit().id == commit.id
    assert main.download("w.bin") == b"written"


def test_writable_session_copy_and_delete(repo: sapwood.Repository) -> None:
    commit_file(repo.branch("main"), "a", b"1", "one")
    session = repo.writable_session("main")
    session.copy_object("main", "a", "b")
    session.delete_objects(["a"])
    session.commit("move")
    main = repo.branch("main")
    assert main.download("b") == b"1"
    assert not main.exists("a")


def test_writable_session_discard(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    before = main.get_commit()
    session = repo.writable_session("main")
    session.upload(b"x", "x")
    session.discard()
    assert list(session.list_uncommitted()) == []
    assert main.get_commit().id == before.id
    assert not main.exists("x")


def test_sessions_accept_reference_objects(repo: sapwood.Repository) -> None:
    c1 = commit_file(repo.branch("main"), "a", b"1", "one")
    repo.tag("v1").create(c1)
    dev = repo.branch("dev").create("main")
    main = repo.branch("main")
    assert repo.readonly_session(branch=main).download("a") == b"1"
    assert repo.readonly_session(tag=repo.tag("v1")).download("a") == b"1"
    session = repo.writable_session(dev)
    session.upload(b"d", "d")
    session.commit("d")
    assert dev.download("d") == b"d"


def test_fork_is_picklable_and_merges_back(repo: sapwood.Repository) -> None:
    session = repo.writable_session("main")
    session.upload(b"parent", "parent.txt")
    forks = [pickle.loads(pickle.dumps(session.fork())) for _ in range(3)]
    for number, fork in enumerate(forks):
        fork.upload(f"worker {number}".encode(), f"part-{number}.txt")
    session.merge(*forks)
    session.commit("workers")
    main = repo.branch("main")
    assert sorted(i.path for i in main.list_objects()) == [
        "parent.txt",
        "part-0.txt",
        "part-1.txt",
        "part-2.txt",
    ]
    assert main.download("part-2.txt") == b"worker 2"


def test_fork_cannot_commit_itself(repo: sapwood.Repository) -> None:
    fork = repo.writable_session("main").fork()
    fork.upload(b"x", "x")
    with pytest.raises(sapwood.SapwoodError):
        fork.commit("forks are merged, not committed")


def test_two_sessions_on_disjoint_paths_both_land(repo: sapwood.Repository) -> None:
    first = repo.writable_session("main")
    second = repo.writable_session("main")
    first.upload(b"1", "one")
    second.upload(b"2", "two")
    first.commit("one")
    second.commit("two")
    main = repo.branch("main")
    assert main.download("one") == b"1"
    assert main.download("two") == b"2"
    assert [c.message for c in main.log(max_amount=2)] == ["two", "one"]


def test_two_sessions_on_the_same_path_conflict(repo: sapwood.Repository) -> None:
    first = repo.writable_session("main")
    second = repo.writable_session("main")
    first.upload(b"1", "same")
    second.upload(b"2", "same")
    first.commit("one")
    with pytest.raises(sapwood.ConflictError):
        second.commit("two")
    assert repo.branch("main").download("same") == b"1"


WORKER = """
import pickle, sys
path = sys.argv[1]
with open(path, "rb") as handle:
    fork = pickle.load(handle)
fork.upload(f"written by worker {sys.argv[2]}".encode() * 100, f"worker-{sys.argv[2]}.txt")
with open(path, "wb") as handle:
    pickle.dump(fork, handle)
"""


def test_forks_travel_to_worker_processes(file_url: str, tmp_path: Path) -> None:
    repo = sapwood.repository(file_url)
    session = repo.writable_session("main")
    pickles = []
    for number in range(2):
        path = tmp_path / f"fork-{number}.pickle"
        path.write_bytes(pickle.dumps(session.fork()))
        pickles.append(path)
    for number, path in enumerate(pickles):
        result = subprocess.run(
            [sys.executable, "-c", WORKER, str(path), str(number)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
    session.merge(*(pickle.loads(path.read_bytes()) for path in pickles))
    session.commit("two workers")
    main = repo.branch("main")
    assert [i.path for i in main.list_objects()] == ["worker-0.txt", "worker-1.txt"]
    assert main.download("worker-1.txt") == b"written by worker 1" * 100
    repo.close()
