"""Benchmark: the Azure backend against the raw azure-storage-blob calls, on Azurite.

In one run, side by side on the same emulator and the same event loop:

- 1,000 small objects (4 KiB) put then got, one at a time and 32 in flight
  (raw: ``BlobClient.upload_blob(overwrite=True)`` / ``download_blob().readall()`` on the
  SDK's async client, shared-key signed like sapwood); each side has its own keys and the
  two take turns every 100 objects, so load swings and the emulator filling up hit both;
- one large object (256 MiB) put then got by the raw SDK with its defaults, by the raw SDK
  with sapwood's transfer settings (32 MiB single requests, then 8 MiB blocks and chunks,
  8 in flight), by ``AzureStorage``, and by
  ``AzureStorage`` under sapwood's object layer (compression off).

Ratios are sapwood time / raw time (below 1.00 is faster than raw). Azurite keeps
everything in memory on this machine, so the figures measure client overhead and the
emulator more than a network.

    npm ci --prefix tools/azurite   # once
    .venv/bin/python tests/benchmarks/bench_azure.py [--small 1000] [--size-mib 256] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Any, TypeVar

from azure.storage.blob.aio import BlobServiceClient, ContainerClient

from sapwood.config import CompressionConfig, ObjectStoreConfig, RepositoryConfig
from sapwood.credentials import StaticCredentials
from sapwood.layer.object_layer import ObjectLayer
from sapwood.stores import open_storage
from sapwood_azure.settings import AzureExtra
from sapwood_azure.storage import AzureStorage
from sapwood_azure.testing import DEV_ACCOUNT_KEY, DEV_ACCOUNT_NAME, Azurite

T = TypeVar("T")
CONCURRENCY = 32
CHUNK = 100
SMALL_SIZE = 4096
MIB = 1024 * 1024


async def bounded(calls: Iterable[Awaitable[T]], limit: int) -> list[T]:
    gate = asyncio.Semaphore(limit)

    async def one(call: Awaitable[T]) -> T:
        async with gate:
            return await call

    return await asyncio.gather(*(one(c) for c in calls))


async def timed(work: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (this process: the client side) that ``work`` took."""
    wall, cpu = time.perf_counter(), time.process_time()
    await work()
    return time.perf_counter() - wall, time.process_time() - cpu


class Raw:
    """The plain async SDK, used as its documentation shows."""

    def __init__(self, container: ContainerClient) -> None:
        self.container = container

    async def put(self, key: str, data: bytes, **options: Any) -> None:
        """``upload_blob(overwrite=True)``, as the quickstart writes a blob."""
        await self.container.get_blob_client(key).upload_blob(data, overwrite=True, **options)

    async def get(self, key: str, **options: Any) -> bytes:
        """``download_blob().readall()``."""
        downloader = await self.container.get_blob_client(key).download_blob(**options)
        data: bytes = await downloader.readall()
        return data


async def run_small(raw: Raw, store: AzureStorage, count: int, repeat: int) -> list[list[str]]:
    """Both sides move ``count`` objects of their own, in alternating chunks of 100, so
    both see the same emulator state and the same load from the rest of the machine."""
    payload = random.Random(1).randbytes(SMALL_SIZE)
    keys = {side: [f"small/{side}/{i:05d}" for i in range(count)] for side in ("raw", "sapwood")}
    calls: dict[tuple[str, str], Callable[[str], Awaitable[Any]]] = {
        ("raw", "put"): partial(raw.put, data=payload),
        ("raw", "get"): raw.get,
        ("sapwood", "put"): partial(store.put, data=payload),
        ("sapwood", "get"): store.get,
    }
    rows: list[list[str]] = []
    for limit in (1, CONCURRENCY):
        label = f"{count:,} x 4 KiB, {'one at a time' if limit == 1 else f'{limit} in flight'}"
        for verb in ("put", "get"):
            walls: dict[str, list[float]] = {"raw": [], "sapwood": []}
            cpus: dict[str, list[float]] = {"raw": [], "sapwood": []}
            for round_ in range(repeat):
                spent = {side: [0.0, 0.0] for side in walls}
                for chunk in range(0, count, CHUNK):
                    order = (
                        ("raw", "sapwood")
                        if (round_ + chunk // CHUNK) % 2 == 0
                        else ("sapwood", "raw")
                    )
                    for side in order:
                        part = keys[side][chunk : chunk + CHUNK]
                        wall, cpu = await timed(
                            partial(bounded, map(calls[side, verb], part), limit)
                        )
                        spent[side][0] += wall
                        spent[side][1] += cpu
                for side, (wall, cpu) in spent.items():
                    walls[side].append(wall)
                    cpus[side].append(cpu)
            raw_s, sap_s = statistics.median(walls["raw"]), statistics.median(walls["sapwood"])
            raw_cpu = statistics.median(cpus["raw"]) / count * 1e3
            sap_cpu = statistics.median(cpus["sapwood"]) / count * 1e3
            rows.append(
                [
                    f"{label}: {verb}",
                    f"{raw_s:.2f} s ({count / raw_s:,.0f}/s), {raw_cpu:.2f} ms CPU/op",
                    f"{sap_s:.2f} s ({count / sap_s:,.0f}/s), {sap_cpu:.2f} ms CPU/op",
                    f"{sap_s / raw_s:.2f} / {sap_cpu / raw_cpu:.2f}",
                ]
            )
    await store.delete_many([*keys["raw"], *keys["sapwood"]])
    return rows


async def run_large(
    raw: Raw, tuned: Raw, store: AzureStorage, layer: ObjectLayer, size_mib: int, repeat: int
) -> list[list[str]]:
    payload = os.urandom(size_mib * MIB)  # incompressible, like most large files
    extra = store.extra
    tuned_put = {"max_concurrency": extra.max_concurrency}
    tuned_get = {"max_concurrency": extra.max_concurrency}
    sides: list[tuple[str, Callable[[], Awaitable[Any]], Callable[[], Awaitable[Any]]]] = [
        ("raw SDK, defaults", lambda: raw.put("big/raw", payload), lambda: raw.get("big/raw")),
        (
            "raw SDK, sapwood's settings",
            lambda: tuned.put("big/tuned", payload, **tuned_put),
            lambda: tuned.get("big/tuned", **tuned_get),
        ),
        ("AzureStorage", lambda: store.put("big/store", payload), lambda: store.get("big/store")),
        (
            "AzureStorage + object layer",
            lambda: layer.put("big/layer", payload),
            lambda: layer.get("big/layer"),
        ),
    ]
    put_times: dict[str, list[float]] = {name: [] for name, _, _ in sides}
    get_times: dict[str, list[float]] = {name: [] for name, _, _ in sides}
    for round_ in range(repeat):
        # Interleaved rounds, order reversed every other round, for a fair share of noise.
        for name, put, get in sides if round_ % 2 == 0 else sides[::-1]:
            put_times[name].append((await timed(put))[0])
            get_times[name].append((await timed(get))[0])
    results = {
        name: (statistics.median(put_times[name]), statistics.median(get_times[name]))
        for name, _, _ in sides
    }
    assert await store.get("big/store") == payload, "the large object must round-trip"
    await store.delete_many(["big/raw", "big/tuned", "big/store", "big/layer"])
    base_put, base_get = results["raw SDK, sapwood's settings"]
    rows: list[list[str]] = []
    for name, (put_s, get_s) in results.items():
        rows.append(
            [
                f"{size_mib} MiB, {name}",
                f"put {put_s:.2f} s ({size_mib / put_s:,.0f} MiB/s)",
                f"get {get_s:.2f} s ({size_mib / get_s:,.0f} MiB/s)",
                f"{put_s / base_put:.2f} / {get_s / base_get:.2f}",
            ]
        )
    return rows


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def azurite_version(azurite: Azurite) -> str:
    # node_modules/.bin/azurite-blob -> node_modules/azurite/package.json
    package = azurite.executable.parent.parent / "azurite" / "package.json"
    try:
        return str(json.loads(package.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return "(unknown version)"


async def main(count: int, size_mib: int, repeat: int) -> None:
    with Azurite() as azurite:
        container_name = "bench"
        service = BlobServiceClient(
            azurite.url,
            credential={"account_name": DEV_ACCOUNT_NAME, "account_key": DEV_ACCOUNT_KEY},
        )
        await service.create_container(container_name)
        raw = Raw(service.get_container_client(container_name))
        defaults = AzureExtra()
        # The raw SDK configured as sapwood configures it: same block and chunk sizes.
        tuned_service = BlobServiceClient(
            azurite.url,
            credential={"account_name": DEV_ACCOUNT_NAME, "account_key": DEV_ACCOUNT_KEY},
            max_single_put_size=defaults.max_single_put_bytes,
            max_block_size=defaults.block_bytes,
            max_single_get_size=defaults.max_single_get_bytes,
            max_chunk_get_size=defaults.get_chunk_bytes,
        )
        tuned = Raw(tuned_service.get_container_client(container_name))
        config = ObjectStoreConfig(
            object_store="azure", bucket=container_name, endpoint_url=azurite.url
        )
        credentials = StaticCredentials(
            access_key_id=DEV_ACCOUNT_NAME, secret_access_key=DEV_ACCOUNT_KEY
        )
        store = open_storage(config, credentials)
        assert isinstance(store, AzureStorage)
        layer = ObjectLayer(
            open_storage(config, credentials),
            RepositoryConfig(compression=CompressionConfig(algorithm="none")),
        )
        print(
            f"Azurite {azurite_version(azurite)}, Python {platform.python_version()}, "
            f"median of {repeat}; sapwood defaults: {defaults.block_bytes // MIB} MiB blocks, "
            f"{defaults.max_concurrency} in flight\n",
            flush=True,
        )
        try:
            # Warm both connection pools so neither side pays for the first connection.
            await raw.put("warm", b"x")
            await tuned.put("warm", b"x")
            await store.put("warm", b"x")
            await layer.put("warm2", b"x")
            small = await run_small(raw, store, count, repeat)
            print(
                table(["small objects", "raw SDK", "sapwood", "sapwood / raw (wall / CPU)"], small)
            )
            print(flush=True)
            large = await run_large(raw, tuned, store, layer, size_mib, repeat)
        finally:
            await layer.close()
            await store.close()
            await service.close()
            await tuned_service.close()
    print(table(["large object", "put", "get", "vs raw with same settings (put / get)"], large))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1000, help="number of 4 KiB objects")
    parser.add_argument("--size-mib", type=int, default=256, help="size of the large object")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    args = parser.parse_args()
    asyncio.run(main(args.small, args.size_mib, args.repeat))
