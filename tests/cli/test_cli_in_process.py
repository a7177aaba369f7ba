"""``sapwood.cli.main`` called in-process returns the exit status and leaves the process as
it found it (log handlers, warning display, credential defaults)."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest

from sapwood.cli import main


def test_main_returns_statuses_and_undoes_its_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAPWOOD_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.delenv("SAPWOOD_REPO", raising=False)
    logger = logging.getLogger("sapwood")
    handlers, level, shown = list(logger.handlers), logger.level, warnings.showwarning
    repo = str(tmp_path / "repo")

    assert main(["--repo", repo, "init"]) == 0
    assert main(["--repo", repo, "--verbose", "log", "main", "--json"]) == 0
    assert '"message": "Repository created"' in capsys.readouterr().out
    assert main(["--repo", repo, "fs", "cat", "main:absent"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sapwood: error: ObjectNotFoundError: no object at 'absent'")
    assert main(["--repo", repo, "fs", "cat", "no-colon"]) == 2
    with pytest.raises(SystemExit) as usage:
        main(["--repo", repo, "branch"])
    assert usage.value.code == 2

    assert logger.handlers == handlers
    assert logger.level == level
    assert warnings.showwarning is shown
