"""Benchmark: the GCS backend against the raw google-cloud-storage calls, on fake-gcs-server.

In one run, side by side on the same emulator:

- 1,000 small objects (4 KiB) put then got, one at a time and 32 in flight
  (raw: a thread pool of 32 around ``upload_from_string`` / ``download_as_bytes``),
  raw and sapwood taking turns every 100 objects;
- one large object (256 MiB) put then got, by the raw SDK with its defaults, by
  ``GcsStorage``, and by ``GcsStorage`` under sapwood's object layer (compression off).

Ratios are sapwood time / raw time (below 1.00 is faster than raw). The emulator keeps
everything in memory on this machine, so the figures measure client overhead more than
network speed.

    .venv/bin/python tests/benchmarks/bench_gcs.py [--small 1000] [--size-mib 256] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from sapwood.config import CompressionConfig, RepositoryConfig
from sapwood.credentials import AnonymousCredentials
from sapwood.layer.object_layer import ObjectLayer
from sapwood.stores import open_storage
from sapwood_gcs.storage import GcsStorage
from sapwood_gcs.testing import FakeGcsServer, emulator_client, emulator_config, new_bucket

T = TypeVar("T")
CONCURRENCY = 32
SMALL_SIZE = 4096
MIB = 1024 * 1024


async def bounded(calls: Iterable[Awaitable[T]], limit: int) -> list[T]:
    gate = asyncio.Semaphore(limit)

    async def one(call: Awaitable[T]) -> T:
        async with gate:
            return await call

    return await asyncio.gather(*(one(c) for c in calls))


def timed(work: Callable[[], Any]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


async def atimed(work: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await work()
    return time.perf_counter() - start


class Raw:
    """The plain SDK, used as its documentation shows."""

    def __init__(self, endpoint: str, bucket: str) -> None:
        self.bucket = emulator_client(endpoint).bucket(bucket)
        self.pool = ThreadPoolExecutor(CONCURRENCY)

    def put(self, key: str, data: bytes) -> None:
        self.bucket.blob(key).upload_from_string(data)

    def get(self, key: str) -> bytes:
        data: bytes = self.bucket.blob(key).download_as_bytes()
        return data

    def put_many(self, keys: list[str], data: bytes, parallel: bool) -> None:
        if parallel:
            list(self.pool.map(lambda k: self.put(k, data), keys))
        else:
            for key in keys:
                self.put(key, data)

    def delete_many(self, keys: list[str]) -> None:
        list(self.pool.map(self.bucket.delete_blob, keys))

    def get_many(self, keys: list[str], parallel: bool) -> None:
        if parallel:
            list(self.pool.map(self.get, keys))
        else:
            for key in keys:
                self.get(key)


async def sapwood_put_many(store: GcsStorage, keys: list[str], data: bytes, parallel: bool) -> None:
    if parallel:
        await bounded((store.put(k, data) for k in keys), CONCURRENCY)
    else:
        for key in keys:
            await store.put(key, data)


async def sapwood_get_many(store: GcsStorage, keys: list[str], parallel: bool) -> None:
    if parallel:
        await bounded((store.get(k) for k in keys), CONCURRENCY)
    else:
        for key in keys:
            await store.get(key)


BATCH = 100


async def raw_batch(raw: Raw, keys: list[str], payload: bytes | None, parallel: bool) -> float:
    if payload is None:
        return await asyncio.to_thread(timed, partial(raw.get_many, keys, parallel))
    return await asyncio.to_thread(timed, partial(raw.put_many, keys, payload, parallel))


async def sapwood_batch(
    store: GcsStorage, keys: list[str], payload: bytes | None, parallel: bool
) -> float:
    if payload is None:
        return await atimed(partial(sapwood_get_many, store, keys, parallel))
    return await atimed(partial(sapwood_put_many, store, keys, payload, parallel))


async def small_objects(endpoint: str, count: int, repeat: int) -> list[str]:
    """Raw and sapwood take turns every ``BATCH`` objects (the order flipping each turn),
    each on its own fresh bucket: the machine's load then hits both alike, and so does
    fake-gcs-server's slowdown as a bucket fills."""
    payload = os.urandom(SMALL_SIZE)
    keys = [f"small/{i:05d}" for i in range(count)]
    batches = [keys[i : i + BATCH] for i in range(0, count, BATCH)]
    lines = []
    for parallel in (False, True):
        times: dict[str, list[float]] = {}
        for _round in range(repeat):
            raw = Raw(endpoint, new_bucket(endpoint))
            config = emulator_config(
                endpoint, new_bucket(endpoint), extra={"max_connections": CONCURRENCY}
            )
            store = open_storage(config, AnonymousCredentials())
            assert isinstance(store, GcsStorage)
            await store.put("warm-up", b"x")  # connect, outside the timing
            raw.put("warm-up", b"x")
            for label, data in (("put", payload), ("get", None)):
                spent = {"raw": 0.0, "sapwood": 0.0}
                for index, batch in enumerate(batches):
                    turns = [
                        ("raw", partial(raw_batch, raw, batch, data, parallel)),
                        ("sapwood", partial(sapwood_batch, store, batch, data, parallel)),
                    ]
                    for name, run in turns if index % 2 == 0 else turns[::-1]:
                        spent[name] += await run()
                for name, seconds in spent.items():
                    times.setdefault(f"{name} {label}", []).append(seconds)
            await store.delete_many(keys)
            await asyncio.to_thread(raw.delete_many, keys)
            await store.close()
            raw.pool.shutdown()
        mode = f"{CONCURRENCY} in flight" if parallel else "one at a time"
        for label in ("put", "get"):
            raw_rate = count / statistics.median(times[f"raw {label}"])
            our_rate = count / statistics.median(times[f"sapwood {label}"])
            lines.append(
                f"| {count:,} x 4 KiB {label}, {mode} | {raw_rate:,.0f} obj/s | "
                f"{our_rate:,.0f} obj/s | {raw_rate / our_rate:.2f} |"
            )
    return lines


async def large_object(endpoint: str, size_mib: int, repeat: int) -> list[str]:
    payload = os.urandom(size_mib * MIB)
    results: dict[str, list[float]] = {}

    def note(name: str, seconds: float) -> None:
        results.setdefault(name, []).append(size_mib / seconds)

    for round_number in range(repeat):
        bucket = new_bucket(endpoint)
        raw = Raw(endpoint, bucket)
        store = open_storage(emulator_config(endpoint, bucket), AnonymousCredentials())
        assert isinstance(store, GcsStorage)
        layer = ObjectLayer(
            store, RepositoryConfig(compression=CompressionConfig(algorithm="none"))
        )
        await store.put("warm-up", b"x")
        steps = [
            ("raw put", partial(asyncio.to_thread, timed, partial(raw.put, "raw-large", payload))),
            ("raw get", partial(asyncio.to_thread, timed, partial(raw.get, "raw-large"))),
            ("sapwood put", partial(atimed, partial(store.put, "sap-large", payload))),
            ("sapwood get", partial(atimed, partial(store.get, "sap-large"))),
            ("layer put", partial(atimed, partial(layer.put, "layer-large", payload))),
            ("layer get", partial(atimed, partial(layer.get, "layer-large"))),
        ]
        # Rotate who goes first, pairs kept in order (a get follows its put).
        pairs = [steps[i : i + 2] for i in range(0, len(steps), 2)]
        shift = round_number % len(pairs)
        for name, step in [s for pair in pairs[shift:] + pairs[:shift] for s in pair]:
            note(name, await step())
        assert await store.get("sap-large") == payload
        await store.delete_many(["sap-large", "layer-large", "raw-large"])  # free the emulator
        await layer.close()
        await store.close()
        raw.pool.shutdown()

    def rate(name: str) -> float:
        return statistics.median(results[name])

    lines = []
    for op in ("put", "get"):
        raw_rate = rate(f"raw {op}")
        for who, label in (("sapwood", "GcsStorage"), ("layer", "object layer + GcsStorage")):
            ours = rate(f"{who} {op}")
            lines.append(
                f"| {size_mib} MiB {op}, {label} | {raw_rate:,.0f} MiB/s | {ours:,.0f} MiB/s | "
                f"{raw_rate / ours:.2f} |"
            )
    return lines


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1000, help="number of 4 KiB objects")
    parser.add_argument("--size-mib", type=int, default=256, help="size of the large object")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; medians are shown")
    args = parser.parse_args()
    with FakeGcsServer() as server:
        print(f"fake-gcs-server at {server.url}, {os.cpu_count()} CPUs, medians of {args.repeat}")
        print()
        print("| case | raw google-cloud-storage | sapwood | time ratio (sapwood / raw) |")
        print("| --- | --- | --- | --- |")
        for line in await small_objects(server.url, args.small, args.repeat):
            print(line, flush=True)
        for line in await large_object(server.url, args.size_mib, args.repeat):
            print(line, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
