"""Coverage-guided fuzzing in CI: every decoder family of ``atheris_fuzz.py`` runs in its
own process for a few seconds; any exception that is not a SapwoodError, wrong data (an
AssertionError) or an input decoding longer than libFuzzer's ``-timeout`` fails the test,
which shows the input.

``SAPWOOD_ATHERIS_SECONDS`` sets the time per family (1 by default; see
docs/reliability.md for the longer campaign).
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

WHEELS = sys.platform == "linux" and platform.machine() == "x86_64"
"""Where atheris publishes wheels, and requirements-dev.txt installs it (CI's platform)."""
if WHEELS:
    import atheris  # noqa: F401 - installed: missing it must fail the run, never skip it

pytestmark = pytest.mark.skipif(not WHEELS, reason="atheris publishes wheels for Linux x86_64 only")

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # fuzz_targets lives beside this file, as the harness uses it
    sys.path.insert(0, str(HERE))

from fuzz_targets import FAMILIES, TARGETS  # noqa: E402

HARNESS = HERE / "atheris_fuzz.py"
SECONDS = int(os.environ.get("SAPWOOD_ATHERIS_SECONDS", "1"))
SHOWN_LINES = 40


def report(result: subprocess.CompletedProcess[str], artifacts: Path) -> str:
    """What a failed run found: each input it wrote, the seed to replay with, and the end
    of its output (the traceback)."""
    lines = [line for line in result.stderr.splitlines() if "INFO: Instrumenting" not in line]
    seed = re.search(r"INFO: Seed: (\d+)", result.stderr)
    found = [
        f"{path.name}: {path.read_bytes()[:600]!r}"
        for path in sorted(artifacts.iterdir())
        if path.name.startswith(("crash-", "timeout-", "oom-", "leak-", "slow-unit-"))
    ]
    return "\n".join(
        [
            f"exit code {result.returncode}; libFuzzer seed {seed[1] if seed else '?'}",
            *(found or ["(no input written)"]),
            *lines[-SHOWN_LINES:],
        ]
    )


@pytest.mark.parametrize("family", list(FAMILIES))
def test_fuzzing_finds_nothing(family: str, tmp_path: Path) -> None:
    artifacts = tmp_path / "found"
    artifacts.mkdir()
    result = subprocess.run(
        [
            sys.executable,
            str(HARNESS),
            family,
            f"-max_total_time={SECONDS}",
            "-timeout=10",
            f"-artifact_prefix={artifacts}/",
            "-print_final_stats=1",
            str(tmp_path / "corpus"),
        ],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=SECONDS + 300,
        check=False,
    )
    assert result.returncode == 0, report(result, artifacts)
    runs = re.search(r"stat::number_of_executed_units: (\d+)", result.stderr)
    assert runs is not None, report(result, artifacts)
    seeds = sum(len(TARGETS[name].seeds) for name in FAMILIES[family])
    assert int(runs[1]) > seeds  # it fuzzed, beyond running the seeds
