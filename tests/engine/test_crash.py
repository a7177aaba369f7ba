"""A crash at any point of a commit leaves every ref on a complete snapshot.

Two ways: a store that "dies" (raises a BaseException nothing catches) at each write of a
commit and of a merge in turn, and a real process killed with SIGKILL while committing to a
local repository in a loop.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sapwood.aio import AsyncRepository
from sapwood.storage import ForwardingStorage, ObjectMeta, PutMode, Storage
from sapwood_memory.storage import MemoryStorage, drop_bucket


class Crash(BaseException):
    """The process died here."""


class DyingStore(ForwardingStorage):
    """A memory store that dies instead of performing write number ``fail_at``."""

    def __init__(self, inner: Storage, fail_at: int | None) -> None:
        super().__init__(inner)
        self.fail_at = fail_at
        self.writes: list[str] = []

    def _count(self, key: str) -> None:
        self.writes.append(key)
        if self.fail_at is not None and len(self.writes) == self.fail_at:
            raise Crash(key)

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        self._count(key)
        return await super().put(key, data, mode=mode, content_type=content_type, metadata=metadata)

    async def delete(self, key: str) -> None:
        self._count(key)
        await super().delete(key)

    async def delete_many(self, keys: Iterable[str]) -> None:
        for key in keys:
            await self.delete(key)


async def snapshot_of_refs(repo: AsyncRepository) -> dict[str, dict[str, bytes]]:
    """Every branch's and tag's files, read in full (which verifies every blob, range and
    snapshot on the way), plus a full walk of each history."""
    found: dict[str, dict[str, bytes]] = {}
    references = [b async for b in repo.list_branches()] + [t async for t in repo.list_tags()]
    for reference in references:
        session = await reference.reader()
        found[reference.id] = {
            info.path: await session.download(info.path) async for info in session.list_objects()
        }
        async for commit in reference.log():
            old = await repo.readonly_session(snapshot_id=commit.id)
            async for info in old.list_objects():
                await old.download(info.path)
    return found


BEFORE = {"keep.txt": b"kept", "big.bin": b"b" * 3000, "gone.txt": b"bye"}
AFTER = {"keep.txt": b"kept", "big.bin": b"B" * 5000, "new/one.bin": b"1" * 900, "new/t": b"t"}


async def prepared(name: str) -> AsyncRepository:
    repo = await AsyncRepository.create(f"memory://{name}")
    main = repo.branch("main")
    for path, data in BEFORE.items():
        await main.upload(data, path)
    await main.commit_changes("before")
    await repo.branch("dev").create("main")
    dev = repo.branch("dev")
    await dev.upload(b"from dev" * 100, "dev.bin")
    await dev.commit_changes("dev work")
    return repo


async def commit_after(repo: AsyncRepository) -> None:
    session = await repo.writable_session("main")
    for path, data in AFTER.items():
        await session.upload(data, path)
    await session.delete_objects("gone.txt")
    await session.commit("after")


async def merge_dev(repo: AsyncRepository) -> None:
    await repo.branch("dev").merge_into("main")


OPERATIONS: dict[str, tuple[Callable[[AsyncRepository], Awaitable[None]], dict[str, bytes]]] = {
    "commit": (commit_after, {k: v for k, v in {**BEFORE, **AFTER}.items() if k != "gone.txt"}),
    "merge": (merge_dev, {**BEFORE, "dev.bin": b"from dev" * 100}),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
async def test_dying_at_any_write_leaves_every_ref_consistent(operation: str) -> None:
    action, expected_after = OPERATIONS[operation]
    name = f"crash-{uuid.uuid4().hex[:10]}"
    try:
        counting = DyingStore(MemoryStorage(name), None)
        await prepared(name)
        repo = await AsyncRepository.open(counting)
        await action(repo)
        total = len(counting.writes)
        assert total >= 3, counting.writes
    finally:
        drop_bucket(name)
    outcomes = set()
    for fail_at in range(1, total + 1):
        name = f"crash-{uuid.uuid4().hex[:10]}"
        try:
            await prepared(name)
            before = await snapshot_of_refs(await AsyncRepository.open(f"memory://{name}"))
            dying = DyingStore(MemoryStorage(name), fail_at)
            with pytest.raises(Crash):
                await action(await AsyncRepository.open(dying))
            survivor = await AsyncRepository.open(f"memory://{name}")
            after = await snapshot_of_refs(survivor)
            assert after["dev"] == before["dev"]
            assert after["main"] in (before["main"], expected_after), (fail_at, dying.writes)
            moved = after["main"] == expected_after
            # The only write after the ref moves drops the commit's lease (a cleanup that,
            # when it dies, leaves a lease for GC to expire).
            assert not moved or dying.writes[-1].startswith("leases/"), dying.writes
            outcomes.add("old" if not moved else "after the ref moved")
            await survivor.garbage_collect(later(), dry_run=False)
            assert await snapshot_of_refs(survivor) == after
        finally:
            drop_bucket(name)
    assert "old" in outcomes, "dying at any write before the ref moves keeps the old head"


def later() -> datetime:
    """Just after now: garbage collection may take everything unreachable."""
    return datetime.now(UTC) + timedelta(seconds=1)


WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from sapwood.aio import AsyncRepository

    async def main(url):
        repo = await AsyncRepository.open(url)
        number = 0
        while True:
            session = await repo.writable_session("main")
            await session.upload(b"x" * (number % 3000), f"files/{number % 50}.bin")
            await session.upload(str(number).encode(), "counter")
            await session.commit(f"commit {number}")
            number += 1
            if number == 3:
                print("ready", flush=True)

    asyncio.run(main(sys.argv[1]))
    """
)


async def test_a_process_killed_while_committing_leaves_a_consistent_repository(
    tmp_path: Path,
) -> None:
    url = f"file://{tmp_path / 'repo'}"
    await AsyncRepository.create(url)
    for round_number in range(4):
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            WRITER,
            url,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 120)
        assert line.strip() == b"ready", line
        await asyncio.sleep(0.05 + 0.07 * round_number)
        process.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(process.wait(), 30) == -signal.SIGKILL
        repo = await AsyncRepository.open(url)
        state = await snapshot_of_refs(repo)
        counter = int(state["main"]["counter"])
        commits = [c async for c in repo.branch("main").log()]
        assert commits[0].message == f"commit {counter}"
