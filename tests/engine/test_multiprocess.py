"""Concurrent committers in separate processes lose nothing: 4 processes x 25 commits to
one branch of a local repository make 100 commits holding every change."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path

from sapwood.aio import AsyncRepository

PROCESSES = 4
COMMITS = 25

COMMITTER = textwrap.dedent(
    """
    import asyncio, os, sys, time
    from sapwood.aio import AsyncRepository

    url, worker, commits, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

    async def main():
        repo = await AsyncRepository.open(url)
        while not os.path.exists(go):
            time.sleep(0.005)
        for number in range(commits):
            session = await repo.writable_session("main")
            await session.upload(f"{worker}/{number}".encode(), f"w{worker}/c{number:02d}")
            await session.commit(f"worker {worker} commit {number}")
        await repo.close()

    asyncio.run(main())
    """
)


async def test_four_processes_commit_without_losing_anything(tmp_path: Path) -> None:
    url = f"file://{tmp_path / 'repo'}?fsync=false"
    go = tmp_path / "go"
    await AsyncRepository.create(url)
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", COMMITTER, url, str(worker), str(COMMITS), str(go)
        )
        for worker in range(PROCESSES)
    ]
    go.touch()
    for process in workers:
        assert await asyncio.wait_for(process.wait(), 300) == 0
    repo = await AsyncRepository.open(url)
    main = repo.branch("main")
    log = [commit async for commit in main.log()]
    messages = {commit.message for commit in log}
    assert len(log) == PROCESSES * COMMITS + 1
    assert messages == {
        f"worker {w} commit {n}" for w in range(PROCESSES) for n in range(COMMITS)
    } | {"Repository created"}
    files = {info.path async for info in main.list_objects()}
    assert files == {f"w{w}/c{n:02d}" for w in range(PROCESSES) for n in range(COMMITS)}
    assert await main.download("w3/c24") == b"3/24"
    assert all(len(commit.parents) == 1 for commit in log[:-1])
