"""The plain loops a user writes first, next to Icechunk (through Zarr) and plain files.

    .venv/bin/python tests/benchmarks/bench_natural.py                 # local, quiet machine
    .venv/bin/python tests/benchmarks/bench_natural.py --busy          # with disk work beside it
    .venv/bin/python tests/benchmarks/bench_natural.py --only s3       # on moto, next to boto3
    .venv/bin/python tests/benchmarks/bench_natural.py --only log --log-commits 10000
    .venv/bin/python tests/benchmarks/bench_natural.py --data text     # compressible only
    .venv/bin/python tests/benchmarks/bench_natural.py --quick         # tiny sizes (CI)

Every measured run is its own process, so "a freshly opened repository" is what it says, and
the contenders take turns (A B C A B C ...) so drift on a shared machine hits them alike.
Each child times only the user's code: from opening the repository to the last call, with
interpreter start-up and imports left out. Figures are medians; ratios are sapwood / other;
the CPU columns add up every thread of the child (Icechunk's Rust threads included).

Workloads (``COUNT`` files of ``SIZE`` bytes, default 1,000 x 4 KiB; ``--data`` picks
incompressible ``random`` bytes, compressible ``text`` rows, or ``both`` (the default), each
kind in tables of its own; Icechunk stores its chunks uncompressed in both):
  write   ``with main.transaction("w") as tx: for ...: tx.upload(data, path)`` (durable,
          default settings); Icechunk: ``array[i] = block`` per chunk, then ``commit``;
          files: ``open(path, "wb").write(data)`` per file (no fsync, the floor).
  read    ``main.download(path)`` per file on a freshly opened repository; Icechunk: a
          readonly session and ``array[i]`` per chunk; files: ``open(path, "rb").read()``.
  log     ``list(main.log())`` of N commits on a fresh handle, and ``log(max_amount=10)``;
          Icechunk: ``list(repo.ancestry(branch="main"))``.
  s3      the write and read loops against moto's server next to raw boto3
          ``put_object`` / ``get_object`` loops (reads also with read-ahead off).

``--baseline-src TREE`` adds a contender ``baseline`` to the local and S3 tables: the same sapwood
loops imported from another source tree (``git archive <commit> core plugins | tar -x -C
TREE``), interleaved with the others, for before/after figures from one run.

Icechunk runs in a virtualenv of its own that this script creates on first use under
``.bench-venv/icechunk`` (or pass ``--icechunk-python``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ICECHUNK_VENV = ROOT / ".bench-venv" / "icechunk"


# -- children: each prints one JSON line {"seconds": ..., "cpu": ...} ----------------------

_cpu_start = 0.0


def _started() -> float:
    """The wall clock where a child's timed part begins; its CPU clock starts too."""
    global _cpu_start
    _cpu_start = time.process_time()
    return time.perf_counter()


DATA_KINDS = ("random", "text")
"""What the files hold: ``random`` bytes (incompressible) or ``text`` (CSV-like rows that
zstd shrinks about 3x, so sapwood's default compression does real work)."""

_data_kind = "random"
"""The kind this child writes and reads (set from its command line)."""


def payload(index: int, size: int) -> bytes:
    """Distinct bytes of the current data kind for file ``index`` (the same in every
    process). Icechunk stores its chunks uncompressed here (its fastest path), so with
    ``text`` sapwood compresses and Icechunk does not."""
    import random

    rng = random.Random(index)
    if _data_kind == "random":
        return rng.randbytes(size)
    rows: list[str] = []
    length = 0
    row = 0
    while length < size:
        state = "ok" if rng.random() < 0.9 else "warn"
        line = f"{index},{row},sensor-{rng.randrange(64):02d},{rng.uniform(-50, 50):.3f},{state}\n"
        rows.append(line)
        length += len(line)
        row += 1
    return "".join(rows).encode()[:size]


def child_sapwood_write(folder: str, count: int, size: int, url: str | None) -> float:
    import sapwood

    blobs = [payload(i, size) for i in range(count)]
    start = _started()
    repo = sapwood.repository(url or folder)
    main = repo.branch("main")
    with main.transaction("write files") as tx:
        for i, data in enumerate(blobs):
            tx.upload(data, f"data/{i:06d}.bin")
    repo.close()
    return time.perf_counter() - start


def child_sapwood_read(folder: str, count: int, size: int, url: str | None) -> float:
    return _sapwood_read(folder, count, size, url, read_ahead=True)


def child_sapwood_read_no_readahead(folder: str, count: int, size: int, url: str | None) -> float:
    return _sapwood_read(folder, count, size, url, read_ahead=False)


def _sapwood_read(folder: str, count: int, size: int, url: str | None, read_ahead: bool) -> float:
    import sapwood

    config = None
    if not read_ahead:
        config = sapwood.RepositoryConfig(caching=sapwood.CachingConfig(read_ahead_max_objects=0))
    start = _started()
    repo = sapwood.repository(url or folder, config=config)
    main = repo.branch("main")
    total = 0
    for i in range(count):
        total += len(main.download(f"data/{i:06d}.bin"))
    repo.close()
    elapsed = time.perf_counter() - start
    assert total == count * size, total
    return elapsed


def child_files_write(folder: str, count: int, size: int, url: str | None) -> float:
    blobs = [payload(i, size) for i in range(count)]
    start = _started()
    os.makedirs(os.path.join(folder, "data"), exist_ok=True)
    for i, data in enumerate(blobs):
        with open(os.path.join(folder, "data", f"{i:06d}.bin"), "wb") as f:
            f.write(data)
    return time.perf_counter() - start


def child_files_read(folder: str, count: int, size: int, url: str | None) -> float:
    start = _started()
    total = 0
    for i in range(count):
        with open(os.path.join(folder, "data", f"{i:06d}.bin"), "rb") as f:
            total += len(f.read())
    elapsed = time.perf_counter() - start
    assert total == count * size, total
    return elapsed


def child_icechunk_write(folder: str, count: int, size: int, url: str | None) -> float:
    import icechunk
    import numpy as np
    import zarr

    blobs = [np.frombuffer(payload(i, size), dtype=np.uint8) for i in range(count)]
    start = _started()
    repo = icechunk.Repository.open_or_create(icechunk.local_filesystem_storage(folder))
    session = repo.writable_session("main")
    array = zarr.group(store=session.store).create_array(
        "data", shape=(count * size,), chunks=(size,), dtype="uint8", compressors=None
    )
    for i, block in enumerate(blobs):
        array[i * size : (i + 1) * size] = block
    session.commit("write chunks")
    return time.perf_counter() - start


def child_icechunk_read(folder: str, count: int, size: int, url: str | None) -> float:
    import icechunk
    import zarr

    start = _started()
    repo = icechunk.Repository.open(icechunk.local_filesystem_storage(folder))
    array = zarr.open_array(repo.readonly_session(branch="main").store, path="data", mode="r")
    total = 0
    for i in range(count):
        total += len(array[i * size : (i + 1) * size])
    elapsed = time.perf_counter() - start
    assert total == count * size, total
    return elapsed


def child_sapwood_log_setup(folder: str, count: int, size: int, url: str | None) -> float:
    import asyncio

    from sapwood.aio import AsyncRepository

    async def build() -> None:
        repo = await AsyncRepository.open_or_create(folder)
        main = repo.branch("main")
        for i in range(count):
            await main.upload(i.to_bytes(4, "little"), "counter")
            await main.commit_changes(f"commit {i}")
        await repo.close()

    start = _started()
    asyncio.run(build())
    return time.perf_counter() - start


def child_sapwood_log(folder: str, count: int, size: int, url: str | None) -> float:
    import sapwood

    start = _started()
    repo = sapwood.repository(folder)
    commits = list(repo.branch("main").log())
    elapsed = time.perf_counter() - start
    assert len(commits) >= count, len(commits)
    return elapsed


def child_sapwood_log10(folder: str, count: int, size: int, url: str | None) -> float:
    import sapwood

    start = _started()
    repo = sapwood.repository(folder)
    commits = list(repo.branch("main").log(max_amount=10))
    elapsed = time.perf_counter() - start
    assert len(commits) == 10, len(commits)
    return elapsed


def child_icechunk_log_setup(folder: str, count: int, size: int, url: str | None) -> float:
    import icechunk
    import numpy as np
    import zarr

    start = _started()
    repo = icechunk.Repository.open_or_create(icechunk.local_filesystem_storage(folder))
    session = repo.writable_session("main")
    zarr.group(store=session.store).create_array("counter", shape=(1,), dtype="int64")
    session.commit("create")
    for i in range(count):
        session = repo.writable_session("main")
        zarr.open_array(session.store, path="counter")[0] = np.int64(i)
        session.commit(f"commit {i}")
    return time.perf_counter() - start


def child_icechunk_log(folder: str, count: int, size: int, url: str | None) -> float:
    import icechunk

    start = _started()
    repo = icechunk.Repository.open(icechunk.local_filesystem_storage(folder))
    commits = list(repo.ancestry(branch="main"))
    elapsed = time.perf_counter() - start
    assert len(commits) >= count, len(commits)
    return elapsed


def _boto3_client(url: str) -> Any:
    import boto3

    endpoint = url.split("endpoint_url=", 1)[1].split("&", 1)[0]
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def child_boto3_write(folder: str, count: int, size: int, url: str | None) -> float:
    assert url is not None
    blobs = [payload(i, size) for i in range(count)]
    bucket = url.split("://", 1)[1].split("/", 1)[0]
    start = _started()
    client = _boto3_client(url)
    for i, data in enumerate(blobs):
        client.put_object(Bucket=bucket, Key=f"raw/{folder}/{i:06d}.bin", Body=data)
    return time.perf_counter() - start


def child_boto3_read(folder: str, count: int, size: int, url: str | None) -> float:
    assert url is not None
    bucket = url.split("://", 1)[1].split("/", 1)[0]
    start = _started()
    client = _boto3_client(url)
    total = 0
    for i in range(count):
        total += len(
            client.get_object(Bucket=bucket, Key=f"raw/{folder}/{i:06d}.bin")["Body"].read()
        )
    elapsed = time.perf_counter() - start
    assert total == count * size, total
    return elapsed


CHILDREN: dict[str, Callable[[str, int, int, str | None], float]] = {
    name.removeprefix("child_"): fn
    for name, fn in dict(globals()).items()
    if name.startswith("child_")
}


# -- the parent ------------------------------------------------------------------------------


class Runner:
    """Starts children with the right python and collects their seconds."""

    def __init__(self, icechunk_python: str | None, baseline_src: str | None = None) -> None:
        self.icechunk_python = icechunk_python
        self.baseline_path = source_path(baseline_src) if baseline_src else None
        """PYTHONPATH of the sapwood tree the ``baseline`` contender runs (``--baseline-src``)."""
        self.last_cpu = 0.0
        """CPU seconds (every thread of the child) of the last run's timed part."""

    def timed(
        self,
        name: str,
        folder: str,
        count: int,
        size: int,
        url: str | None = None,
        data: str = "random",
    ) -> tuple[float, float]:
        """Wall and CPU seconds of one child run."""
        wall = self.run(name, folder, count, size, url, data)
        return wall, self.last_cpu

    def run(
        self,
        name: str,
        folder: str,
        count: int,
        size: int,
        url: str | None = None,
        data: str = "random",
    ) -> float:
        python = self.icechunk_python if name.startswith("icechunk") else sys.executable
        if python is None:
            raise SystemExit("icechunk is not available: pass --icechunk-python or allow the venv")
        env = dict(os.environ)
        if name.startswith("baseline_"):
            if self.baseline_path is None:
                raise SystemExit("the baseline contender needs --baseline-src")
            name = "sapwood_" + name.removeprefix("baseline_")
            env["PYTHONPATH"] = self.baseline_path
        env.setdefault("SAPWOOD_AUTHOR", "bench")
        command = [python, __file__, "--data", data]
        command += ["--child", name, folder, str(count), str(size), url or ""]
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{name} failed:\n{done.stdout}\n{done.stderr}")
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        self.last_cpu = float(figures["cpu"])
        return float(figures["seconds"])


def source_path(tree: str) -> str:
    """The PYTHONPATH that imports sapwood and its plugins from the source tree ``tree``
    (a checkout or ``git archive`` of this repository)."""
    root = Path(tree).resolve()
    core = root / "core" / "src"
    if not core.is_dir():
        raise SystemExit(f"--baseline-src {tree!r} has no {core}: give a sapwood source tree")
    parts = [core, *sorted((root / "plugins").glob("*/src"))]
    return os.pathsep.join(str(p) for p in parts)


def icechunk_python(given: str | None, allow_install: bool) -> str | None:
    """A python that has icechunk, zarr and numpy: the one given, or a venv made here."""
    if given:
        return given
    python = ICECHUNK_VENV / "bin" / "python"
    if python.exists():
        return str(python)
    if not allow_install:
        return None
    subprocess.run([sys.executable, "-m", "venv", str(ICECHUNK_VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "icechunk", "zarr", "numpy"], check=True
    )
    return str(python)


class DiskLoad:
    """Other disk work beside the benchmark: a process writing and fsyncing 8 MiB files."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> DiskLoad:
        code = (
            "import os,sys\n"
            "p=sys.argv[1]; block=os.urandom(8<<20); i=0\n"
            "while True:\n"
            "    f=os.path.join(p, f'load{i%4}')\n"
            "    with open(f,'wb') as h:\n"
            "        h.write(block); h.flush(); os.fsync(h.fileno())\n"
            "    i+=1\n"
        )
        self.process = subprocess.Popen([sys.executable, "-c", code, self.folder])
        time.sleep(0.5)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()


def median_table(title: str, results: dict[str, list[tuple[float, float]]], base: str) -> str:
    """A markdown table of medians (wall clock, and CPU of every thread of the child), with
    each row's ratio to ``base``."""
    lines = [
        f"\n### {title}",
        "",
        "| contender | median | min | max | sapwood / this | CPU median | CPU sapwood / this |",
        "|---|---|---|---|---|---|---|",
    ]
    base_wall = statistics.median(wall for wall, _ in results[base])
    base_cpu = statistics.median(cpu for _, cpu in results[base])
    for name, values in results.items():
        walls = [wall for wall, _ in values]
        med = statistics.median(walls)
        cpu = statistics.median(c for _, c in values)
        ratio = "" if name == base else f"{base_wall / med:.2f}x"
        cpu_ratio = "" if name == base else f"{base_cpu / cpu:.2f}x" if cpu else "-"
        lines.append(
            f"| {name} | {med * 1000:.0f} ms | {min(walls) * 1000:.0f} ms | "
            f"{max(walls) * 1000:.0f} ms | {ratio} | {cpu * 1000:.0f} ms | {cpu_ratio} |"
        )
    return "\n".join(lines)


def loop_tables(
    results: dict[tuple[str, str], dict[str, list[tuple[float, float]]]],
    data_kinds: Sequence[str],
    count: int,
    size: int,
    rounds: int,
    where: str,
) -> str:
    """The write and read tables of each data kind, for one place (local, S3)."""
    out = []
    for data in data_kinds:
        out.append(
            median_table(
                f"write {count} x {size} B + commit, {data} data, {where}, {rounds} rounds",
                results[(data, "write")],
                "sapwood",
            )
        )
        out.append(
            median_table(
                f"read back on a fresh handle, {data} data, {where}, {rounds} rounds",
                results[(data, "read")],
                "sapwood",
            )
        )
    return "\n".join(out)


def bench_local(
    runner: Runner,
    rounds: int,
    count: int,
    size: int,
    busy: bool,
    icechunk: bool,
    data_kinds: Sequence[str],
) -> str:
    results: dict[tuple[str, str], dict[str, list[tuple[float, float]]]] = {}
    kinds = ["sapwood"] + (["baseline"] if runner.baseline_path else [])
    kinds += ["files"] + (["icechunk"] if icechunk else [])
    with tempfile.TemporaryDirectory(prefix="bench-natural-") as scratch:
        load = DiskLoad(scratch) if busy else None
        if load is not None:
            load.__enter__()
        try:
            for round_ in range(rounds):
                for data in data_kinds:
                    for kind in kinds:
                        folder = os.path.join(scratch, f"{kind}-{data}-{round_}")
                        for loop in ("write", "read"):
                            results.setdefault((data, loop), {}).setdefault(kind, []).append(
                                runner.timed(f"{kind}_{loop}", folder, count, size, None, data)
                            )
                        shutil.rmtree(folder, ignore_errors=True)
        finally:
            if load is not None:
                load.__exit__()
    where = "busy disk" if busy else "quiet"
    return loop_tables(results, data_kinds, count, size, rounds, f"local ({where})")


def bench_log(runner: Runner, rounds: int, commits: int, icechunk: bool) -> str:
    results: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-log-") as scratch:
        sap = os.path.join(scratch, "sapwood")
        ice = os.path.join(scratch, "icechunk")
        runner.run("sapwood_log_setup", sap, commits, 0)
        if icechunk:
            runner.run("icechunk_log_setup", ice, commits, 0)
        for _ in range(rounds):
            results.setdefault("sapwood log()", []).append(
                runner.timed("sapwood_log", sap, commits, 0)
            )
            results.setdefault("sapwood log(max_amount=10)", []).append(
                runner.timed("sapwood_log10", sap, commits, 0)
            )
            if icechunk:
                results.setdefault("icechunk ancestry", []).append(
                    runner.timed("icechunk_log", ice, commits, 0)
                )
    return median_table(
        f"log of {commits} commits on a fresh handle, {rounds} rounds", results, "sapwood log()"
    )


def bench_s3(runner: Runner, rounds: int, count: int, size: int, data_kinds: Sequence[str]) -> str:
    from sapwood_s3.testing import start_moto_server

    results: dict[tuple[str, str], dict[str, list[tuple[float, float]]]] = {}
    kinds = ["sapwood"] + (["baseline"] if runner.baseline_path else []) + ["boto3"]
    server = start_moto_server(subprocess=True)
    try:
        server.client().create_bucket(Bucket="bench")
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        for round_ in range(rounds):
            for data in data_kinds:
                for kind in kinds:
                    prefix = f"r{round_}-{data}-{kind}"
                    url = (
                        f"s3://bench/{prefix}?endpoint_url={server.endpoint_url}"
                        "&allow_http=true&region=us-east-1"
                    )
                    for loop in ("write", "read"):
                        results.setdefault((data, loop), {}).setdefault(kind, []).append(
                            runner.timed(f"{kind}_{loop}", prefix, count, size, url, data)
                        )
                # the same read loop with read-ahead off, to show what it brings
                prefix = f"r{round_}-{data}-sapwood"
                url = (
                    f"s3://bench/{prefix}?endpoint_url={server.endpoint_url}"
                    "&allow_http=true&region=us-east-1"
                )
                results[(data, "read")].setdefault("sapwood, read-ahead off", []).append(
                    runner.timed("sapwood_read_no_readahead", prefix, count, size, url, data)
                )
    finally:
        server.stop()
    return loop_tables(results, data_kinds, count, size, rounds, "S3 on moto")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--child", nargs=5, metavar=("NAME", "FOLDER", "COUNT", "SIZE", "URL"))
    parser.add_argument("--only", default="local,log", help="comma list of local, log, s3")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--log-commits", type=int, default=2000)
    parser.add_argument("--busy", action="store_true", help="run disk work beside the benchmark")
    parser.add_argument("--icechunk-python", default=None)
    parser.add_argument(
        "--baseline-src",
        default=None,
        help="a sapwood source tree (e.g. a git archive of main) run as the contender "
        "'baseline' in the local tables, for before/after figures from one run",
    )
    parser.add_argument("--no-icechunk", action="store_true", help="leave Icechunk out")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one round (CI)")
    parser.add_argument(
        "--data",
        choices=(*DATA_KINDS, "both"),
        default="both",
        help="what the files hold: random (incompressible), text (compressible) or both",
    )
    args = parser.parse_args(argv)
    if args.child:
        global _data_kind
        if args.data not in DATA_KINDS:
            raise SystemExit(f"a child writes one kind of data, not {args.data!r}")
        _data_kind = args.data
        name, folder, count, size, url = args.child
        seconds = CHILDREN[name](folder, int(count), int(size), url or None)
        print(json.dumps({"seconds": seconds, "cpu": time.process_time() - _cpu_start}))
        return
    if args.quick:
        args.rounds, args.count, args.log_commits = 1, 20, 30
    python = None if args.no_icechunk else icechunk_python(args.icechunk_python, not args.quick)
    runner = Runner(python, args.baseline_src)
    sections = set(args.only.split(","))
    data_kinds = DATA_KINDS if args.data == "both" else (args.data,)
    print(f"# bench_natural ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores)")
    if "local" in sections:
        print(
            bench_local(
                runner,
                args.rounds,
                args.count,
                args.size,
                args.busy,
                python is not None,
                data_kinds,
            )
        )
    if "log" in sections:
        print(bench_log(runner, args.rounds, args.log_commits, python is not None))
    if "s3" in sections:
        print(bench_s3(runner, args.rounds, args.count, args.size, data_kinds))


if __name__ == "__main__":
    main()
