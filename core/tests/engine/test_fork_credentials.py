"""What a fork's pickle carries of the credentials, and how a worker supplies its own."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from sapwood.aio import AsyncRepository
from sapwood.credentials import StaticCredentials
from sapwood.errors import SapwoodError

MARKER = "fork-secret-marker-4711"


async def test_a_fork_without_credentials_pickles_none(tmp_path: Path) -> None:
    url = (tmp_path / "r").as_uri()
    credentials = StaticCredentials(access_key_id="id", secret_access_key=MARKER)
    repo = await AsyncRepository.create(url, credentials)
    session = await repo.writable_session("main")
    assert MARKER.encode() in pickle.dumps(session.fork())  # documented: carried by default
    bare = session.fork(with_credentials=False)
    shipped = pickle.dumps(bare)
    assert MARKER.encode() not in shipped
    worker = pickle.loads(shipped)
    worker.use_credentials(StaticCredentials(access_key_id="id", secret_access_key="other"))
    await worker.upload(b"from the worker", "w.txt")
    await session.merge(pickle.loads(pickle.dumps(worker)))
    commit = await session.commit("merged")
    reader = await repo.readonly_session(snapshot_id=commit.id)
    assert await reader.download("w.txt") == b"from the worker"
    with pytest.raises(SapwoodError, match="open already"):
        worker.use_credentials(None)
    await (await worker.repository()).close()
    await repo.close()
