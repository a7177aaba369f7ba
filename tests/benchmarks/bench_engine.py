"""Benchmarks of the versioning engine (plain script; figures go to docs/benchmarks.md).

    .venv/bin/python tests/benchmarks/bench_engine.py            # default sizes
    .venv/bin/python tests/benchmarks/bench_engine.py --full     # adds 1,000,000 objects
    .venv/bin/python tests/benchmarks/bench_engine.py --only b --sizes 1000,100000

Sections:
  chunking  FastCDC (pyfastcdc) against a naive fixed-size split: cutting speed and how
            much an insertion in the middle of a 64 MiB file makes a new version re-upload.
  a         1,000 files of 4 KiB put and committed on local storage, then read back
            (one request at a time, and 64 in flight); with --icechunk-python, the same
            through Zarr into Icechunk (a python whose venv has icechunk and zarr).
  b         a commit of 100 changes and a diff of 100 changes in repositories of 1,000,
            100,000 (and with --full 1,000,000) objects: median time and peak traced
            memory, with the ratio to the 1,000-object figure. Changes are "scattered"
            (100 existing objects spread over the whole tree) or "clustered" (100 new
            objects in one new folder).
  c         log over 10,000 commits.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sapwood.aio import AsyncBranch, AsyncRepository, AsyncSession
from sapwood.config import ChunkingConfig, ObjectStoreConfig, RepositoryConfig


def local_store(folder: str, fsync: bool) -> ObjectStoreConfig:
    """A local-folder store config."""
    return ObjectStoreConfig(object_store="local", prefix=folder, extra={"fsync": fsync})


def repo_config(range_entries: int | None) -> RepositoryConfig | None:
    """A config overriding the manifest range size, if asked."""
    if range_entries is None:
        return None
    return RepositoryConfig(chunking=ChunkingConfig(manifest_range_entries=range_entries))


async def measure(action: Callable[[], Awaitable[Any]]) -> tuple[float, float, Any]:
    """Wall seconds and CPU seconds of one awaited action, and its result (CPU time is the
    steadier figure on a busy host)."""
    gc.collect()
    cpu = time.process_time()
    start = time.perf_counter()
    result = await action()
    return time.perf_counter() - start, time.process_time() - cpu, result


async def peak_memory(action: Callable[[], Awaitable[Any]]) -> tuple[int, Any]:
    """Peak bytes traced while one awaited action ran, and its result. Measured apart from
    timing: tracemalloc slows allocation-heavy code several times over."""
    gc.collect()
    tracemalloc.start()
    try:
        result = await action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, result


def mib(value: float) -> str:
    """Bytes as MiB with one decimal."""
    return f"{value / 1024 / 1024:.1f} MiB"


def ms(value: float) -> str:
    """Seconds as milliseconds."""
    return f"{value * 1000:.1f} ms"


# -- chunking -------------------------------------------------------------------------------


def bench_chunking() -> None:
    """FastCDC against fixed-size chunks: speed and re-upload after an insertion."""
    from pyfastcdc import FastCDC

    data = random.Random(7).randbytes(64 * 1024 * 1024)
    edited = data[:30_000_000] + b"inserted!" * 10 + data[30_000_000:]
    print("\n## chunking: 64 MiB random file, 90 bytes inserted at 30 MB")
    print("| method | cut speed | chunks | re-uploaded after the insertion |")
    print("|---|---|---|---|")
    for average in (256 * 1024, 1024 * 1024):
        cutter = FastCDC(average, min_size=average // 4, max_size=average * 4)
        start = time.perf_counter()
        before = [bytes(c.data) for c in cutter.cut_buf(data)]
        speed = len(data) / (time.perf_counter() - start) / 1e6
        after = [bytes(c.data) for c in cutter.cut_buf(edited)]
        known = {hashlib.sha256(c).digest() for c in before}
        fresh = [c for c in after if hashlib.sha256(c).digest() not in known]
        print(
            f"| FastCDC avg {average // 1024} KiB | {speed:.0f} MB/s | {len(before)} | "
            f"{sum(map(len, fresh)) / 1e6:.2f} MB ({len(fresh)} chunks) |"
        )
        start = time.perf_counter()
        before = [data[i : i + average] for i in range(0, len(data), average)]
        speed = len(data) / (time.perf_counter() - start) / 1e6
        after = [edited[i : i + average] for i in range(0, len(edited), average)]
        known = {hashlib.sha256(c).digest() for c in before}
        fresh = [c for c in after if hashlib.sha256(c).digest() not in known]
        print(
            f"| fixed {average // 1024} KiB | {speed:.0f} MB/s | {len(before)} | "
            f"{sum(map(len, fresh)) / 1e6:.2f} MB ({len(fresh)} chunks) |"
        )
    start = time.perf_counter()
    hashlib.sha256(data).digest()
    print(f"(sha256 of the same file: {len(data) / (time.perf_counter() - start) / 1e6:.0f} MB/s)")


# -- (a) small files ------------------------------------------------------------------------


async def upload_concurrently(branch: AsyncBranch, payloads: list[bytes], limit: int = 64) -> None:
    """Stage every payload with at most ``limit`` uploads in flight."""
    gate = asyncio.Semaphore(limit)

    async def put(i: int, payload: bytes) -> None:
        async with gate:
            await branch.upload(payload, f"data/{i:05d}.bin")

    await asyncio.gather(*(put(i, p) for i, p in enumerate(payloads)))


async def download_concurrently(session: AsyncSession, count: int, limit: int = 64) -> list[bytes]:
    """Read every file back with at most ``limit`` downloads in flight."""
    gate = asyncio.Semaphore(limit)

    async def get(i: int) -> bytes:
        async with gate:
            return await session.download(f"data/{i:05d}.bin")

    return list(await asyncio.gather(*(get(i) for i in range(count))))


async def small_files_once(
    root: str, fsync: bool, mode: str, payloads: list[bytes]
) -> dict[str, float]:
    """One round of (a) in ``mode``: seconds to write+commit, to commit, to read back."""
    count = len(payloads)
    folder = os.path.join(root, f"small-{mode}-{random.getrandbits(32):08x}")
    repo = await AsyncRepository.create(local_store(folder, fsync))
    branch = repo.branch("main")
    start = time.perf_counter()
    if mode == "sequential":
        for i, payload in enumerate(payloads):
            await branch.upload(payload, f"data/{i:05d}.bin")
    else:
        await upload_concurrently(branch, payloads)
    staged = time.perf_counter() - start
    await branch.commit_changes(f"{count} files")
    written = time.perf_counter() - start
    await repo.close()
    reader = await AsyncRepository.open(local_store(folder, fsync))
    start = time.perf_counter()
    session = await reader.readonly_session("main")
    if mode == "sequential":
        results = [await session.download(f"data/{i:05d}.bin") for i in range(count)]
    else:
        results = await download_concurrently(session, count)
    read = time.perf_counter() - start
    assert results == payloads
    await reader.close()
    shutil.rmtree(folder, ignore_errors=True)
    return {"write": written, "commit": written - staged, "read": read}


async def bench_small_files(
    root: str, fsync: bool, rounds: int, icechunk: str | None, count: int = 1000, size: int = 4096
) -> None:
    """Put, commit and read back ``count`` files of ``size`` bytes on local storage (and
    the same through Zarr into Icechunk when its python is given); medians of ``rounds``,
    interleaved so both see the same background load."""
    payloads = [random.Random(i).randbytes(size) for i in range(count)]
    samples: dict[str, list[dict[str, float]]] = {"sequential": [], "concurrent": []}
    iced: list[dict[str, float]] = []
    for _ in range(rounds):
        for mode in samples:
            samples[mode].append(await small_files_once(root, fsync, mode, payloads))
        if icechunk:
            iced.append(run_icechunk(icechunk, count, size))
    print(
        f"\n## (a) {count} files of {size // 1024} KiB on local storage (fsync={fsync}), "
        f"median of {rounds}"
    )
    print("| what | write+commit | of which commit | read back (new handle) |")
    print("|---|---|---|---|")

    def row(label: str, runs: list[dict[str, float]]) -> None:
        write = statistics.median(r["write"] for r in runs)
        commit = statistics.median(r["commit"] for r in runs)
        read = statistics.median(r["read"] for r in runs)
        print(
            f"| {label} | {ms(write)} ({count / write:,.0f} files/s) | {ms(commit)} | "
            f"{ms(read)} ({count / read:,.0f} files/s) |"
        )

    row("sapwood, one request at a time", samples["sequential"])
    row("sapwood, 64 requests in flight", samples["concurrent"])
    if iced:
        row(f"Icechunk {ICECHUNK_VERSION[0]} through Zarr (concurrent, no fsync)", iced)


ICECHUNK_SCRIPT = """
import json, os, sys, tempfile, time
import numpy as np, zarr, icechunk

count, size = int(sys.argv[1]), int(sys.argv[2])
folder = os.path.join(tempfile.mkdtemp(prefix="icechunk-bench-"), "repo")
data = np.frombuffer(os.urandom(count * size), dtype=np.uint8)
repo = icechunk.Repository.create(icechunk.local_filesystem_storage(folder))
start = time.perf_counter()
session = repo.writable_session("main")
array = zarr.group(store=session.store).create_array(
    "data", shape=(count * size,), chunks=(size,), dtype="uint8", compressors=None, fill_value=0
)
array[:] = data
staged = time.perf_counter() - start
session.commit(f"{count} chunks")
written = time.perf_counter() - start
reader = icechunk.Repository.open(icechunk.local_filesystem_storage(folder))
start = time.perf_counter()
back = zarr.open_array(reader.readonly_session(branch="main").store, path="data", mode="r")[:]
read = time.perf_counter() - start
assert (back == data).all()
print(json.dumps({"write": written, "commit": written - staged, "read": read,
                  "version": icechunk.__version__}))
"""


ICECHUNK_VERSION = ["?"]


def run_icechunk(python: str, count: int, size: int) -> dict[str, float]:
    """One round of the same workload through Zarr into Icechunk, in ``python``'s venv."""
    import json
    import subprocess

    result = subprocess.run(
        [python, "-c", ICECHUNK_SCRIPT, str(count), str(size)],
        capture_output=True,
        check=True,
        text=True,
        env={**os.environ, "RUST_LOG": "error"},
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    ICECHUNK_VERSION[0] = figures.pop("version")
    return {key: float(value) for key, value in figures.items()}


# -- (b) scale ------------------------------------------------------------------------------


def object_path(i: int) -> str:
    """The path of the i-th object of a scale repository: 1,000 folders of many files."""
    return f"part-{i % 1000:04d}/file-{i:08d}.json"


async def populate(
    folder: str, count: int, fsync: bool, range_entries: int | None
) -> AsyncRepository:
    """A repository of ``count`` tiny (inlined) objects, committed in batches."""
    repo = await AsyncRepository.create(
        local_store(folder, fsync), config=repo_config(range_entries)
    )
    branch = repo.branch("main")
    batch = 200_000
    for start in range(0, count, batch):
        session = await repo.writable_session("main")
        for i in range(start, min(count, start + batch)):
            await session.upload(b'{"v": %d}' % i, object_path(i))
        await session.commit(f"objects {start}..{min(count, start + batch)}")
    del branch
    return repo


async def count_diff(repo: AsyncRepository, old: str, new: str) -> int:
    """How many changes turn commit ``old`` into ``new``."""
    return len([change async for change in repo.commit(old).diff(new)])


async def stage_changes(
    repo: AsyncRepository, pattern: str, count: int, round_number: int, rng: random.Random
) -> AsyncSession:
    """A session with 100 changes staged: existing objects spread over the whole tree
    ("scattered") or new objects in one new folder ("clustered"); 1.3 KB each (a blob)."""
    session = await repo.writable_session("main")
    if pattern == "scattered":
        paths = [object_path(i) for i in rng.sample(range(count), 100)]
    else:
        paths = [f"new-{round_number:03d}/file-{k:04d}.json" for k in range(100)]
    for k, path in enumerate(paths):
        await session.upload(b"changed %d %d" % (round_number, k) * 100, path)
    return session


async def bench_scale(
    root: str, sizes: list[int], fsync: bool, range_entries: int | None, rounds: int
) -> None:
    """Commit and diff of 100 changes at several repository sizes."""
    print(f"\n## (b) commit and diff of 100 changes (local storage, fsync={fsync})")
    operations = ("stage+commit", "commit", "diff (warm)", "diff (new handle)")
    results: dict[tuple[str, str, int], tuple[float, float, int]] = {}
    for count in sizes:
        folder = os.path.join(root, f"scale-{count}")
        start = time.perf_counter()
        repo = await populate(folder, count, fsync, range_entries)
        built = time.perf_counter() - start
        table = await repo.engine.snapshots.ranges_of(
            await repo.engine.snapshots.read(await repo.branch("main").resolve())
        )
        print(
            f"- {count:,} objects: built in {built:.1f} s, {len(table):,} ranges "
            f"({repo.engine.manifests.range_entries} entries each, up to twice that)"
        )
        rng = random.Random(count)
        for pattern in ("scattered", "clustered"):
            times: dict[str, list[tuple[float, float]]] = {op: [] for op in operations}
            peaks: dict[str, int] = {}
            for round_number in range(rounds + 1):
                memory_round = round_number == 0
                start = time.perf_counter()
                cpu = time.process_time()
                session = await stage_changes(repo, pattern, count, round_number, rng)
                staged = (time.perf_counter() - start, time.process_time() - cpu)
                before = session.snapshot_id
                commit_action = partial(session.commit, "100 changes")
                fresh = await AsyncRepository.open(local_store(folder, fsync))
                if memory_round:
                    peaks["commit"], commit = await peak_memory(commit_action)
                    peaks["stage+commit"] = peaks["commit"]
                    peaks["diff (warm)"], found = await peak_memory(
                        partial(count_diff, repo, before, commit.id)
                    )
                    peaks["diff (new handle)"], _ = await peak_memory(
                        partial(count_diff, fresh, before, commit.id)
                    )
                else:
                    wall, spent, commit = await measure(commit_action)
                    times["commit"].append((wall, spent))
                    times["stage+commit"].append((staged[0] + wall, staged[1] + spent))
                    wall, spent, found = await measure(partial(count_diff, repo, before, commit.id))
                    times["diff (warm)"].append((wall, spent))
                    wall, spent, _ = await measure(partial(count_diff, fresh, before, commit.id))
                    times["diff (new handle)"].append((wall, spent))
                await fresh.close()
                assert found == 100, found
            for operation in operations:
                results[(pattern, operation, count)] = (
                    statistics.median(w for w, _ in times[operation]),
                    statistics.median(c for _, c in times[operation]),
                    peaks[operation],
                )
        await repo.close()
        shutil.rmtree(folder, ignore_errors=True)
    smallest, largest = min(sizes), max(sizes)
    header = " | ".join(f"{n:,} objects" for n in sizes)
    print()
    print(
        f"Each cell: median wall time / median CPU time of {rounds} rounds / peak traced "
        "memory (a separate round)."
    )
    print()
    print(f"| changes | operation | {header} | {largest:,} / {smallest:,} (wall, CPU) |")
    print("|---|---|" + "---|" * len(sizes) + "---|")
    for pattern in ("scattered", "clustered"):
        for operation in operations:
            cells = []
            for count in sizes:
                wall, spent, peak = results[(pattern, operation, count)]
                cells.append(f"{ms(wall)} / {ms(spent)} / {mib(peak)}")
            big = results[(pattern, operation, largest)]
            small = results[(pattern, operation, smallest)]
            print(
                f"| {pattern} | {operation} | {' | '.join(cells)} | "
                f"{big[0] / small[0]:.2f}x, {big[1] / small[1]:.2f}x |"
            )


# -- (c) log --------------------------------------------------------------------------------


async def bench_log(root: str, commits: int, fsync: bool) -> None:
    """``log`` over a history of ``commits`` commits."""
    print(f"\n## (c) log over {commits:,} commits (local storage, fsync={fsync})")
    folder = os.path.join(root, "log")
    repo = await AsyncRepository.create(local_store(folder, fsync))
    session = await repo.writable_session("main")
    start = time.perf_counter()
    for i in range(commits):
        await session.upload(b"%d" % i, f"counter/{i % 100:03d}.txt")
        await session.commit(f"commit {i}")
    built = time.perf_counter() - start
    print(f"- built in {built:.1f} s ({commits / built:,.0f} commits/s)")
    print("| operation | time (wall / CPU) | commits/s | peak memory |")
    print("|---|---|---|---|")
    for label, paths in (
        ("log", None),
        ("log, paths filter (1 in 100 commits)", ["counter/007.txt"]),
    ):
        for handle in ("new handle", "same handle"):
            target = repo
            if handle == "new handle":
                target = await AsyncRepository.open(local_store(folder, fsync))
            wall, spent, found = await measure(partial(_count_log, target, paths))
            assert found == (commits + 1 if paths is None else commits // 100), found
            if handle == "new handle":
                await target.close()
                target = await AsyncRepository.open(local_store(folder, fsync))
            peak, _ = await peak_memory(partial(_count_log, target, paths))
            if handle == "new handle":
                await target.close()
            print(
                f"| {label}, {handle} | {ms(wall)} / {ms(spent)} | {commits / wall:,.0f} | "
                f"{mib(peak)} |"
            )
    await repo.close()


async def _count_log(repo: AsyncRepository, paths: list[str] | None) -> int:
    return len([commit async for commit in repo.branch("main").log(paths=paths)])


async def main(argv: list[str]) -> None:
    """Run the chosen sections."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--only", default="chunking,a,b,c", help="sections to run")
    parser.add_argument("--sizes", default="1000,100000", help="object counts for (b)")
    parser.add_argument("--full", action="store_true", help="add 1,000,000 objects to (b)")
    parser.add_argument("--rounds", type=int, default=5, help="repetitions in (a) and (b)")
    parser.add_argument("--commits", type=int, default=10_000, help="history length for (c)")
    parser.add_argument("--range-entries", type=int, default=None, help="override the range size")
    parser.add_argument("--no-fsync", action="store_true", help="local store without fsync")
    parser.add_argument("--dir", default=None, help="scratch folder (default: a temp dir)")
    parser.add_argument(
        "--icechunk-python",
        default=None,
        help="a python with icechunk and zarr installed: compare (a) with Icechunk",
    )
    args = parser.parse_args(argv)
    sections = set(args.only.split(","))
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.full and 1_000_000 not in sizes:
        sizes.append(1_000_000)
    fsync = not args.no_fsync
    root = tempfile.mkdtemp(prefix="sapwood-bench-", dir=args.dir)
    print(
        f"# sapwood engine benchmarks, {datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}"
    )
    try:
        if "chunking" in sections:
            bench_chunking()
        if "a" in sections:
            await bench_small_files(root, fsync, args.rounds, args.icechunk_python)
        if "b" in sections:
            await bench_scale(root, sizes, fsync, args.range_entries, args.rounds)
        if "c" in sections:
            await bench_log(root, args.commits, fsync)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
