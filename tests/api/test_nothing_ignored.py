"""Nothing is accepted and silently ignored: options a call would not use raise saying why
(on memory and local repositories, sync and async)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import sapwood
import sapwood.aio
from sapwood_memory.storage import drop_bucket


@pytest.fixture(params=["memory", "local"])
def any_repo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sapwood.Repository]:
    """A repository on memory or local whose main holds ``x.txt``."""
    name = f"ignored-{uuid.uuid4().hex[:12]}"
    url = f"memory://{name}" if request.param == "memory" else (tmp_path / "repo").as_uri()
    with sapwood.Repository.create(url) as repository:
        main = repository.branch("main")
        main.upload(b"x", "x.txt")
        main.commit_changes("x")
        yield repository
    drop_bucket(name)


def test_binary_modes_take_no_encoding(any_repo: sapwood.Repository) -> None:
    main = any_repo.branch("main")
    with pytest.raises(ValueError, match="takes no encoding"):
        main.open("x.txt", "rb", encoding="latin-1")
    with pytest.raises(ValueError, match="takes no encoding"):
        main.open("y.bin", "wb", encoding="utf-8")
    with pytest.raises(ValueError, match="takes no encoding"):
        any_repo.ref("main").open("x.txt", "rb", encoding="utf-8")
    with pytest.raises(LookupError):
        main.open("x.txt", "r", encoding="no-such-codec")
    with main.open("latin.txt", "w", encoding="latin-1") as writer:
        writer.write("café")
    assert main.download("latin.txt") == "café".encode("latin-1")
    with main.open("latin.txt", "r", encoding="latin-1") as reader:
        assert reader.read() == "café"


def test_reading_takes_no_content_type_or_metadata(any_repo: sapwood.Repository) -> None:
    main = any_repo.branch("main")
    with pytest.raises(ValueError, match="only reads"):
        main.open("x.txt", "rb", content_type="text/plain")  # type: ignore[call-overload]
    session = any_repo.writable_session("main")
    with pytest.raises(ValueError, match="only reads"):
        session.open("x.txt", "r", metadata={"a": "b"})  # type: ignore[call-overload]


def test_an_ill_typed_content_type_is_refused_before_storing(
    any_repo: sapwood.Repository,
) -> None:
    main = any_repo.branch("main")
    with pytest.raises(TypeError, match="content_type"):
        main.upload(b"x", "z.bin", content_type=3)  # type: ignore[arg-type]
    assert list(main.list_uncommitted()) == []


def test_a_transaction_checks_its_message_and_metadata_up_front(
    any_repo: sapwood.Repository,
) -> None:
    main = any_repo.branch("main")
    with pytest.raises(TypeError, match="str to str"):
        main.transaction("m", metadata={"n": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="commit message"):
        main.transaction(b"m")  # type: ignore[arg-type]


async def test_async_open_refuses_ignored_options(tmp_path: Path) -> None:
    async with await sapwood.aio.AsyncRepository.create(tmp_path / "repo") as repo:
        main = repo.branch("main")
        with pytest.raises(ValueError, match="takes no encoding"):
            await main.open("a.bin", "wb", encoding="utf-8")
        with pytest.raises(ValueError, match="only reads"):
            await main.open("a.bin", "rb", metadata={})  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("file:///tmp/never?region=eu-west-1", "region"),
        ("file:///tmp/never?endpoint_url=http://127.0.0.1:9", "endpoint_url"),
        ("memory://never?anonymous=true", "anonymous"),
        ("memory://never?allow_http=true", "allow_http"),
    ],
)
def test_store_fields_a_backend_does_not_use_are_refused(url: str, field: str) -> None:
    with pytest.raises(sapwood.ConfigError, match=f"no use for {field}=") as raised:
        sapwood.repository(url)
    assert raised.value.field == field


def test_unknown_settings_are_refused_not_stored(any_repo: sapwood.Repository) -> None:
    main = any_repo.branch("main")
    manager = main.import_from("file:///tmp/nowhere-to-import", "", "m")
    with pytest.raises(AttributeError, match="no setting 'message'"):
        manager.message = "typo for commit_message"  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="no setting 'message'"):
        manager.aio.message = "the async twin refuses it too"  # type: ignore[attr-defined]
    writer = main.open("w.bin", "wb")
    with pytest.raises(AttributeError, match="no setting 'contenttype'"):
        writer.contenttype = "text/plain"  # type: ignore[attr-defined]
    writer.content_type = "text/plain"
    writer.close()
    with pytest.raises(AttributeError, match="no setting 'auhtor'"):
        any_repo.auhtor = "someone"  # type: ignore[attr-defined]
    any_repo.author = "someone"
    assert any_repo.aio.author == "someone"
    with pytest.raises(AttributeError, match="no setting"):
        main.strategy = "source-wins"  # type: ignore[attr-defined]


def test_a_writer_checks_its_content_type_when_opened(any_repo: sapwood.Repository) -> None:
    with pytest.raises(TypeError, match="content_type"):
        any_repo.branch("main").open("w.bin", "wb", content_type=3)  # type: ignore[call-overload]
    assert list(any_repo.branch("main").list_uncommitted()) == []
