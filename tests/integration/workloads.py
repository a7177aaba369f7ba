"""What integration workers do: each function opens the repository itself (as a separate
program would) and commits through the public sync API.

They run in spawned worker processes, or in threads of the test process for the memory
backend, so this module is imported by both; keep it free of pytest. Paths and contents
are functions of the worker and commit numbers, so the test can tell exactly what each
commit must have changed.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Final, Protocol

from sapwood.config import ChunkingConfig, RepositoryConfig
from sapwood.errors import ConflictError

from .targets import Target

__all__ = [
    "BARRIER_TIMEOUT_SECONDS",
    "COUNTER_PATH",
    "CRASH_CONFIG",
    "Barrier",
    "Job",
    "crash_content",
    "crash_stream",
    "distinct_paths",
    "own_content",
    "own_path",
    "same_path",
    "shared_content",
    "shared_path",
]

BARRIER_TIMEOUT_SECONDS: Final = 90.0
"""Workers wait for each other to be ready (spawned, imported, repository open) this long."""

COUNTER_PATH: Final = "contended/counter.json"
"""The one file every same-path worker reads, increments and writes back."""

MAX_CONFLICTS_PER_COMMIT: Final = 200
"""A worker gives up (and the test fails) if one increment loses the race this often."""


class Barrier(Protocol):
    """``threading.Barrier`` or ``multiprocessing``'s: lets workers start together."""

    def wait(self, timeout: float | None = None) -> int:
        """Block until every party arrived."""
        ...


@dataclass(frozen=True)
class Job:
    """One worker's assignment."""

    target: Target
    worker: int
    commits: int
    branch: str = "main"
    round: int = 0


# -- distinct paths ----------------------------------------------------------------------------


def own_path(worker: int, commit: int) -> str:
    """The path only commit ``commit`` of ``worker`` adds."""
    return f"workers/w{worker}/c{commit:03d}.txt"


def own_content(worker: int, commit: int) -> bytes:
    """What commit ``commit`` of ``worker`` writes at its own path."""
    return f"worker {worker} commit {commit}\n".encode()


def shared_path(worker: int) -> str:
    """The file under the prefix all workers share that ``worker`` rewrites each commit."""
    return f"shared/w{worker}.txt"


def shared_content(worker: int, commit: int) -> bytes:
    """What commit ``commit`` of ``worker`` writes at its shared-prefix file."""
    return f"w{worker}:{commit}".encode()


def distinct_paths(job: Job, barrier: Barrier) -> list[str]:
    """Commit ``job.commits`` times, each adding an own file and rewriting the worker's
    shared-prefix file; the commit ids, in order."""
    worker = job.worker
    with job.target.open() as repo:
        branch = repo.branch(job.branch)
        barrier.wait(BARRIER_TIMEOUT_SECONDS)
        made: list[str] = []
        for number in range(job.commits):
            branch.upload(own_content(worker, number), own_path(worker, number))
            branch.upload(shared_content(worker, number), shared_path(worker))
            commit = branch.commit_changes(
                f"worker {worker} commit {number}",
                metadata={"worker": str(worker), "seq": str(number)},
            )
            made.append(commit.id)
    return made


# -- one contended path --------------------------------------------------------------------------


def same_path(job: Job, barrier: Barrier) -> dict[str, list[str] | int]:
    """Increment the shared counter ``job.commits`` times by read-modify-write in a
    transaction, retrying on ConflictError; the commit ids and the number of conflicts."""
    worker = job.worker
    with job.target.open() as repo:
        branch = repo.branch(job.branch)
        barrier.wait(BARRIER_TIMEOUT_SECONDS)
        made: list[str] = []
        conflicts = 0
        while len(made) < job.commits:
            token = f"w{worker}-{len(made)}"
            transaction = branch.transaction(f"increment {token}", metadata={"token": token})
            try:
                with transaction as session:
                    state = json.loads(session.download(COUNTER_PATH))
                    state["count"] += 1
                    state["tokens"].append(token)
                    session.upload(json.dumps(state), COUNTER_PATH)
            except ConflictError as exc:
                if list(exc.conflicts) != [COUNTER_PATH]:
                    raise AssertionError(
                        f"ConflictError named {exc.conflicts!r}, not [{COUNTER_PATH!r}]: {exc}"
                    ) from exc
                conflicts += 1
                if conflicts > MAX_CONFLICTS_PER_COMMIT * job.commits:
                    raise
                time.sleep(random.uniform(0, 0.01))  # let the winner's peers catch up
                continue
            assert transaction.commit is not None
            made.append(transaction.commit.id)
    return {"commits": made, "conflicts": conflicts}


# -- commits until killed --------------------------------------------------------------------------

CRASH_CHUNK_THRESHOLD: Final = 16 * 1024
"""Files above this size are split into chunks in the crash tests' repositories."""
CRASH_CONFIG: Final = RepositoryConfig(
    chunking=ChunkingConfig(
        chunk_threshold_bytes=CRASH_CHUNK_THRESHOLD,
        average_chunk_bytes=4096,
        manifest_range_entries=16,
    )
)
"""Small chunks and manifest ranges, so each commit writes many objects a kill can split."""


def crash_content(path: str) -> bytes | None:
    """The content a crash-stream commit writes at ``path`` (None: not a fixed content)."""
    name = path.rsplit("/", 1)[-1]
    seed = int.from_bytes(hashlib.sha256(path.encode()).digest()[:8], "big")
    number = int(name.split("-", 1)[1].split(".", 1)[0]) if "-" in name else 0
    if name.startswith("small-"):
        return f"small {path}\n".encode()
    if name.startswith("blob-"):
        return random.Random(seed).randbytes(2048 + (number % 7) * 1024)
    if name.startswith("chunked-"):
        return random.Random(seed).randbytes(CRASH_CHUNK_THRESHOLD * 2 + number)
    return None


def _crash_paths(job: Job, number: int) -> list[str]:
    folder = f"crash/r{job.round}/w{job.worker}"
    paths = [f"{folder}/small-{number:04d}.txt", f"{folder}/blob-{number:04d}.bin"]
    if number % 3 == 0:
        paths.append(f"{folder}/chunked-{number:04d}.bin")
    return paths


def crash_stream(job: Job, acks: Connection) -> None:
    """Commit until killed (or ``job.commits`` commits): each commit adds inline, blob and
    chunked files, rewrites a "latest" file and deletes an older blob; every fourth also
    tags the commit and moves a side branch to it. Each finished step is reported on
    ``acks`` as ``(kind, name, commit id)`` the moment it returns."""
    worker = job.worker
    with job.target.open() as repo:
        branch = repo.branch(job.branch)
        for number in range(job.commits):
            for path in _crash_paths(job, number):
                content = crash_content(path)
                assert content is not None
                branch.upload(content, path)
            branch.upload(f"round {job.round} commit {number}", f"crash/w{worker}/latest.txt")
            if number >= 2:
                branch.delete_objects(f"crash/r{job.round}/w{worker}/blob-{number - 2:04d}.bin")
            commit = branch.commit_changes(f"crash round {job.round} worker {worker} #{number}")
            acks.send(("commit", job.branch, commit.id))
            if number % 4 == 3:
                tag = f"r{job.round}-w{worker}-{number}"
                repo.tag(tag).create(commit.id)
                acks.send(("tag", tag, commit.id))
                side = repo.branch(f"side-w{worker}")
                side.create(commit.id, exist_ok=True)
                side.reset_to(commit.id)
                acks.send(("branch", side.id, commit.id))


# -- garbage collection beside copy/commit loops ---------------------------------------------

GC_DONE_PREFIX: Final = "gc-race-done-"
"""A copier creates the branch ``GC_DONE_PREFIX + worker`` when it has finished."""
GC_RACE_WORKERS: Final = 4
"""Workers of :func:`gc_or_copy`: one collector and the rest copiers."""


def copied_path(worker: int, number: int) -> str:
    """Where copier ``worker`` puts its ``number``-th copy on main."""
    return f"copies/w{worker}/c{number:03d}.bin"


def copied_content(worker: int, number: int) -> bytes:
    """The content copier ``worker`` uploads to its scratch branch in round ``number`` (large
    enough to be a blob of its own, not inlined in a manifest)."""
    return hashlib.sha256(f"{worker}:{number}".encode()).digest() * 64


def gc_or_copy(job: Job, barrier: Barrier) -> int:
    """Worker 0 collects garbage in a loop, with a cutoff in the future (so everything no
    ref or lease protects goes at once) until every copier has finished; the others, each
    round: upload to a scratch branch, commit, stage a copy of that object on main, delete
    the scratch branch (the copy is now the only thing referring to the blob), upload a
    fresh blob too, and commit. The number of collections or commits made."""
    from datetime import UTC, datetime, timedelta

    worker = job.worker
    with job.target.open() as repo:
        barrier.wait(BARRIER_TIMEOUT_SECONDS)
        if worker == 0:
            copiers = {f"{GC_DONE_PREFIX}{w}" for w in range(1, GC_RACE_WORKERS)}
            runs = 0
            while True:
                finished = {b.id for b in repo.list_branches(prefix=GC_DONE_PREFIX)}
                repo.garbage_collect(datetime.now(UTC) + timedelta(days=1))
                runs += 1
                if copiers <= finished:
                    return runs
        main = repo.branch("main")
        made = 0
        try:
            for number in range(job.commits):
                scratch = repo.branch(f"scratch-w{worker}-{number}").create("main")
                scratch.upload(copied_content(worker, number), f"scratch/{number}.bin")
                scratch.commit_changes("scratch")
                with main.transaction(f"copy {worker}/{number}") as session:
                    source = f"scratch/{number}.bin"
                    session.copy_object(scratch.id, source, copied_path(worker, number))
                    scratch.delete()
                    fresh = f"fresh/w{worker}/{number}.bin"
                    session.upload(copied_content(worker, -number - 1), fresh)
                    time.sleep(random.uniform(0, 0.02))  # let a collection run in between
                made += 1
        finally:  # also on failure, so the collector stops
            repo.branch(f"{GC_DONE_PREFIX}{worker}").create("main")
        return made
