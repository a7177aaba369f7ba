"""Benchmark: 1,000 files of 4 KiB written and read back through the storage backends.

Compares, in one run, the memory backend, the local backend with and without fsync, and
plain Python file writes (no atomic rename, no metadata, no locks) as the floor.

    .venv/bin/python tests/benchmarks/bench_local_storage.py [--files 1000] [--size 4096]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from sapwood.storage import Storage
from sapwood_local import LocalStorage
from sapwood_memory import MemoryStorage, drop_bucket

T = TypeVar("T")
CONCURRENCY = 64


async def _bounded(calls: Iterable[Awaitable[T]], limit: int) -> list[T]:
    gate = asyncio.Semaphore(limit)

    async def one(call: Awaitable[T]) -> T:
        async with gate:
            return await call

    return await asyncio.gather(*(one(c) for c in calls))


async def _store_round(store: Storage, keys: list[str], payload: bytes) -> tuple[float, float]:
    start = time.perf_counter()
    await _bounded((store.put(k, payload) for k in keys), CONCURRENCY)
    written = time.perf_counter()
    got = await _bounded((store.get(k) for k in keys), CONCURRENCY)
    done = time.perf_counter()
    assert all(g == payload for g in got)
    return written - start, done - written


def _plain_round(root: str, keys: list[str], payload: bytes) -> tuple[float, float]:
    start = time.perf_counter()
    for key in keys:
        path = os.path.join(root, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(payload)
    written = time.perf_counter()
    for key in keys:
        with open(os.path.join(root, key), "rb") as f:
            assert f.read() == payload
    return written - start, time.perf_counter() - written


def _best(runs: int, one: Callable[[], tuple[float, float]]) -> tuple[float, float]:
    results = [one() for _ in range(runs)]
    return min(r[0] for r in results), min(r[1] for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    keys = [f"data/{i // 100:02d}/chunk-{i:05d}" for i in range(args.files)]
    payload = os.urandom(args.size)

    def memory() -> tuple[float, float]:
        name = f"bench-{uuid.uuid4().hex}"
        try:
            return asyncio.run(_store_round(MemoryStorage(name), keys, payload))
        finally:
            drop_bucket(name)

    def local(fsync: bool) -> Callable[[], tuple[float, float]]:
        def run() -> tuple[float, float]:
            with tempfile.TemporaryDirectory() as folder:
                store = LocalStorage(os.path.join(folder, "store"), fsync=fsync)
                return asyncio.run(_store_round(store, keys, payload))

        return run

    def plain() -> tuple[float, float]:
        with tempfile.TemporaryDirectory() as folder:
            return _plain_round(folder, keys, payload)

    rows = {
        "plain open/write (floor)": _best(args.runs, plain),
        "memory": _best(args.runs, memory),
        "local, fsync=false": _best(args.runs, local(False)),
        "local, fsync=true": _best(args.runs, local(True)),
    }
    floor_write, floor_read = rows["plain open/write (floor)"]
    print(
        f"{args.files} files of {args.size} bytes, concurrency {CONCURRENCY}, best of {args.runs}"
    )
    print(
        f"{'backend':28} {'write s':>8} {'files/s':>9} {'x floor':>8} {'read s':>8} "
        f"{'files/s':>9} {'x floor':>8}"
    )
    for name, (write, read) in rows.items():
        print(
            f"{name:28} {write:8.3f} {args.files / write:9.0f} {write / floor_write:8.2f} "
            f"{read:8.3f} {args.files / read:9.0f} {read / floor_read:8.2f}"
        )


if __name__ == "__main__":
    main()
