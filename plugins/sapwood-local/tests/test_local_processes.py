"""Several processes share one local store: conditional writes hold across them, readers
never see a torn object, and a writer killed at any point leaves a consistent store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from sapwood.storage import ObjectMeta, Update
from sapwood_local import LocalStorage

INCREMENTER = """
import asyncio, sys
from sapwood.errors import PreconditionFailedError
from sapwood.storage import Update
from sapwood_local import LocalStorage

async def main(root, rounds):
    store = LocalStorage(root)
    print("ready", flush=True)
    sys.stdin.readline()
    done = conflicts = 0
    while done < rounds:
        data, meta = await store.get_with_meta("counter")
        try:
            await store.put("counter", b"%d" % (int(data) + 1), mode=Update(meta.etag))
        except PreconditionFailedError:
            conflicts += 1
            continue
        done += 1
    print(conflicts, flush=True)

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""

CREATOR = """
import asyncio, os, sys
from sapwood.errors import AlreadyExistsError
from sapwood_local import LocalStorage

async def main(root):
    store = LocalStorage(root)
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        await store.put("contested", b"pid %d" % os.getpid(), mode="create")
    except AlreadyExistsError:
        print("lost", flush=True)
    else:
        print("won", os.getpid(), flush=True)

asyncio.run(main(sys.argv[1]))
"""

REWRITER = """
import asyncio, sys
from sapwood_local import LocalStorage

SIZE = 4 * 1024 * 1024

async def main(root):
    store = LocalStorage(root)
    version = 0
    while True:
        version += 1
        fill = version % 256
        await store.put("obj", bytes([fill]) * SIZE, metadata={"fill": str(fill)})
        if version == 1:
            print("ready", flush=True)

asyncio.run(main(sys.argv[1]))
"""

DIES_BETWEEN_RENAMES = """
import asyncio, os, sys
from sapwood_local import LocalStorage
from sapwood_local.folder import LocalFolder

def die(self, staged, path, key):
    os._exit(9)  # as if killed after the sidecar was replaced, before the data moved

async def main(root):
    store = LocalStorage(root)
    LocalFolder._move_into_place = die
    await store.put("ref", b"new version", content_type="text/plain", metadata={"v": "2"})

asyncio.run(main(sys.argv[1]))
"""


def _start(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _release_together(workers: list[subprocess.Popen[str]]) -> None:
    """Wait until every worker is ready, then let them all go at once."""
    for worker in workers:
        assert worker.stdout is not None
        line = worker.stdout.readline()
        assert line.strip() == "ready", worker.communicate()[1]
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()


def _finish(worker: subprocess.Popen[str]) -> str:
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    return out.strip()


async def test_processes_incrementing_by_compare_and_swap_lose_no_update(tmp_path: Path) -> None:
    root = str(tmp_path / "store")
    await LocalStorage(root).put("counter", b"0")
    workers = [_start(INCREMENTER, root, "25") for _ in range(4)]
    _release_together(workers)
    conflicts = [int(_finish(worker)) for worker in workers]
    assert await LocalStorage(root).get("counter") == b"100"
    print("compare-and-swap conflicts per process:", conflicts)


async def test_processes_racing_to_create_leave_one_winner(tmp_path: Path) -> None:
    root = str(tmp_path / "store")
    workers = [_start(CREATOR, root) for _ in range(6)]
    _release_together(workers)
    outcomes = [_finish(worker) for worker in workers]
    winners = [line for line in outcomes if line.startswith("won")]
    assert len(winners) == 1, outcomes
    assert outcomes.count("lost") == 5
    winner_pid = winners[0].split()[1]
    assert await LocalStorage(root).get("contested") == f"pid {winner_pid}".encode()


async def test_readers_never_see_a_torn_object_even_when_the_writer_is_killed(
    tmp_path: Path,
) -> None:
    root = str(tmp_path / "store")
    store = LocalStorage(root)
    writer = _start(REWRITER, root)
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "ready"
    seen: set[int] = set()
    for _ in range(3000):
        data, meta = await store.get_with_meta("obj")
        fill = int(meta.metadata["fill"])
        assert len(data) == meta.size == 4 * 1024 * 1024
        assert data == bytes([fill]) * meta.size, "bytes and metadata of different versions"
        plain = await store.get("obj")
        assert plain == bytes([plain[0]]) * len(plain), "a torn object was visible"
        seen.add(fill)
        if len(seen) >= 6:
            break
    os.kill(writer.pid, signal.SIGKILL)
    writer.communicate(timeout=60)

    data, meta = await store.get_with_meta("obj")
    assert data == bytes([int(meta.metadata["fill"])]) * 4 * 1024 * 1024
    listed = [e.key async for e in store.list() if isinstance(e, ObjectMeta)]
    assert listed == ["obj"], "no temporary file is ever listed"
    assert meta.etag is not None
    after = await store.put("obj", b"after the crash", mode=Update(meta.etag))
    assert (await store.head("obj")).etag == after.etag
    print("versions seen while reading:", len(seen))


async def test_a_writer_dying_between_its_renames_is_rolled_forward(tmp_path: Path) -> None:
    root = str(tmp_path / "store")
    store = LocalStorage(root)
    await store.put("ref", b"old version", metadata={"v": "1"})
    crashed = _start(DIES_BETWEEN_RENAMES, root)
    crashed.communicate(timeout=60)
    assert crashed.returncode == 9
    assert (tmp_path / "store" / "ref").read_bytes() == b"old version", "the crash point"

    data, meta = await store.get_with_meta("ref")
    assert data == b"new version"
    assert (meta.content_type, meta.metadata) == ("text/plain", {"v": "2"})
    assert (tmp_path / "store" / "ref").read_bytes() == b"new version"
    assert [e.key async for e in store.list() if isinstance(e, ObjectMeta)] == ["ref"]
    assert meta.etag is not None
    await store.put("ref", b"next", mode=Update(meta.etag))
    assert await store.get("ref") == b"next"
