"""Four committers on one branch at once, on every backend: separate processes (spawned,
each opening the repository itself), or threads for the in-process memory backend.

No commit may be lost: afterwards the branch's history holds exactly every commit each
worker was told succeeded, each with exactly its own changes, and the tree has them all.
When all write the same path, each read-modify-write either rebases cleanly or gets a
ConflictError; the counter they increment shows whether an update was silently lost.
"""

from __future__ import annotations

import json

import pytest

import sapwood

from .runner import COMMITTERS, WorkerPool, run_workers
from .targets import ALL_BACKENDS, Target
from .verify import check_consistency
from .workloads import (
    COUNTER_PATH,
    Job,
    distinct_paths,
    own_content,
    own_path,
    same_path,
    shared_content,
    shared_path,
)

WORKERS = COMMITTERS


def commits_per_worker(target: Target) -> int:
    """25 on local storage and in memory; 8 against emulators, whose every request is an
    HTTP round trip to a single-process server on this small machine (4 x 25 commits there
    would take minutes and prove nothing more than 4 x 8 racing ones)."""
    return 25 if target.backend in ("local", "memory") else 8


def _history_since(repo: sapwood.Repository, base: str) -> list[sapwood.Commit]:
    """The branch's commits after ``base``, oldest first (``base`` must be in history)."""
    newer: list[sapwood.Commit] = []
    for commit in repo.branch("main").log():
        if commit.id == base:
            return newer[::-1]
        newer.append(commit)
    raise AssertionError(f"the base commit {base[:12]} is no longer in main's history")


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_no_lost_commit_with_distinct_paths(target: Target, worker_pool: WorkerPool) -> None:
    count = commits_per_worker(target)
    with target.create() as repo:
        base = repo.branch("main").get_commit().id
    jobs = [Job(target, worker, count) for worker in range(WORKERS)]

    made = run_workers(distinct_paths, jobs, worker_pool)

    with target.open() as repo:
        history = _history_since(repo, base)
        assert len(history) == WORKERS * count
        assert {c.id for c in history} == {commit for ids in made for commit in ids}
        for worker, ids in enumerate(made):
            mine = [c for c in history if c.metadata.get("worker") == str(worker)]
            assert [c.id for c in mine] == ids  # in the order the worker made them
            assert [c.metadata["seq"] for c in mine] == [str(n) for n in range(count)]

        previous = base
        for commit in history:  # linear history, each commit changing only its own paths
            assert commit.parents == (previous,)
            worker, number = int(commit.metadata["worker"]), int(commit.metadata["seq"])
            changes = {(c.type, c.path) for c in repo.commit(previous).diff(commit.id)}
            shared_change = "added" if number == 0 else "changed"
            assert changes == {
                ("added", own_path(worker, number)),
                (shared_change, shared_path(worker)),
            }, f"commit {commit.message!r} changed {sorted(changes)}"
            previous = commit.id

        main = repo.branch("main")
        objects = {info.path for info in main.list_objects()}
        assert len(objects) == WORKERS * (count + 1)
        for worker in range(WORKERS):
            assert main.download(shared_path(worker)) == shared_content(worker, count - 1)
            for number in range(count):
                assert main.download(own_path(worker, number)) == own_content(worker, number)
        assert check_consistency(repo).problems == []


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_same_path_rebases_or_conflicts_never_loses_an_update(
    target: Target, worker_pool: WorkerPool
) -> None:
    count = commits_per_worker(target)
    with target.create() as repo:
        main = repo.branch("main")
        main.upload(json.dumps({"count": 0, "tokens": []}), COUNTER_PATH)
        base = main.commit_changes("Start the counter").id

        # Deterministically, before the race: a session whose path changed under it must
        # fail with ConflictError naming the path, and leave the branch as the winner left it.
        stale, winner = repo.writable_session("main"), repo.writable_session("main")
        stale.upload("stale", COUNTER_PATH)
        winner.upload(json.dumps({"count": 0, "tokens": ["setup"]}), COUNTER_PATH)
        won = winner.commit("winner")
        with pytest.raises(sapwood.ConflictError) as raised:
            stale.commit("stale write")
        assert raised.value.conflicts == (COUNTER_PATH,)
        assert main.resolve().hex() == won.id
        main.upload(json.dumps({"count": 0, "tokens": []}), COUNTER_PATH)
        base = main.commit_changes("Reset the counter").id
    jobs = [Job(target, worker, count) for worker in range(WORKERS)]

    results = run_workers(same_path, jobs, worker_pool)

    with target.open() as repo:
        main = repo.branch("main")
        state = json.loads(main.download(COUNTER_PATH))
        expected_tokens = {f"w{w}-{n}" for w in range(WORKERS) for n in range(count)}
        assert state["count"] == WORKERS * count  # no increment lost
        assert sorted(state["tokens"]) == sorted(expected_tokens)  # each exactly once

        history = _history_since(repo, base)
        succeeded = {commit for result in results for commit in result["commits"]}
        assert {c.id for c in history} == succeeded
        assert len(history) == WORKERS * count
        for position, commit in enumerate(history, start=1):  # each saw its parent's count
            value = json.loads(repo.commit(commit.id).download(COUNTER_PATH))
            assert value["count"] == position
            assert value["tokens"][-1] == commit.metadata["token"]
