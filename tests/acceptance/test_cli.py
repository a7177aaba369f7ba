"""``sapwood plugins``: each plugin's name, dist, version, what it registers and load errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SAPWOOD = Path(sys.executable).parent / "sapwood"


def run_plugins(extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``sapwood plugins`` with a wide terminal so rows are not cut."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAPWOOD_") and k != "COLUMNS"}
    env["COLUMNS"] = "250"
    env.update(extra_env or {})
    return subprocess.run(
        [str(SAPWOOD), "plugins"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )


def test_sapwood_plugins_lists_every_installed_backend() -> None:
    result = run_plugins()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for name in ["memory", "local", "s3", "gcs", "azure", "tigris"]:
        assert f"sapwood-{name}" in out
        assert f"storage:{name}" in out
    assert "0.1.0" in out
    assert "credentials:static" in out
    assert "cache:lru" in out


def test_sapwood_plugins_honours_disable() -> None:
    result = run_plugins({"SAPWOOD_DISABLE_PLUGINS": "gcs,azure"})
    assert result.returncode == 0, result.stderr
    assert "storage:gcs" not in result.stdout
    assert "storage:azure" not in result.stdout
    assert "storage:memory" in result.stdout
    gcs_row = next(line for line in result.stdout.splitlines() if "sapwood-gcs" in line)
    assert "disabled" in gcs_row


def test_sapwood_plugins_honours_load_allow_list() -> None:
    result = run_plugins({"SAPWOOD_LOAD_PLUGINS": "memory"})
    assert result.returncode == 0, result.stderr
    assert "storage:memory" in result.stdout
    assert "storage:s3" not in result.stdout
