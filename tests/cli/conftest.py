"""Fixtures for the command-line tests: the CLI run in a subprocess, as a user runs it, on a
local repository or on moto's S3."""

from __future__ import annotations

from pathlib import Path

import pytest

from sapwood_s3.testing import MotoServer, moto_server, s3_bucket

from .runner import Cli, clean_env

__all__ = ["cli", "moto_cli", "moto_server", "s3_bucket"]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """The CLI on a new local repository (already created with ``sapwood init``)."""
    runner = Cli(str(tmp_path / "repo"), clean_env(tmp_path), tmp_path)
    runner("init")
    return runner


@pytest.fixture
def moto_cli(tmp_path: Path, moto_server: MotoServer, s3_bucket: str) -> Cli:
    """The CLI on a new repository in a fresh bucket of the session's moto server."""
    url = moto_server.store_config(s3_bucket, "repo").to_url()
    env = clean_env(tmp_path, {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    runner = Cli(url, env, tmp_path)
    runner("init")
    return runner
