"""Secrets never leave the credentials they were given in, on any backend.

Each backend's repository is opened with credentials holding marker values (Azurite checks
its account key, so there the marker is that key). A workload then writes, reads, commits,
branches, uses the object client and provokes errors; meanwhile every record sapwood's
loggers emit at DEBUG is captured (the object client logs its metrics there). Afterwards
the markers must appear in no repr or str of the objects involved, no error, no log
record, and no byte or metadata value in the store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

import sapwood
from sapwood.credentials import StaticCredentials
from sapwood.errors import SapwoodError
from sapwood.objectstore import ObjectClient, Usecase
from sapwood.storage import ObjectMeta
from sapwood.stores import open_storage
from sapwood_azure.settings import DEV_ACCOUNT_KEY

from .targets import ALL_BACKENDS, Target

SECRET_KEY = "marker-secret-key-7Qx9"
SESSION_TOKEN = "marker-session-token-Zp3"
BEARER = "marker-bearer-token-Lk5"


def marked(target: Target) -> tuple[Target, list[str]]:
    """The target with marker credentials, and the secret values to look for."""
    if isinstance(target.store, str) and "://" not in target.store:
        target = replace(target, store=Path(target.store).as_uri())
    if target.backend == "azure":
        return target, [DEV_ACCOUNT_KEY]
    if target.backend == "gcs":
        credentials = StaticCredentials(bearer_token=BEARER)
        return replace(target, credentials=credentials), [BEARER]
    credentials = StaticCredentials(
        access_key_id="marker-id", secret_access_key=SECRET_KEY, session_token=SESSION_TOKEN
    )
    return replace(target, credentials=credentials), [SECRET_KEY, SESSION_TOKEN]


class Captured(logging.Handler):
    """Keeps every record's formatted message, arguments and exception text."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))
        self.texts.append(repr(record.args))
        self.texts.append(repr(record.__dict__))


@pytest.fixture
def captured() -> Iterator[Captured]:
    """Every record of sapwood's loggers, at DEBUG, while the test runs."""
    handler = Captured()
    logger = logging.getLogger("sapwood")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def workload(target: Target, texts: list[str]) -> None:
    """Everything a user does, with the repr, str and errors of what it touches."""
    repo = target.create()
    with repo:
        texts += [repr(repo), str(repo), repr(target.store), repr(target.credentials)]
        main = repo.branch("main")
        main.upload(b"x" * 2000, "data/blob.bin")
        main.upload(b"tiny", "data/tiny.txt", metadata={"owner": "me"})
        commit = main.commit_changes("first")
        repo.branch("dev").create(commit.id)
        session = repo.writable_session("dev")
        texts += [repr(session), repr(main), repr(commit)]
        session.copy_object("main", "data/blob.bin", "copy.bin")
        session.commit("copy")
        texts.append(repr(repo.verify()))
        for failing in (
            lambda: main.download("missing.txt"),
            lambda: repo.branch("nope").get_commit(),
            lambda: repo.tag("bad name!").create("main"),
            lambda: repo.expire_snapshots("not a date"),  # type: ignore[arg-type]
        ):
            try:
                failing()
            except SapwoodError as error:
                texts += [str(error), repr(error), repr(error.args)]
            else:
                raise AssertionError("expected an error")
    client = ObjectClient(target.store, target.credentials, metrics_backend="logging")
    with client:
        texts.append(repr(client))
        objects = client.session(Usecase("secrets"), org=1)
        key = objects.put(b"client data", metadata={"k": "v"})
        assert objects.get(key).payload.read() == b"client data"
    try:
        sapwood.Repository.open(target.store, target.credentials, config=None).branch(
            "main"
        ).download("also-missing")
    except SapwoodError as error:
        texts += [str(error), repr(error)]


async def stored_texts(target: Target) -> list[str]:
    """Every byte and metadata value the store holds, as text."""
    storage = open_storage(target.store, target.credentials)
    found: list[str] = []
    try:
        async for item in storage.list(""):
            if not isinstance(item, ObjectMeta):
                continue
            data, meta = await storage.get_with_meta(item.key)
            found += [item.key, data.decode("latin-1"), repr(meta)]
    finally:
        await storage.close()
    return found


@pytest.mark.parametrize("backend", ALL_BACKENDS)
async def test_no_secret_reaches_text_logs_or_storage(target: Target, captured: Captured) -> None:
    target, secrets = marked(target)
    texts: list[str] = []
    await _in_thread(workload, target, texts)
    texts += captured.texts
    stored = await stored_texts(target)
    assert any(text.endswith("config.json") for text in stored), "the store was not scanned"
    texts += stored
    assert captured.texts, "sapwood logged nothing at DEBUG: the capture is not working"
    for secret in secrets:
        leaks = [text for text in texts if secret in text]
        assert not leaks, f"{secret!r} leaked into: {leaks[0][:300]!r}"


async def _in_thread(function: Callable[..., None], *args: object) -> None:
    """Run the sync workload off the test's event loop (the sync API runs its own)."""
    await asyncio.to_thread(function, *args)
