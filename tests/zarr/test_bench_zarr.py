"""The Zarr benchmark's workload at tiny sizes, so CI keeps it working (correctness only:
timings are for tests/benchmarks/bench_zarr.py to report, never to assert)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

import sapwood

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_zarr.py"


def load_bench() -> ModuleType:
    # The script imports its sibling bench_natural, found beside it when run as a script.
    if str(SCRIPT.parent) not in sys.path:
        sys.path.insert(0, str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("bench_zarr", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sapwood_workload_writes_commits_and_reads_back(tmp_path: Path) -> None:
    bench = load_bench()
    folder = tmp_path / "repo"
    figures = bench.run_workload("sapwood", str(folder), chunks=30, chunk_elements=4)
    assert figures["chunks"] == 30
    assert {"write", "commit", "read"} <= figures.keys()
    repo = sapwood.Repository.open(str(folder))
    assert len(list(repo.branch("main").log())) == 2  # the root commit and the write
    chunk_paths = [o.path for o in repo.branch("main").list_objects(prefix="data/c/")]
    assert len(chunk_paths) == 30


def test_bench_knows_both_workloads() -> None:
    bench = load_bench()
    assert bench.WORKLOADS["a"][0] == 1_000
    assert bench.WORKLOADS["b"][0] == 100_000


def test_baseline_source_tree_is_put_first_on_the_path(tmp_path: Path) -> None:
    bench = load_bench()
    (tmp_path / "core" / "src").mkdir(parents=True)
    (tmp_path / "plugins" / "sapwood-local" / "src").mkdir(parents=True)
    assert bench.source_path(str(tmp_path)).split(os.pathsep) == [
        str(tmp_path / "core" / "src"),
        str(tmp_path / "plugins" / "sapwood-local" / "src"),
    ]


def test_a_baseline_tree_without_sapwood_is_refused(tmp_path: Path) -> None:
    bench = load_bench()
    with pytest.raises(SystemExit, match=r"no .*core/src"):
        bench.source_path(str(tmp_path))


def test_the_baseline_contender_runs_the_durable_workload(tmp_path: Path) -> None:
    bench = load_bench()
    figures = bench.run_workload("baseline", str(tmp_path / "repo"), chunks=5, chunk_elements=4)
    assert figures["chunks"] == 5
