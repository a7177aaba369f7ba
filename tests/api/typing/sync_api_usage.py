"""What a user of the sync API sees under ``mypy --strict``: each sync method derived from
its async twin keeps the async method's parameters and returns the sync twin's types.

Never run, only type-checked (by ``tests/api/test_twins.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import assert_type

import sapwood
from sapwood import (
    Branch,
    Change,
    Commit,
    CommonPrefix,
    ImportManager,
    ImportStatus,
    ObjectInfo,
    ObjectReader,
    ObjectWriter,
    Reference,
    Repository,
    Session,
    Tag,
    TextReader,
    Transaction,
)


def use(repo: Repository) -> None:
    main = repo.branch("main")
    assert_type(main, Branch)
    assert_type(main.upload(b"data", "a.txt"), ObjectInfo)
    assert_type(main.upload("text", "b.txt", content_type="text/plain", metadata={}), ObjectInfo)
    assert_type(main.commit_changes("message"), Commit)
    assert_type(main.create("main", exist_ok=True), Branch)
    assert_type(main.head(), Reference)
    assert_type(main.reader(), Session)
    assert_type(main.resolve(), bytes)
    assert_type(main.log(), Iterator[Commit])
    assert_type(main.log(5, paths=["a.txt"]), Iterator[Commit])
    assert_type(main.diff(repo.tag("v1")), Iterator[Change])
    assert_type(main.list_objects(prefix="a"), Iterator[ObjectInfo | CommonPrefix])
    assert_type(main.list_uncommitted(), Iterator[Change])
    assert_type(main.download("a.txt"), bytes)
    assert_type(main.exists("a.txt"), bool)
    assert_type(main.stat_object("a.txt"), ObjectInfo)
    assert_type(main.merge_into(repo.branch("dev"), "source-wins"), Commit)
    assert_type(main.revert("main~1"), Commit)
    assert_type(main.cherry_pick(main.head()), Commit)
    assert_type(main.reset_to("main"), None)
    assert_type(main.transaction("message"), Transaction)
    assert_type(main.import_from("file:///data", "raw/", "import"), ImportManager)
    assert_type(main.import_from("file:///data", "raw/", "import").run(), ImportStatus)
    assert_type(main.open("a.txt"), ObjectReader)
    assert_type(main.open("a.txt", "r"), TextReader)
    assert_type(main.open("a.txt", "wb"), ObjectWriter)

    tag = repo.tag("v1")
    assert_type(tag, Tag)
    assert_type(tag.create(main), Tag)
    assert_type(tag.open("a.txt"), ObjectReader)

    assert_type(repo.commit("abcd"), Reference)
    assert_type(repo.ref("main~2").get_commit(), Commit)
    assert_type(repo.list_branches(), Iterator[Branch])
    assert_type(repo.list_tags(prefix="v"), Iterator[Tag])
    assert_type(repo.reopen(), Repository)
    assert_type(repo.readonly_session(main), Session)

    session = repo.writable_session(main)
    assert_type(session, Session)
    assert_type(session.fork(), Session)
    assert_type(session.commit("message"), Commit)
    assert_type(session.repository(), Repository)
    assert_type(session.open("a.txt", "w"), ObjectWriter)
    assert_type(session.copy_object(session.fork(), "a.txt", "c.txt"), ObjectInfo)
    assert_type(session.branch, str | None)
    assert_type(session.has_uncommitted_changes, bool)
    assert_type(main.id, str)
    assert_type(main.repository, Repository)
    assert_type(sapwood.repository("memory://demo"), Repository)
    assert_type(Repository.open("memory://demo"), Repository)
    assert_type(Repository.create("memory://other", config=None), Repository)
    assert_type(Repository.open_or_create("memory://demo"), Repository)
    assert_type(Repository.exists("memory://demo"), bool)
