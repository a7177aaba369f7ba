"""The same Zarr code writing into sapwood and into Icechunk (figures go to
docs/benchmarks.md).

    .venv/bin/python tests/benchmarks/bench_zarr.py --rounds 5
    .venv/bin/python tests/benchmarks/bench_zarr.py --quick        # tiny, sapwood only

Workloads, each on a local folder, each round in fresh processes:
  (a) a 1,000-chunk array (chunks of 1,024 int32, 4 KiB) written and committed, then
      read whole from a freshly opened repository;
  (b) a 100,000-chunk array of small chunks (16 int32, 64 bytes), the same way.

Icechunk is installed into its own virtual environment (``.bench-venv/`` at the
repository root, git-ignored) the first time; ``--icechunk-python`` names another.
``--baseline-src TREE`` adds a contender ``baseline``: the same durable sapwood workload
run with the sapwood source tree ``TREE`` (a checkout) first on ``PYTHONPATH``, for
before/after figures from one interleaved run. Rounds rotate which system goes first;
the table gives medians of wall time and of the process's CPU time (all its threads:
the steadier figure on a busy machine), and sapwood's as a fraction of Icechunk's (below
1.0: sapwood is faster).
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
from pathlib import Path
from typing import Any

# The baseline contender's PYTHONPATH is built as the natural-path benchmark builds it
# (this script's folder is on sys.path when it runs).
from bench_natural import source_path

ROOT = Path(__file__).resolve().parents[2]
BENCH_VENV = ROOT / ".bench-venv"
SYSTEMS = ("sapwood", "sapwood-nofsync", "icechunk", "baseline")
"""sapwood with its default, durable settings (the local backend fsyncs every object it
writes); sapwood with ``fsync=false``, closer to Icechunk's local storage (Icechunk's own
source has no fsync call); Icechunk; and, with ``--baseline-src``, durable sapwood from
another source tree."""
WORKLOADS = {
    "a": (1_000, 1_024, "1,000 chunks of 4 KiB"),
    "b": (100_000, 16, "100,000 chunks of 64 B"),
}


# -- the workload (runs in a worker process, or in-process for the quick test) -------------


class _Sapwood:
    """Repository, sessions and commits for sapwood."""

    def __init__(self, folder: str, fsync: bool = True) -> None:
        import sapwood

        self.folder = f"file://{folder}" + ("" if fsync else "?fsync=false")
        self.repo = sapwood.Repository.create(self.folder)

    def writable(self) -> Any:
        return self.repo.writable_session("main")

    def reader_store(self) -> Any:
        import sapwood

        return sapwood.Repository.open(self.folder).readonly_session(branch="main").store


class _Icechunk:
    """Repository, sessions and commits for Icechunk."""

    def __init__(self, folder: str) -> None:
        import icechunk

        self.folder = folder
        self.repo = icechunk.Repository.create(icechunk.local_filesystem_storage(folder))

    def writable(self) -> Any:
        return self.repo.writable_session("main")

    def reader_store(self) -> Any:
        import icechunk

        reopened = icechunk.Repository.open(icechunk.local_filesystem_storage(self.folder))
        return reopened.readonly_session(branch="main").store


def run_workload(system: str, folder: str, chunks: int, chunk_elements: int) -> dict[str, Any]:
    """Write ``chunks`` chunks of ``chunk_elements`` int32 through Zarr into ``system`` at
    ``folder``, commit, read them back from a fresh handle; seconds taken, and a check."""
    import numpy as np
    import zarr

    repo: _Sapwood | _Icechunk
    if system == "icechunk":
        repo = _Icechunk(folder)
    elif system == "baseline":
        repo = _Sapwood(folder)
    else:
        repo = _Sapwood(folder, fsync=system != "sapwood-nofsync")
    values = np.random.default_rng(7).integers(0, 2**31 - 1, chunks * chunk_elements, "int32")
    start, cpu = time.perf_counter(), time.process_time()
    session = repo.writable()
    array = zarr.create_array(
        session.store,
        name="data",
        shape=values.shape,
        chunks=(chunk_elements,),
        dtype="int32",
        compressors=None,
        fill_value=0,
    )
    array[:] = values
    staged, staged_cpu = time.perf_counter() - start, time.process_time() - cpu
    session.commit(f"{chunks} chunks")
    written, written_cpu = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    back = zarr.open_array(repo.reader_store(), path="data", mode="r")[:]
    read, read_cpu = time.perf_counter() - start, time.process_time() - cpu
    if not np.array_equal(back, values):
        raise AssertionError(f"{system}: the array read back differs from the one written")
    return {
        "write": written,
        "commit": written - staged,
        "read": read,
        "write_cpu": written_cpu,
        "commit_cpu": written_cpu - staged_cpu,
        "read_cpu": read_cpu,
        "chunks": chunks,
    }


# -- the driver ----------------------------------------------------------------------------


def icechunk_python(given: str | None) -> str:
    """A python with icechunk, zarr and numpy: ``given``, or .bench-venv's (made once)."""
    if given:
        return given
    python = BENCH_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
    probe = subprocess.run([str(python), "-c", "import icechunk, zarr, numpy"], check=False)
    if probe.returncode != 0:
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "icechunk", "zarr>=3", "numpy"],
            check=True,
        )
    return str(python)


def version_of(python: str, module: str) -> str:
    """``module.__version__`` as ``python`` imports it."""
    return subprocess.run(
        [python, "-c", f"import {module}; print({module}.__version__)"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout.strip()


def one_round(
    python: str,
    system: str,
    chunks: int,
    chunk_elements: int,
    pythonpath: str | None = None,
) -> dict[str, Any]:
    """One fresh process writing and reading one workload (``pythonpath``: the sapwood
    source tree it imports, for the baseline)."""
    env = {**os.environ, "RUST_LOG": "error"}
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    folder = tempfile.mkdtemp(prefix=f"bench-zarr-{system}-")
    try:
        result = subprocess.run(
            [
                python,
                __file__,
                "--worker",
                system,
                "--folder",
                os.path.join(folder, "repo"),
                "--chunks",
                str(chunks),
                "--chunk-elements",
                str(chunk_elements),
            ],
            capture_output=True,
            check=False,
            text=True,
            env=env,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{system} round failed:\n{result.stderr[-3000:]}")
        figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
        return figures
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def seconds(value: float) -> str:
    """Seconds with three significant figures."""
    return f"{value:.3g} s"


def main() -> None:
    """Run the interleaved rounds and print the markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", choices=sorted(WORKLOADS), action="append")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, sapwood only")
    parser.add_argument("--icechunk-python", help="a python with icechunk and zarr installed")
    parser.add_argument(
        "--baseline-src",
        metavar="TREE",
        help="a sapwood source tree run as the extra contender 'baseline' (before/after)",
    )
    parser.add_argument("--worker", choices=SYSTEMS, help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--chunks", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--chunk-elements", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_workload(args.worker, args.folder, args.chunks, args.chunk_elements)))
        return
    if args.quick:
        with tempfile.TemporaryDirectory() as folder:
            print(json.dumps(run_workload("sapwood", os.path.join(folder, "repo"), 50, 8)))
        return
    systems = [system for system in SYSTEMS if system != "baseline" or args.baseline_src]
    pythons = {system: sys.executable for system in systems}
    pythons["icechunk"] = icechunk_python(args.icechunk_python)
    pythonpaths = {"baseline": source_path(args.baseline_src)} if args.baseline_src else {}
    versions = {
        "sapwood": version_of(sys.executable, "sapwood"),
        "icechunk": version_of(pythons["icechunk"], "icechunk"),
        "zarr (sapwood side)": version_of(sys.executable, "zarr"),
        "zarr (Icechunk side)": version_of(pythons["icechunk"], "zarr"),
    }
    print("versions:", ", ".join(f"{k} {v}" for k, v in versions.items()))
    titles = {"sapwood-nofsync": "sapwood, fsync=false", "icechunk": "Icechunk"}
    others = [system for system in systems if system != "icechunk"]
    header = [titles.get(system, system) for system in systems] + [
        f"{titles.get(system, system)} / Icechunk (wall / CPU)" for system in others
    ]
    print(f"\n| workload | what | {' | '.join(header)} |")
    print("| --- | --- |" + " ---: |" * len(header))
    for name in args.only or sorted(WORKLOADS):
        chunks, elements, label = WORKLOADS[name]
        runs: dict[str, list[dict[str, Any]]] = {system: [] for system in systems}
        for index in range(args.rounds):
            shift = index % len(systems)
            for system in systems[shift:] + systems[:shift]:
                runs[system].append(
                    one_round(pythons[system], system, chunks, elements, pythonpaths.get(system))
                )
        for what in ("write", "commit", "read"):
            wall = {s: statistics.median(run[what] for run in runs[s]) for s in systems}
            cpu = {s: statistics.median(run[f"{what}_cpu"] for run in runs[s]) for s in systems}
            title = {"write": "write + commit", "commit": "of which commit"}.get(what, what)
            cells = [f"{seconds(wall[s])} ({seconds(cpu[s])} CPU)" for s in systems]
            ratios = [
                f"{wall[s] / wall['icechunk']:.2f} / {cpu[s] / cpu['icechunk']:.2f}" for s in others
            ]
            print(f"| ({name}) {label} | {title} | {' | '.join(cells + ratios)} |", flush=True)


if __name__ == "__main__":
    main()
