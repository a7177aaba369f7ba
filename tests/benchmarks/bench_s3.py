"""Benchmark: the S3 and Tigris backends against raw boto3 calls, on moto's S3 server.

In one run, side by side on the same server (moto in its own process, on 127.0.0.1):

- 1,000 small objects (4 KiB) put then got, 32 in flight (raw: a thread pool of 32 around
  ``put_object`` / ``get_object`` on one boto3 client);
- one large object (256 MiB) put then got: raw ``put_object`` / ``get_object`` (one request
  each), raw boto3's managed transfer (``upload_fileobj`` / ``download_fileobj``, parallel
  parts), ``S3Storage`` (parallel multipart upload, parallel ranged GETs), ``TigrisStorage``
  (the same, with its consistency header), and ``S3Storage`` under sapwood's object layer
  (compression off).

Ratios are raw time / sapwood time for small objects, throughput in MiB/s for the large
one. moto keeps everything in memory and spends ~5-10 ms of Python per request, so the
figures measure client overhead and parallelism against a slow server, not S3 itself.

    .venv/bin/python tests/benchmarks/bench_s3.py [--small 1000] [--size-mib 256] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from sapwood.config import CompressionConfig, ObjectStoreConfig, RepositoryConfig
from sapwood.layer.object_layer import ObjectLayer
from sapwood.storage import Storage
from sapwood.stores import open_storage
from sapwood_s3.testing import TEST_CREDENTIALS, MotoServer, start_moto_server

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


async def atimed(work: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await work()
    return time.perf_counter() - start


def timed(work: Callable[[], Any]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def store_for(server: MotoServer, bucket: str, backend: str, **extra: Any) -> Storage:
    if backend == "tigris":
        config = ObjectStoreConfig.from_url(f"tigris://{bucket}", endpoint_url=server.endpoint_url)
    else:
        config = ObjectStoreConfig(
            object_store="s3",
            bucket=bucket,
            region="us-east-1",
            endpoint_url=server.endpoint_url,
            extra=extra,
        )
    return open_storage(config, TEST_CREDENTIALS)


async def small_objects(server: MotoServer, count: int, repeat: int) -> dict[str, float]:
    payloads = [os.urandom(SMALL_SIZE) for _ in range(count)]
    results: dict[str, list[float]] = {}
    raw = server.client()
    pool = ThreadPoolExecutor(CONCURRENCY)
    for _ in range(repeat):
        bucket = server.create_bucket("bench")
        stores = {name: store_for(server, bucket, name) for name in ("s3", "tigris")}
        for store in stores.values():
            await store.put("warm-up", b"x")

        def raw_puts(b: str = bucket) -> None:
            list(
                pool.map(
                    lambda i: raw.put_object(Bucket=b, Key=f"raw/{i}", Body=payloads[i]),
                    range(count),
                )
            )

        def raw_gets(b: str = bucket) -> None:
            list(
                pool.map(
                    lambda i: raw.get_object(Bucket=b, Key=f"raw/{i}")["Body"].read(),
                    range(count),
                )
            )

        results.setdefault("raw put", []).append(await asyncio.to_thread(timed, raw_puts))
        results.setdefault("raw get", []).append(await asyncio.to_thread(timed, raw_gets))
        for name, store in stores.items():

            async def puts(s: Storage = store, n: str = name) -> None:
                await bounded((s.put(f"{n}/{i}", payloads[i]) for i in range(count)), CONCURRENCY)

            async def gets(s: Storage = store, n: str = name) -> None:
                await bounded((s.get(f"{n}/{i}") for i in range(count)), CONCURRENCY)

            results.setdefault(f"{name} put", []).append(await atimed(puts))
            results.setdefault(f"{name} get", []).append(await atimed(gets))
            await store.close()
        server.remove_bucket(bucket)
    pool.shutdown()
    return {name: statistics.median(times) for name, times in results.items()}


async def large_object(server: MotoServer, size_mib: int, repeat: int) -> dict[str, float]:
    payload = os.urandom(size_mib * MIB)
    raw = server.client()
    results: dict[str, list[float]] = {}

    def note(name: str, seconds: float) -> None:
        results.setdefault(name, []).append(size_mib / seconds)

    for _ in range(repeat):
        bucket = server.create_bucket("bench-large")
        s3 = store_for(server, bucket, "s3")
        tigris = store_for(server, bucket, "tigris")
        single_get = store_for(server, bucket, "s3", parallel_get=False)
        layer = ObjectLayer(s3, RepositoryConfig(compression=CompressionConfig(algorithm="none")))
        await s3.put("warm-up", b"x")
        await tigris.put("warm-up", b"x")
        await single_get.put("warm-up", b"x")

        def raw_put(b: str = bucket) -> None:
            raw.put_object(Bucket=b, Key="raw", Body=payload)

        def raw_get(b: str = bucket) -> None:
            raw.get_object(Bucket=b, Key="raw")["Body"].read()

        def transfer_put(b: str = bucket) -> None:
            raw.upload_fileobj(io.BytesIO(payload), b, "transfer")

        def transfer_get(b: str = bucket) -> None:
            raw.download_fileobj(b, "transfer", io.BytesIO())

        note("raw put_object", await asyncio.to_thread(timed, raw_put))
        note("raw get_object", await asyncio.to_thread(timed, raw_get))
        raw.delete_object(Bucket=bucket, Key="raw")
        note("boto3 upload_fileobj", await asyncio.to_thread(timed, transfer_put))
        note("boto3 download_fileobj", await asyncio.to_thread(timed, transfer_get))
        raw.delete_object(Bucket=bucket, Key="transfer")
        contenders: list[tuple[str, Storage | ObjectLayer]] = [
            ("S3Storage", s3),
            ("S3Storage, parallel_get off", single_get),
            ("TigrisStorage", tigris),
            ("object layer", layer),
        ]
        for name, store in contenders:
            note(f"{name} put", await atimed(partial(store.put, name, payload)))
            note(f"{name} get", await atimed(partial(store.get, name)))
            await s3.delete(name)
        await layer.close()
        await s3.close()
        await tigris.close()
        await single_get.close()
        server.remove_bucket(bucket)
    return {name: statistics.median(speeds) for name, speeds in results.items()}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    server = start_moto_server(subprocess=True)
    try:
        small = await small_objects(server, args.small, args.repeat)
        print(f"\n{args.small} objects of 4 KiB, {CONCURRENCY} in flight (median of {args.repeat})")
        print("| operation | raw boto3 | S3Storage | TigrisStorage | raw / S3Storage |")
        print("|---|---|---|---|---|")
        for op in ("put", "get"):
            raw_s, s3_s, tigris_s = small[f"raw {op}"], small[f"s3 {op}"], small[f"tigris {op}"]
            print(
                f"| {op} | {raw_s:.2f} s | {s3_s:.2f} s | {tigris_s:.2f} s | {raw_s / s3_s:.2f} |"
            )
        large = await large_object(server, args.size_mib, args.repeat)
        print(f"\none object of {args.size_mib} MiB (MiB/s, median of {args.repeat})")
        print("| client | put | get |")
        print("|---|---|---|")
        rows = [
            ("raw boto3 put_object / get_object", "raw put_object", "raw get_object"),
            (
                "boto3 upload_fileobj / download_fileobj",
                "boto3 upload_fileobj",
                "boto3 download_fileobj",
            ),
            ("S3Storage", "S3Storage put", "S3Storage get"),
            (
                "S3Storage, parallel_get off",
                "S3Storage, parallel_get off put",
                "S3Storage, parallel_get off get",
            ),
            ("TigrisStorage", "TigrisStorage put", "TigrisStorage get"),
            ("S3Storage under the object layer", "object layer put", "object layer get"),
        ]
        for label, put, get in rows:
            print(f"| {label} | {large[put]:.0f} | {large[get]:.0f} |")
    finally:
        server.stop()


if __name__ == "__main__":
    asyncio.run(main())
