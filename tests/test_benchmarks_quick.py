"""The benchmarks still run: each script's quick variant exits 0 and prints its tables.

Nothing here measures speed (timed assertions have no place in tests); the figures live in
docs/benchmarks.md. This only keeps the scripts from rotting as the code moves on.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent / "benchmarks"


def _run(script: str, *args: str) -> str:
    env = dict(os.environ)
    env.setdefault("SAPWOOD_AUTHOR", "bench")
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, f"{script} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_bench_natural_quick_prints_its_tables() -> None:
    out = _run("bench_natural.py", "--quick", "--no-icechunk", "--only", "local,log")
    for title in ("### write 20 x 4096 B", "### read back on a fresh handle", "### log of 30"):
        assert title in out, out
    assert "| sapwood |" in out, out
    assert "| files |" in out, out
    assert "| sapwood log(max_amount=10) |" in out, out


def test_bench_natural_quick_on_moto_prints_its_tables() -> None:
    out = _run("bench_natural.py", "--quick", "--no-icechunk", "--only", "s3")
    assert "S3 on moto" in out, out
    assert "| boto3 |" in out, out
