"""Create-only writes racing on one path, on a local repository and on S3 (moto): of N
writers, exactly one commit wins and every other writer is told the path exists (or, if its
commit raced past the check, that it conflicts on that path)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

import sapwood
from sapwood.fsspec import SapwoodFileSystem
from sapwood_s3.testing import TEST_CREDENTIALS, MotoServer

from .conftest import messages

WRITERS = 6


@pytest.fixture(params=["local", "s3"])
def storage_options(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """A new repository on local disk or on moto's S3."""
    if request.param == "local":
        folder = str(tmp_path / "repo")
        sapwood.Repository.create(folder).close()
        return {"repo": folder}
    server: MotoServer = request.getfixturevalue("moto_server")
    bucket: str = request.getfixturevalue("s3_bucket")
    config = server.store_config(bucket, "race")
    sapwood.Repository.create(config, TEST_CREDENTIALS).close()
    return {"repo": config, "credentials": TEST_CREDENTIALS}


def test_exactly_one_create_only_writer_wins(storage_options: dict[str, Any]) -> None:
    start = threading.Barrier(WRITERS)
    outcomes: dict[int, BaseException | None] = {}

    def write(number: int) -> None:
        # each thread has a filesystem (and a repository handle) of its own
        fs = SapwoodFileSystem(**storage_options, skip_instance_cache=True)
        try:
            start.wait()
            fs.pipe_file("main/result.json", f"writer {number}".encode(), mode="create")
            outcomes[number] = None
        except (FileExistsError, sapwood.ConflictError) as exc:
            outcomes[number] = exc
        finally:
            fs.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [n for n, error in outcomes.items() if error is None]
    assert len(outcomes) == WRITERS
    assert len(winners) == 1
    for error in outcomes.values():
        if error is not None:
            assert "result.json" in str(error)
    fs = SapwoodFileSystem(**storage_options, skip_instance_cache=True)
    assert fs.cat("main/result.json") == f"writer {winners[0]}".encode()
    assert messages(fs.repository) == ["Write result.json"]
    fs.close()
