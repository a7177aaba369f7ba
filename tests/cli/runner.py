"""Running the command line in a subprocess, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Cli", "Run", "clean_env"]


@dataclass
class Run:
    """One finished run of the command line."""

    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """stdout parsed as JSON."""
        return json.loads(self.stdout)


@dataclass
class Cli:
    """Runs ``python -m sapwood.cli`` against one repository, in a clean environment."""

    repo: str
    env: dict[str, str]
    cwd: Path

    def __call__(
        self, *args: str, ok: bool = True, stdin: bytes | None = None, repo: bool = True
    ) -> Run:
        command = [sys.executable, "-m", "sapwood.cli", *(["--repo", self.repo] if repo else [])]
        done = subprocess.run(
            [*command, *args],
            input=stdin,
            capture_output=True,
            env=self.env,
            cwd=self.cwd,
            check=False,
            timeout=120,
        )
        run = Run(done.returncode, done.stdout.decode(), done.stderr.decode())
        if ok:
            assert run.returncode == 0, f"{args} failed ({run.returncode}): {run.stderr}"
        return run

    def raw(self, *args: str) -> bytes:
        """stdout as bytes (``fs cat``)."""
        done = subprocess.run(
            [sys.executable, "-m", "sapwood.cli", "--repo", self.repo, *args],
            capture_output=True,
            env=self.env,
            cwd=self.cwd,
            check=True,
            timeout=120,
        )
        return done.stdout


def clean_env(tmp_path: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test process's environment without SAPWOOD_* settings or a user config file
    (PYTHONPATH is kept, so the subprocess imports the code under test)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAPWOOD_")}
    env["SAPWOOD_CONFIG"] = str(tmp_path / "no-config.toml")
    env["COLUMNS"] = "200"
    env.update(extra or {})
    return env
