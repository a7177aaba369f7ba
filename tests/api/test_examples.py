"""examples/quickstart.py (what ``bash scripts/quickstart.sh`` runs) tells its whole story."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "quickstart.py"


def test_the_quickstart_story_runs_from_start_to_end(tmp_path: Path) -> None:
    folder = tmp_path / "census"
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), str(folder)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith("1. Opened a repository in")
    assert "     removed  trees/heights.bin" in lines
    assert "     changed  trees/species.csv" in lines
    assert any(line.endswith("(2 parents).") for line in lines)
    story = done.stdout[done.stdout.index("7. ") :]
    assert "1,oak\n     2,ash\n   ...and today it has 4 lines" in story
    assert lines[-1] == f"Done. The repository stays in {folder}."
    assert (folder / "config.json").exists()


def test_the_quickstart_runs_twice_in_a_row(tmp_path: Path) -> None:
    folder = tmp_path / "census"
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, str(EXAMPLE), str(folder)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == f"Done. The repository stays in {folder}."


README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_example_runs_twice_in_a_row(tmp_path: Path) -> None:
    text = README.read_text()
    start = text.index("```python\n") + len("```python\n")
    source = text[start : text.index("```", start)]
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", source],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
        assert "b'hello'" in done.stdout
