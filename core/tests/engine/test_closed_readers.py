"""A closed reader holds none of the object's bytes, however long the handle lives."""

from __future__ import annotations

import os
import tracemalloc

from sapwood.aio import AsyncRepository

SIZE = 100_000
HANDLES = 200


async def test_closed_readers_release_their_chunks(repo: AsyncRepository) -> None:
    main = repo.branch("main")
    await main.upload(os.urandom(SIZE), "big.bin")
    await main.upload(b"line\n" * (SIZE // 5), "lines.txt")
    await main.commit_changes("data")
    kept = []
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(HANDLES):
            binary = await main.open("big.bin")
            assert len(await binary.read()) == SIZE
            await binary.close()
            text = await main.open("lines.txt", "r")
            assert await text.readline() == "line\n"
            await text.close()
            kept += [binary, text]
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # Open, they would hold two objects' worth each (about 40 MB in all).
    assert held < HANDLES * SIZE // 10, f"{len(kept)} closed handles hold {held} bytes"
