"""Garbage collection running beside writers loses nothing they staged.

One worker collects garbage in a loop with a cutoff in the future (everything unprotected
goes at once), while the others, in separate processes (threads for the memory backend),
stage copies of objects whose only other reference they then delete, plus fresh uploads,
and commit. Afterwards every committed object must download with its content: what a staged
change refers to survives collection, whatever its age (see sapwood.engine.leases).
"""

from __future__ import annotations

import pytest

from .runner import COMMITTERS, WorkerPool, run_workers
from .targets import Target
from .verify import check_consistency
from .workloads import (
    GC_RACE_WORKERS,
    Job,
    copied_content,
    copied_path,
    gc_or_copy,
)


def rounds(target: Target) -> int:
    """Copy/commit rounds per copier: fewer against the emulator, each request there being
    an HTTP round trip to one single-process server on this small machine."""
    return 12 if target.backend in ("local", "memory") else 5


@pytest.mark.parametrize("backend", ["memory", "local", "s3"])
def test_collection_beside_copy_and_commit_loops_loses_nothing(
    target: Target, worker_pool: WorkerPool
) -> None:
    assert GC_RACE_WORKERS == COMMITTERS
    count = rounds(target)
    with target.create() as repo:
        pass
    jobs = [Job(target, worker, count) for worker in range(COMMITTERS)]

    made = run_workers(gc_or_copy, jobs, worker_pool, timeout=300.0)

    assert made[0] >= 1  # the collector ran
    assert made[1:] == [count] * (COMMITTERS - 1)
    with target.open() as repo:
        main = repo.branch("main")
        for worker in range(1, COMMITTERS):
            for number in range(count):
                assert main.download(copied_path(worker, number)) == copied_content(worker, number)
                fresh = f"fresh/w{worker}/{number}.bin"
                assert main.download(fresh) == copied_content(worker, -number - 1)
        report = check_consistency(repo)
        assert report.problems == []
