"""Sessions through the sync API: time travel with as_of, forks that pickle to worker
processes and merge back, and maintenance (expire, garbage collect)."""

from __future__ import annotations

import multiprocessing
import pickle
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sapwood


def test_as_of_reads_the_branch_as_it_was_then(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"first", "state.txt")
    main.commit_changes("first")
    time.sleep(0.01)
    between = datetime.now(UTC)
    time.sleep(0.01)
    main.upload(b"second", "state.txt")
    main.commit_changes("second")
    assert repo.readonly_session("main", as_of=between).download("state.txt") == b"first"
    assert repo.readonly_session("main").download("state.txt") == b"second"


def stage_in_worker(pickled: bytes, number: int) -> bytes:
    fork: sapwood.Session = pickle.loads(pickled)
    fork.upload(f"from worker {number}".encode(), f"workers/{number}.txt")
    return pickle.dumps(fork)


def test_forks_pickle_to_other_processes_and_merge_back(tmp_path: Path) -> None:
    with sapwood.repository(tmp_path / "repo") as repository:
        session = repository.writable_session("main")
        forks = [pickle.dumps(session.fork()) for _ in range(3)]
        context = multiprocessing.get_context("fork")
        with context.Pool(3) as pool:
            returned = pool.starmap(stage_in_worker, [(fork, n) for n, fork in enumerate(forks)])
        session.merge(*(pickle.loads(item) for item in returned))
        commit = session.commit("work from three processes")
        main = repository.branch("main")
        assert main.get_commit() == commit
        assert [o.path for o in main.list_objects(prefix="workers/")] == [
            "workers/0.txt",
            "workers/1.txt",
            "workers/2.txt",
        ]
        assert main.download("workers/2.txt") == b"from worker 2"


def stage_in_a_copy(pickled: bytes) -> str:
    copy: sapwood.Session = pickle.loads(pickled)
    try:
        copy.upload(b"lost?", "copied.txt")
    except sapwood.SapwoodError as refused:
        return str(refused)
    return "staged"


def test_a_writable_session_pickled_into_a_worker_refuses_to_stage(tmp_path: Path) -> None:
    """What a plain copy stages in a worker would never come back (ds.to_zarr on a Dask
    cluster): refused, pointing at fork() and to_sapwood, rather than silently lost."""
    with sapwood.repository(tmp_path / "repo") as repository:
        session = repository.writable_session("main")
        session.upload(b"kept", "kept.txt")
        context = multiprocessing.get_context("fork")
        with context.Pool(1) as pool:
            (answer,) = pool.map(stage_in_a_copy, [pickle.dumps(session)])
        assert "fork()" in answer
        assert "to_sapwood" in answer
        # In the process that made it, a copy still stages (and commits) as before.
        copy = pickle.loads(pickle.dumps(session))
        copy.upload(b"here", "here.txt")
        commit = copy.commit("from a copy in the same process")
    with sapwood.Repository.open(tmp_path / "repo") as reopened:
        main = reopened.branch("main")
        assert main.get_commit() == commit
        assert main.download("here.txt") == b"here"
        assert main.download("kept.txt") == b"kept"


def test_expire_and_garbage_collect(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    for version in range(3):
        main.upload(f"version {version}".encode() * 100, "file.bin")
        main.commit_changes(f"v{version}")
    expired = repo.expire_snapshots(datetime.now(UTC) + timedelta(seconds=1))
    assert main.get_commit().id not in expired
    assert len(expired) >= 2
    preview = repo.garbage_collect(datetime.now(UTC) + timedelta(seconds=1), dry_run=True)
    assert preview.dry_run
    assert preview.blobs_deleted == 2
    done = repo.garbage_collect(datetime.now(UTC) + timedelta(seconds=1))
    assert done.blobs_deleted == 2
    assert main.download("file.bin") == b"version 2" * 100
