"""Committers killed (SIGKILL) at random moments: afterwards the repository opens, every
branch and tag resolves to a complete snapshot whose objects all download and verify, no
commit a worker was told had succeeded is lost, and committing (and garbage collection)
carry on.

Each round, two worker processes commit to ``main`` in a loop (inline, blob and chunked
files, deletes, tags and a side branch per worker, with small chunks and manifest ranges so
a commit writes many objects); once both have committed, they are killed one after the
other at random moments, so kills land in every phase of a commit, often while the other
worker is racing it. The memory backend is left out: its store dies with its process.
Set ``SAPWOOD_CRASH_SEED`` to replay one run's kill timings.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import time
from datetime import UTC, datetime

import pytest

import sapwood
from sapwood.config import ObjectStoreConfig
from sapwood.models import ObjectInfo
from sapwood.stores import open_storage

from .runner import StreamingWorker, start_streaming_worker
from .targets import Target
from .verify import check_consistency
from .workloads import CRASH_CONFIG, Job, crash_content

CRASH_BACKENDS = ("local", "s3", "gcs", "azure")
"""Tigris is left out: it is the S3 store plus headers, against the same moto server."""
STREAMERS = 2
LATEST = re.compile(r"round \d+ commit \d+")
AFTER_PATH = "after.txt"
AFTER = b"after the crashes"


def rounds_for(target: Target) -> int:
    """Kill rounds (two kills each): 6 on local storage, 3 against each emulator, whose
    every request is an HTTP round trip to a single-process server on this small machine
    (so the whole integration suite stays within a few minutes on two loaded cores)."""
    return 6 if target.backend == "local" else 3


def content_problem(info: ObjectInfo, data: bytes) -> str | None:
    """What is wrong with a crash-stream object's content (None: nothing)."""
    expected = crash_content(info.path)
    if expected is not None:
        return None if data == expected else f"{len(data)} bytes differ from what was written"
    if info.path == AFTER_PATH:
        return None if data == AFTER else "not what the commit after the crashes wrote"
    if info.path.endswith("/latest.txt"):
        return None if LATEST.fullmatch(data.decode()) else f"unexpected content {data[:40]!r}"
    return "a path no worker writes"


def _kill_round(target: Target, number: int, rng: random.Random) -> list[StreamingWorker]:
    """Start the round's workers, and once each has committed, kill them one by one at
    random moments; the killed workers."""
    workers = [
        start_streaming_worker(Job(target, worker, commits=100_000, round=number))
        for worker in range(STREAMERS)
    ]
    try:
        for worker in workers:
            worker.wait_for_commits(1, timeout=90)
        for worker in rng.sample(workers, len(workers)):
            time.sleep(rng.uniform(0.0, 0.5))
            worker.drain()
            worker.kill()
            assert worker.process.exitcode == -signal.SIGKILL, (
                f"{worker.process.name} ended by itself (exit code {worker.process.exitcode}) "
                "before it was killed; its traceback is in the captured stderr"
            )
    finally:
        for worker in workers:
            if worker.process.is_alive():
                worker.kill()
    return workers


@pytest.mark.parametrize("backend", CRASH_BACKENDS)
def test_killed_committers_leave_every_ref_consistent(target: Target) -> None:
    seed = int(os.environ.get("SAPWOOD_CRASH_SEED") or random.randrange(2**32))
    rng = random.Random(seed)
    replay = f"(replay with SAPWOOD_CRASH_SEED={seed})"
    print(f"kill timings {replay}")  # shown when the test fails
    with target.create(CRASH_CONFIG):
        pass

    reports: list[tuple[str, str, str]] = []
    for number in range(rounds_for(target)):
        for worker in _kill_round(target, number, rng):
            reports.extend(worker.done)
        with target.open() as repo:  # it opens, and every ref resolves, after each round
            assert repo.branch("main").resolve()
            for tag in repo.list_tags():
                tag.resolve()

    with target.open() as repo:
        found = check_consistency(repo, content_problem)
        assert found.problems == [], replay
        main_history = found.histories["main"]
        acknowledged = [commit for kind, _, commit in reports if kind == "commit"]
        assert len(acknowledged) >= STREAMERS * rounds_for(target)
        lost = set(acknowledged) - set(main_history)
        assert not lost, f"{len(lost)} acknowledged commits are not on main {replay}"
        for kind, name, commit in reports:
            if kind == "tag":
                assert found.tags.get(name) == commit, f"tag {name} {replay}"
            elif kind == "branch":  # a side branch only moves forward along main
                assert commit in found.histories[name], f"branch {name} {replay}"
        for name, commit in found.tags.items():  # tags made just before a kill are fine too
            assert commit in main_history, f"tag {name} {replay}"
        assert set(found.branches) <= {"main", *(f"side-w{w}" for w in range(STREAMERS))}

        main = repo.branch("main")  # committing carries on where the killed workers stopped
        main.upload(AFTER, AFTER_PATH)
        after = main.commit_changes("After the crashes")
        assert after.parents == (main_history[0],)

        # Garbage collection takes away what the killed commits left half-written, and only
        # that: every ref stays complete.
        repo.garbage_collect(datetime.now(UTC))
    with target.open() as repo:
        again = check_consistency(repo, content_problem)
        assert again.problems == [], replay
        assert again.histories["main"][1:] == main_history
        assert again.histories["main"][0] == after.id


@pytest.mark.parametrize("backend", ["local"])
def test_creator_killed_between_config_and_main_branch(target: Target) -> None:
    with target.create():
        pass
    # What a creator killed right after writing config.json leaves: no ref yet.
    asyncio.run(_delete_key(target, "refs/branches/main/ref.json"))

    with sapwood.repository(target.store, target.credentials) as repo:
        main = repo.branch("main")
        main.upload(b"first", "first.txt")
        first = main.commit_changes("First commit")
        assert main.resolve().hex() == first.id


async def _delete_key(target: Target, key: str) -> None:
    assert isinstance(target.store, str)
    store = open_storage(ObjectStoreConfig(object_store="local", prefix=target.store))
    try:
        await store.head(key)  # it is there to delete
        await store.delete(key)
    finally:
        await store.close()
