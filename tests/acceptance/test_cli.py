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


def with_site(site: Path) -> str:
    """``PYTHONPATH`` with ``site`` in front of whatever the tests run with."""
    return os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))


def broken_plugin_path(tmp_path: Path) -> Path:
    """A folder holding an installed-looking dist whose ``sapwood`` entry point fails."""
    site = tmp_path / "site"
    info = site / "sapwood_broken-0.3.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: sapwood-broken\nVersion: 0.3.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[sapwood]\nbroken = sapwood_broken_plugin\n", encoding="utf-8"
    )
    (site / "sapwood_broken_plugin.py").write_text(
        "print('BROKEN-PLUGIN-IMPORTED')\n"
        "raise ImportError('the broken plugin cannot load: needs libfoo')\n",
        encoding="utf-8",
    )
    return site


def test_broken_plugin_is_reported_not_fatal(tmp_path: Path) -> None:
    site = broken_plugin_path(tmp_path)
    result = run_plugins({"PYTHONPATH": with_site(site)})
    assert not result.stderr.strip().startswith("Traceback"), result.stderr
    # Listed, then exit status 1 with the one stderr line every error gets.
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "sapwood: error: 1 plugin(s) failed to load: broken (see the error column)"
    ]
    row = next(line for line in result.stdout.splitlines() if "sapwood-broken" in line)
    assert "0.3.0" in row
    assert "libfoo" in result.stdout
    assert "storage:memory" in result.stdout
    script = (
        "import sapwood\n"
        "repo = sapwood.repository('memory://works-anyway')\n"
        "repo.branch('main').upload(b'x', 'x')\n"
        "print('COMMITTED', repo.branch('main').commit_changes('x').message)\n"
    )
    env = {**os.environ, "PYTHONPATH": with_site(site)}
    ran = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert "COMMITTED x" in ran.stdout, ran.stderr


def test_plugins_are_not_discovered_at_import_time(tmp_path: Path) -> None:
    site = broken_plugin_path(tmp_path)
    env = {**os.environ, "PYTHONPATH": with_site(site)}
    script = "import sapwood, sapwood.aio\nprint('IMPORTED')\n"
    ran = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert "IMPORTED" in ran.stdout, ran.stderr
    assert "BROKEN-PLUGIN-IMPORTED" not in ran.stdout
