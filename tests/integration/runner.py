"""Running workloads in parallel workers: spawned processes (``multiprocessing`` spawn, so
each worker is a fresh interpreter that opens the repository itself), or threads of this
process for the in-process memory backend; and killing processes mid-stream.

A worker that raises reports its traceback; one that hangs is killed after the timeout and
the test fails naming it. Nothing here is timed for speed.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from multiprocessing.context import SpawnProcess
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Final

from . import workloads
from .workloads import Barrier, Job

__all__ = [
    "COMMITTERS",
    "StreamingWorker",
    "WorkerPool",
    "Workload",
    "run_workers",
    "start_streaming_worker",
]

Workload = Callable[[Job, Barrier], Any]

COMMITTERS: Final = 4
"""Concurrent committers in the multi-writer tests (and processes in the pool)."""

_SPAWN = get_context("spawn")
_JOIN_SECONDS: Final = 15.0


def _import_root() -> str:
    """The folder a fresh interpreter needs on ``sys.path`` to import this package by the
    name pytest gave it (``tests.integration.workloads`` -> the checkout's root)."""
    depth = len(workloads.__name__.split("."))
    return str(Path(workloads.__file__).resolve().parents[depth - 1])


@contextlib.contextmanager
def _importable_in_children() -> Iterator[None]:
    """Spawned children copy ``sys.path`` when started: put the root on it meanwhile."""
    root = _import_root()
    added = root not in sys.path
    if added:
        sys.path.append(root)
    try:
        yield
    finally:
        if added:
            sys.path.remove(root)


def _values(answers: dict[int, tuple[bool, Any]]) -> list[Any]:
    """The workers' values in worker order; AssertionError with every failure's traceback."""
    failures = [f"worker {w} failed:\n{value}" for w, (ok, value) in answers.items() if not ok]
    if failures:
        raise AssertionError("\n".join(failures))
    return [answers[worker][1] for worker in range(len(answers))]


def serve(tasks: Connection, barrier: Barrier) -> None:
    """A pool process's body: run each ``(workload, job)`` received, answer
    ``(worker, ok, value or traceback)``, and stop at ``None``."""
    while True:
        task = tasks.recv()
        if task is None:
            return
        workload, job = task
        try:
            value = workload(job, barrier)
        except BaseException:
            tasks.send((job.worker, False, traceback.format_exc()))
        else:
            tasks.send((job.worker, True, value))


class WorkerPool:
    """``size`` spawned worker processes, started on first use and kept for the session
    (spawning and importing a fresh interpreter costs seconds here). Every run gives each
    process one job; they start together at a shared barrier. After a failure or a hang the
    processes are killed, and the next run starts fresh ones.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._processes: list[SpawnProcess] = []
        self._connections: list[Connection] = []
        self._barrier: Barrier | None = None

    def _start(self) -> None:
        # Kept referenced: collecting it would remove its semaphores before children start.
        self._barrier = barrier = _SPAWN.Barrier(self.size)
        with _importable_in_children():
            for number in range(self.size):
                ours, theirs = _SPAWN.Pipe()
                process = _SPAWN.Process(
                    target=serve,
                    args=(theirs, barrier),
                    name=f"sapwood-worker-{number}",
                    daemon=True,
                )
                process.start()
                theirs.close()
                self._processes.append(process)
                self._connections.append(ours)

    def run(self, workload: Workload, jobs: Sequence[Job], timeout: float) -> list[Any]:
        """Run ``workload`` once per job, one job per process; the values in job order."""
        assert len(jobs) == self.size, f"this pool runs exactly {self.size} jobs at once"
        if not self._processes:
            self._start()
        answers: dict[int, tuple[bool, Any]] = {}
        try:
            for connection, job in zip(self._connections, jobs, strict=True):
                connection.send((workload, job))
            deadline = time.monotonic() + timeout
            waiting = dict(zip(self._connections, self._processes, strict=True))
            while waiting:
                ready = wait(list(waiting), max(0.0, deadline - time.monotonic()))
                if not ready:
                    raise AssertionError(
                        f"{', '.join(p.name for p in waiting.values())} did not finish within "
                        f"{timeout:g} s (hung?)"
                    )
                for item in ready:
                    connection = next(c for c in waiting if c is item)
                    process = waiting.pop(connection)
                    try:
                        worker, ok, value = connection.recv()
                    except EOFError:
                        process.join(_JOIN_SECONDS)
                        raise AssertionError(
                            f"{process.name} died (exit code {process.exitcode})"
                        ) from None
                    answers[worker] = (ok, value)
                    if not ok:  # the others may be stuck at the barrier: stop now
                        raise AssertionError(f"worker {worker} failed:\n{value}")
            return _values(answers)
        except BaseException:
            self.close(kill=True)
            raise

    def close(self, kill: bool = False) -> None:
        """Stop the processes: ask them to finish, or (``kill``) SIGKILL them."""
        for process, connection in zip(self._processes, self._connections, strict=True):
            if kill:
                process.kill()
            else:
                with contextlib.suppress(OSError):
                    connection.send(None)
        for process, connection in zip(self._processes, self._connections, strict=True):
            process.join(_JOIN_SECONDS)
            if process.is_alive():
                process.kill()
                process.join(_JOIN_SECONDS)
            connection.close()
        self._processes, self._connections, self._barrier = [], [], None


def run_workers(
    workload: Workload, jobs: Sequence[Job], pool: WorkerPool, timeout: float = 150.0
) -> list[Any]:
    """Run ``workload`` once per job, all at once (they start together at a barrier): in
    ``pool``'s processes, or in threads for a backend that lives in this process. The values
    in job order; jobs are numbered 0..n-1 by their ``worker`` field."""
    assert [job.worker for job in jobs] == list(range(len(jobs)))
    if jobs[0].target.multiprocess:
        return pool.run(workload, jobs, timeout)
    return _run_threads(workload, jobs, timeout)


def _run_threads(workload: Workload, jobs: Sequence[Job], timeout: float) -> list[Any]:
    barrier = threading.Barrier(len(jobs))
    results: queue.Queue[tuple[int, bool, Any]] = queue.Queue()

    def body(job: Job) -> None:
        try:
            value = workload(job, barrier)
        except BaseException:
            results.put((job.worker, False, traceback.format_exc()))
            return
        results.put((job.worker, True, value))

    threads = [
        threading.Thread(target=body, args=(job,), name=f"sapwood-worker-{job.worker}", daemon=True)
        for job in jobs
    ]
    for thread in threads:
        thread.start()
    answers: dict[int, tuple[bool, Any]] = {}
    deadline = time.monotonic() + timeout
    while len(answers) < len(jobs):
        try:
            worker, ok, value = results.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            missing = sorted(set(range(len(jobs))) - set(answers))
            raise AssertionError(
                f"worker threads {missing} did not finish within {timeout:g} s (hung?)"
            ) from None
        answers[worker] = (ok, value)
    for thread in threads:
        thread.join(_JOIN_SECONDS)
    return _values(answers)


# -- workers that get killed ---------------------------------------------------------------------


def streaming_main(job: Job, connection: Connection) -> None:
    """A streaming worker process's body (see :func:`workloads.crash_stream`)."""
    workloads.crash_stream(job, connection)


@dataclass
class StreamingWorker:
    """A worker process that commits in a loop until killed, and what it reported as done
    so far."""

    job: Job
    process: BaseProcess
    connection: Connection
    done: list[tuple[str, str, str]] = field(default_factory=list)

    def drain(self) -> None:
        """Take every report sent so far (a report is written in one atomic pipe write, so a
        kill never leaves half of one)."""
        with contextlib.suppress(EOFError, OSError):
            while self.connection.poll():
                self.done.append(self.connection.recv())

    def wait_for_commits(self, count: int, timeout: float) -> None:
        """Block until the worker reported ``count`` commits; AssertionError if it died or
        took longer than ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while sum(1 for kind, _, _ in self.done if kind == "commit") < count:
            if self.connection.poll(0.2):
                self.done.append(self.connection.recv())
                continue
            if not self.process.is_alive():
                self.drain()
                raise AssertionError(
                    f"{self.process.name} exited with {self.process.exitcode} after "
                    f"{len(self.done)} reports, before it made {count} commit(s)"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.process.name} made no commit in {timeout:g} s")

    def kill(self) -> None:
        """SIGKILL the worker, wait for it to be gone, and take its last reports."""
        self.process.kill()
        self.process.join(_JOIN_SECONDS)
        self.drain()
        self.connection.close()


_PRELOAD: Final = (
    "pytest",  # a child re-runs the parent's main script: pytest's, already imported here
    "sapwood_local.storage",
    "sapwood_s3.storage",
    "sapwood_gcs.storage",
    "sapwood_azure.storage",
)


def start_streaming_worker(job: Job) -> StreamingWorker:
    """Start a worker process that commits until killed.

    It is forked from multiprocessing's fork server: a clean, single-threaded interpreter
    started once (like a spawned one) with sapwood, the backends and this package already
    imported. Every kill needs a new process, and spawning each from scratch would cost
    seconds of this small machine's CPU apiece.
    """
    context = get_context("forkserver")
    context.set_forkserver_preload([workloads.__name__, *_PRELOAD])
    ours, theirs = context.Pipe()
    process = context.Process(
        target=streaming_main,
        args=(job, theirs),
        name=f"sapwood-streamer-r{job.round}-w{job.worker}",
        daemon=True,
    )
    with _importable_in_children():  # the fork server copies sys.path when it starts
        process.start()
    theirs.close()  # the child holds its own end; EOF then means the child is gone
    return StreamingWorker(job, process, ours)
