"""Create-only writes (``exclusive=True``, modes ``"xb"``/``"x"``) and refusing empty
commits, on memory and local repositories, sync and async; and many processes racing to
create one path on local and S3 (moto) stores: exactly one commit wins."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

import sapwood
import sapwood.aio
from sapwood_memory.storage import drop_bucket
from sapwood_s3.testing import MotoServer


@pytest.fixture(params=["memory", "local"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh store's URL on each kind of backend that needs no server."""
    if request.param == "memory":
        name = f"create-only-{uuid.uuid4().hex[:12]}"
        yield f"memory://{name}"
        drop_bucket(name)
    else:
        yield (tmp_path / "repo").as_uri()


@pytest.fixture
def any_repo(store_url: str) -> Iterator[sapwood.Repository]:
    """A new repository on memory or local."""
    with sapwood.Repository.create(store_url) as repository:
        yield repository


def test_exclusive_upload_refuses_an_existing_path(any_repo: sapwood.Repository) -> None:
    main = any_repo.branch("main")
    main.upload(b"first", "once.txt", exclusive=True)
    with pytest.raises(sapwood.ObjectExistsError, match=r"once\.txt") as raised:
        main.upload(b"second", "once.txt", exclusive=True)
    assert isinstance(raised.value, FileExistsError)
    assert raised.value.path == "once.txt"
    main.commit_changes("create")
    with pytest.raises(FileExistsError):
        main.upload(b"third", "once.txt", exclusive=True)
    assert main.download("once.txt") == b"first"
    main.upload(b"replaced", "once.txt")  # an ordinary write still replaces
    assert main.download("once.txt") == b"replaced"


def test_open_x_modes_create_only(any_repo: sapwood.Repository) -> None:
    main = any_repo.branch("main")
    with main.open("new.bin", "xb") as writer:
        assert writer.mode == "xb"
        writer.write(b"bytes")
    with main.open("new.txt", "x") as text_writer:
        assert text_writer.mode == "x"
        text_writer.write("text")
    main.commit_changes("created")
    with pytest.raises(sapwood.ObjectExistsError, match=r"new\.bin"):
        main.open("new.bin", "xb")
    with pytest.raises(FileExistsError, match=r"new\.txt"):
        main.open("new.txt", "x")
    assert main.download("new.txt") == b"text"


def test_open_x_checks_again_when_closed(any_repo: sapwood.Repository) -> None:
    main = any_repo.branch("main")
    writer = main.open("late.bin", "xb")
    writer.write(b"slow writer")
    main.upload(b"fast writer", "late.bin")
    with pytest.raises(sapwood.ObjectExistsError, match=r"late\.bin"):
        writer.close()
    assert main.download("late.bin") == b"fast writer"


def test_commit_refuses_a_path_another_writer_created(any_repo: sapwood.Repository) -> None:
    main = any_repo.branch("main")
    mine = any_repo.writable_session("main")
    mine.upload(b"mine", "claimed.txt", exclusive=True)
    mine.upload(b"other", "other.txt")
    with main.transaction("theirs") as theirs:
        theirs.upload(b"mine", "claimed.txt")  # the same bytes still count as existing
    head = main.get_commit().id
    with pytest.raises(sapwood.ObjectExistsError, match=r"claimed\.txt"):
        mine.commit("mine")
    assert main.get_commit().id == head
    assert not main.exists("other.txt")


def test_a_later_plain_write_drops_the_create_only_check(any_repo: sapwood.Repository) -> None:
    mine = any_repo.writable_session("main")
    mine.upload(b"v1", "p.txt", exclusive=True)
    mine.upload(b"v2", "p.txt")
    with any_repo.branch("main").transaction("theirs") as theirs:
        theirs.upload(b"x", "p.txt")
    with pytest.raises(sapwood.ConflictError, match=r"p\.txt"):
        mine.commit("mine")


def test_exclusive_survives_fork_and_merge(any_repo: sapwood.Repository) -> None:
    session = any_repo.writable_session("main")
    session.upload(b"seed", "seed.txt")
    fork = session.fork()
    fork.upload(b"fork", "forked.txt", exclusive=True)
    session.merge(fork)
    with any_repo.branch("main").transaction("theirs") as theirs:
        theirs.upload(b"fork", "forked.txt")
    with pytest.raises(sapwood.ObjectExistsError, match=r"forked\.txt"):
        session.commit("merged")


def test_empty_commits_are_refused_unless_allowed(any_repo: sapwood.Repository) -> None:
    main = any_repo.branch("main")
    head = main.get_commit().id
    with pytest.raises(sapwood.NothingToCommitError, match="allow_empty=True"):
        main.commit_changes("nothing")
    session = any_repo.writable_session("main")
    with pytest.raises(sapwood.NothingToCommitError):
        session.commit("nothing")
    with pytest.raises(sapwood.NothingToCommitError), main.transaction("nothing"):
        pass
    assert main.get_commit().id == head
    empty = main.commit_changes("marker", allow_empty=True)
    assert empty.parents == (head,) or list(empty.parents) == [head]
    with main.transaction("another marker", allow_empty=True) as tx:
        assert tx.has_uncommitted_changes is False
    assert main.get_commit().message == "another marker"


def test_a_merge_that_changes_nothing_returns_the_head(any_repo: sapwood.Repository) -> None:
    main = any_repo.branch("main")
    main.upload(b"a", "a.txt")
    main.commit_changes("a")
    dev = any_repo.branch("dev").create("main")
    head = main.get_commit()
    assert dev.merge_into(main).id == head.id
    assert main.get_commit().id == head.id


async def test_async_create_only_and_allow_empty(store_url: str) -> None:
    async with await sapwood.aio.AsyncRepository.create(store_url) as repo:
        main = repo.branch("main")
        await main.upload(b"x", "x.bin", exclusive=True)
        with pytest.raises(sapwood.ObjectExistsError):
            await main.upload(b"y", "x.bin", exclusive=True)
        async with main.open("y.bin", "xb") as writer:
            await writer.write(b"y")
        with pytest.raises(sapwood.ObjectExistsError):
            await main.open("y.bin", "xb")
        await main.commit_changes("two")
        with pytest.raises(sapwood.NothingToCommitError):
            await main.commit_changes("none")
        assert (await main.commit_changes("none", allow_empty=True)).message == "none"


# -- many processes racing to create one path ---------------------------------------------

RACER = """
import json, pathlib, sys, time
import msgspec
import sapwood

store = msgspec.json.decode(sys.argv[1].encode(), type=sapwood.ObjectStoreConfig)
go, ready = pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
with sapwood.Repository.open(store) as repo:
    main = repo.branch("main")
    main.upload(sys.argv[4].encode(), "claimed/once.txt", exclusive=True)
    ready.touch()
    while not go.exists():
        time.sleep(0.01)
    try:
        main.commit_changes("claim " + sys.argv[4])
    except sapwood.ObjectExistsError as error:
        print(json.dumps(["exists", [error.path]]))
    except sapwood.ConflictError as error:
        print(json.dumps(["conflict", list(error.conflicts)]))
    else:
        print(json.dumps(["won", []]))
"""


def race_to_create(store: sapwood.ObjectStoreConfig, folder: Path, writers: int) -> None:
    import json

    sapwood.Repository.create(store).close()
    go = folder / "go"
    processes = []
    for number in range(writers):
        ready = folder / f"ready-{number}"
        processes.append(
            (
                ready,
                subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        RACER,
                        msgspec.json.encode(store).decode(),
                        str(go),
                        str(ready),
                        f"writer-{number}",
                    ],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
            )
        )
    # Every writer has staged its create-only write (the path did not exist yet) before
    # any of them commits: only the commit can tell them apart.
    while not all(ready.exists() or process.poll() is not None for ready, process in processes):
        time.sleep(0.01)
    go.touch()
    outcomes = []
    for _, process in processes:
        stdout, stderr = process.communicate(timeout=180)
        assert process.returncode == 0, stderr
        outcomes.append(json.loads(stdout.strip().splitlines()[-1]))
    kinds = [kind for kind, _ in outcomes]
    assert kinds.count("won") == 1, outcomes
    for kind, paths in outcomes:
        if kind != "won":
            assert kind in ("exists", "conflict")
            assert paths == ["claimed/once.txt"]
    with sapwood.Repository.open(store) as repo:
        main = repo.branch("main")
        winner = main.download("claimed/once.txt").decode()
        claims = [c.message for c in main.log() if c.message.startswith("claim ")]
        assert claims == [f"claim {winner}"]


def test_processes_racing_to_create_one_path_on_local(tmp_path: Path) -> None:
    store = sapwood.ObjectStoreConfig.from_url((tmp_path / "shared").as_uri())
    race_to_create(store, tmp_path, writers=4)


def test_processes_racing_to_create_one_path_on_s3(
    tmp_path: Path, moto_server: MotoServer, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    store = moto_server.store_config(s3_bucket, prefix="race")
    race_to_create(store, tmp_path, writers=4)
