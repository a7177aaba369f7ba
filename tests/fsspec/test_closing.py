"""A filesystem that opened its repository closes it when garbage collected, wherever the
collector runs: on sapwood's own loop thread or in a worker thread the loop is waiting
for, without a failed sync call or a deadlock there; ``fs.close()`` closes at once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from pathlib import Path

import sapwood
from sapwood import _loop
from sapwood.fsspec import SapwoodFileSystem
from sapwood.fsspec._closing import pending_closes


def _opened_filesystem(url: str) -> SapwoodFileSystem:
    fs = SapwoodFileSystem(repo=url, skip_instance_cache=True)
    fs.pipe("main/a.txt", b"a")
    return fs


async def _finish_pending_closes() -> None:
    await asyncio.gather(*pending_closes())


def _closed(fs: SapwoodFileSystem) -> bool:
    return bool(fs.repository.aio._closed)


def test_collected_on_sapwoods_loop_thread_the_repository_still_closes(memory_url: str) -> None:
    sapwood.Repository.create(memory_url).close()
    fs = _opened_filesystem(memory_url)
    finalizer = fs._closer
    assert finalizer is not None

    async def collect_here() -> None:
        finalizer()  # what the garbage collector does when it runs on this thread

    _loop.run(collect_here())  # before: a sync call from the loop's own thread, refused
    _loop.run(_finish_pending_closes())
    assert _closed(fs)


def test_collected_in_a_thread_the_loop_waits_for_it_does_not_deadlock(memory_url: str) -> None:
    sapwood.Repository.create(memory_url).close()
    fs = _opened_filesystem(memory_url)
    finalizer = fs._closer
    assert finalizer is not None
    finished = threading.Event()

    async def wait_for_a_collecting_worker() -> None:
        # The loop blocks on a worker (as a store closing its threads does) while the
        # collector runs the finalizer in that worker; a finalizer waiting for the loop
        # would never return.
        worker = threading.Thread(target=lambda: (finalizer(), finished.set()))
        worker.start()
        worker.join()

    _loop.run(wait_for_a_collecting_worker())
    assert finished.is_set()
    _loop.run(_finish_pending_closes())
    assert _closed(fs)


def test_close_closes_the_repository_before_returning(memory_url: str) -> None:
    sapwood.Repository.create(memory_url).close()
    fs = _opened_filesystem(memory_url)
    fs.close()
    assert _closed(fs)
    assert not pending_closes()


def _process_output(folder: Path, close_delay: float, then: str) -> list[str]:
    """The lines printed by a process that opens a filesystem on ``folder``, writes one
    file, runs ``then`` and ends; its repository's close (which waits ``close_delay``
    seconds first) prints "repository closed" once it is done."""
    sapwood.Repository.create(str(folder)).close()
    script = (
        "import asyncio, gc\n"
        "import sapwood.aio.repository as r\n"
        "from sapwood.fsspec import SapwoodFileSystem\n"
        "original = r.AsyncRepository.close\n"
        "async def reported(self):\n"
        f"    await asyncio.sleep({close_delay})\n"
        "    await original(self)\n"
        "    print('repository closed', flush=True)\n"
        "r.AsyncRepository.close = reported\n"
        f"fs = SapwoodFileSystem(repo={str(folder)!r}, skip_instance_cache=True)\n"
        "fs.pipe('main/a.txt', b'a')\n"
        f"{then}"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_at_exit_the_repository_is_closed_before_the_process_ends(tmp_path: Path) -> None:
    assert _process_output(tmp_path / "repo", 0, "") == ["repository closed"]


def test_a_close_started_by_the_collector_finishes_before_the_process_ends(
    tmp_path: Path,
) -> None:
    # The close is still running when the main thread ends.
    lines = _process_output(
        tmp_path / "repo", 0.2, "del fs\ngc.collect()\nprint('collected', flush=True)\n"
    )
    assert lines == ["collected", "repository closed"]
