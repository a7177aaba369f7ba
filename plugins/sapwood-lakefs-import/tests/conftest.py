"""Fixtures for the lakeFS importer: moto's S3 server stands in for lakeFS's S3 gateway.

No lakeFS server can run in this environment, so a moto bucket named like the lakeFS
repository, holding keys ``<ref>/<path>``, plays the gateway (which maps
``s3://<repo>/<ref>/<path>`` the same way). lakectl's environment variables point the
importer at it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

import sapwood
from sapwood_lakefs_import.options import (
    ENV_ACCESS_KEY_ID,
    ENV_ENDPOINT_URL,
    ENV_SECRET_ACCESS_KEY,
)
from sapwood_s3.testing import MotoServer, moto_server, s3_bucket

__all__ = ["lakectl_env", "memory_repo", "moto_server", "s3_bucket"]


@pytest.fixture
def lakectl_env(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    """lakectl's variables pointing at the moto server (with lakectl's ``/api/v1`` suffix)."""
    monkeypatch.setenv(ENV_ENDPOINT_URL, moto_server.endpoint_url + "/api/v1")
    monkeypatch.setenv(ENV_ACCESS_KEY_ID, "testing")
    monkeypatch.setenv(ENV_SECRET_ACCESS_KEY, "testing")
    return moto_server


@pytest.fixture
def memory_repo() -> Iterator[sapwood.Repository]:
    """A new sapwood repository in memory."""
    with sapwood.Repository.create(f"memory://lakefs-import-{uuid.uuid4().hex[:12]}") as repo:
        yield repo
