"""Benchmark: the object layer against the raw storage it wraps, side by side.

(a) 1 GiB in 16 MiB objects written and read through the layer and through the raw store,
    on the memory and local backends (incompressible data, so compression must be skipped
    cheaply); the goal is at least 0.8 of raw throughput. A compressible run is shown too.
(b) cached small reads per second (4 KiB immutable object), against raw memory reads.
(c) 64 concurrent identical reads: how many backend calls they make.
(d) limiter accuracy: achieved against configured rate over 10 s, requests/s and bytes/s.

    .venv/bin/python tests/benchmarks/bench_object_layer.py [--total-mib 1024] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from sapwood.config import LimitsConfig, RepositoryConfig
from sapwood.layer import ChaosStorage, ObjectLayer
from sapwood.storage import Storage
from sapwood.stores import open_storage

T = TypeVar("T")
MIB = 1024 * 1024
OBJECT_SIZE = 16 * MIB
CONCURRENCY = 4


async def _bounded(calls: Iterable[Awaitable[T]], limit: int) -> list[T]:
    gate = asyncio.Semaphore(limit)

    async def one(call: Awaitable[T]) -> T:
        async with gate:
            return await call

    return await asyncio.gather(*(one(c) for c in calls))


def _payloads(count: int, compressible: bool) -> list[bytes]:
    rng = random.Random(7)
    if compressible:
        words = [rng.randbytes(6).hex().encode() for _ in range(2000)]
        base = b" ".join(rng.choice(words) for _ in range(OBJECT_SIZE // 12))[:OBJECT_SIZE]
        return [base[i:] + base[:i] for i in range(count)]
    return [os.urandom(OBJECT_SIZE) for _ in range(count)]


async def _write_read(
    put: Callable[[str, bytes], Awaitable[object]],
    get: Callable[[str], Awaitable[bytes]],
    payloads: list[bytes],
) -> tuple[float, float]:
    keys = [f"bench/{i:04d}" for i in range(len(payloads))]
    start = time.perf_counter()
    await _bounded((put(k, p) for k, p in zip(keys, payloads)), CONCURRENCY)
    written = time.perf_counter()
    got = await _bounded((get(k) for k in keys), CONCURRENCY)
    done = time.perf_counter()
    assert all(g == p for g, p in zip(got, payloads)), "data came back different"
    return written - start, done - written


def _operations(
    store: Storage, side: str
) -> tuple[Callable[[str, bytes], Awaitable[object]], Callable[[str], Awaitable[bytes]]]:
    if side == "raw":
        return (lambda k, d: store.put(k, d)), store.get
    layer = ObjectLayer(store)

    async def put(key: str, data: bytes) -> object:
        return await layer.put(key, data, immutable=True)

    async def get(key: str) -> bytes:
        return await layer.get(key, immutable=True)

    return put, get


def _open(kind: str, tag: str, root: str) -> Storage:
    if kind == "memory":
        return open_storage(f"memory://bench-layer-{tag}-{time.time_ns()}")
    return open_storage(f"file://{root}/{tag}")


async def throughput(kind: str, payloads: list[bytes], label: str, rounds: int) -> None:
    total_mib = len(payloads) * OBJECT_SIZE / MIB
    best: dict[str, tuple[float, float]] = {}
    for _ in range(rounds):
        for side in ("raw", "layer"):
            root = tempfile.mkdtemp(prefix="sapwood-bench-")
            store = _open(kind, side, root)
            try:
                result = await _write_read(*_operations(store, side), payloads)
                await store.delete_many([f"bench/{i:04d}" for i in range(len(payloads))])
            finally:
                await store.close()
                shutil.rmtree(root, ignore_errors=True)
            prior = best.get(side)
            best[side] = (
                result if prior is None else (min(prior[0], result[0]), min(prior[1], result[1]))
            )
    raw_w, raw_r = (total_mib / t for t in best["raw"])
    lay_w, lay_r = (total_mib / t for t in best["layer"])
    print(
        f"| {kind} | {label} | write | {raw_w:,.0f} | {lay_w:,.0f} | {lay_w / raw_w:.2f} |\n"
        f"| {kind} | {label} | read | {raw_r:,.0f} | {lay_r:,.0f} | {lay_r / raw_r:.2f} |"
    )


async def cached_reads(count: int) -> None:
    store = open_storage(f"memory://bench-layer-cached-{time.time_ns()}")
    payload = os.urandom(4096)
    await store.put("small", payload)
    layer = ObjectLayer(store)
    await layer.get("small", immutable=True)
    start = time.perf_counter()
    for _ in range(count):
        await layer.get("small", immutable=True)
    cached = count / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(count):
        await store.get("small")
    raw = count / (time.perf_counter() - start)
    stats = layer.cache.stats()
    print(
        f"| cached 4 KiB reads through the layer | {cached:,.0f} /s |\n"
        f"| raw memory-store 4 KiB reads | {raw:,.0f} /s |\n"
        f"| cache hits / misses | {stats.hits:,} / {stats.misses:,} |"
    )


async def identical_reads() -> None:
    inner = open_storage(f"memory://bench-layer-flight-{time.time_ns()}")
    counted = ChaosStorage(
        inner, failure_ratio=0.0, latency_ratio=1.0, latency_seconds=(0.005, 0.005)
    )
    await counted.put("ref", b"x" * 1024)
    layer = ObjectLayer(counted)
    counted.calls.clear()
    results = await asyncio.gather(*(layer.get("ref") for _ in range(64)))
    assert all(r == b"x" * 1024 for r in results)
    print(f"| 64 concurrent identical reads | {sum(counted.calls.values())} backend call(s) |")


async def limiter_accuracy(seconds: float) -> None:
    store = ChaosStorage(
        open_storage(f"memory://bench-layer-limits-{time.time_ns()}"), failure_ratio=0.0
    )
    size = 64 * 1024
    await store.put("k", b"x" * size)

    async def run(config: LimitsConfig) -> tuple[float, float]:
        # Single-flight would merge identical reads, so count the requests that reach the
        # store; that is what the limiter governs.
        layer = ObjectLayer(store, RepositoryConfig(limits=config))
        store.calls.clear()
        deadline = time.perf_counter() + seconds
        start = time.perf_counter()

        async def worker() -> None:
            while time.perf_counter() < deadline:
                await layer.get("k")

        await asyncio.gather(*(worker() for _ in range(16)))
        elapsed = time.perf_counter() - start
        requests = sum(store.calls.values())
        return requests / elapsed, requests * size / elapsed

    rate = 200.0
    achieved, _ = await run(LimitsConfig(requests_per_second=rate))
    print(f"| requests/s | {rate:,.0f} | {achieved:,.1f} | {achieved / rate:.3f} |")
    byte_rate = 20 * MIB
    _, moved = await run(LimitsConfig(read_bytes_per_second=byte_rate))
    print(f"| read MiB/s | {byte_rate / MIB:,.0f} | {moved / MIB:,.2f} | {moved / byte_rate:.3f} |")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--total-mib", type=int, default=1024)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cached-reads", type=int, default=200_000)
    args = parser.parse_args()
    count = max(1, args.total_mib * MIB // OBJECT_SIZE)

    print(f"## (a) {count} x 16 MiB, best of {args.rounds}, {CONCURRENCY} at a time (MiB/s)\n")
    print("| backend | data | direction | raw | layer | layer / raw |")
    print("| --- | --- | --- | ---: | ---: | ---: |")
    for kind in ("memory", "local"):
        await throughput(kind, _payloads(count, compressible=False), "random", args.rounds)
    compressible = _payloads(min(count, 16), compressible=True)
    for kind in ("memory", "local"):
        await throughput(kind, compressible, "text (compressed)", 1)

    print("\n## (b) cached small reads\n")
    print("| what | rate |\n| --- | ---: |")
    await cached_reads(args.cached_reads)

    print("\n## (c) single-flight\n")
    print("| what | result |\n| --- | ---: |")
    await identical_reads()

    print(f"\n## (d) limiter accuracy over {args.seconds:g} s, 16 concurrent readers\n")
    print("| limit | configured | achieved | ratio |\n| --- | ---: | ---: | ---: |")
    await limiter_accuracy(args.seconds)


if __name__ == "__main__":
    asyncio.run(main())
