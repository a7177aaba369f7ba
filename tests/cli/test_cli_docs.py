"""docs/cli.md is generated from the parser's ``--help`` texts and must be current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_cli_page_is_generated_from_the_current_parser() -> None:
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if f"(Python {running})" not in page:
        pytest.skip(f"docs/cli.md was generated under another Python than {running}")
    checked = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_cli_docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stderr


def test_cli_page_documents_every_command() -> None:
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for command in [
        "init",
        "branch list",
        "branch create",
        "branch delete",
        "branch reset",
        "tag list",
        "tag create",
        "tag delete",
        "log",
        "diff",
        "merge",
        "revert",
        "cherry-pick",
        "fs ls",
        "fs cat",
        "fs stat",
        "fs upload",
        "fs download",
        "fs rm",
        "fs cp",
        "import",
        "gc",
        "expire",
        "plugins",
        "doctor",
    ]:
        assert f"`sapwood {command}`" in page, command
