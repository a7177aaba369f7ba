"""sapwood's file objects keep :mod:`io`'s contracts, checked side by side with Python's
own file objects: the same assertions run over ``open(tmp, mode)`` and over sapwood's
reader or writer (io.UnsupportedOperation, OSError on a negative seek, ValueError once
closed, readable/writable/seekable); and a writer's content type and metadata may be set
until it is closed."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import sapwood
import sapwood.aio
from sapwood_memory.storage import drop_bucket

CONTENT = b"line one\nline two\n"


@pytest.fixture(params=["memory", "local"])
def any_repo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sapwood.Repository]:
    """A repository on memory or local holding ``data.bin`` and ``data.txt``."""
    if request.param == "memory":
        name = f"files-{uuid.uuid4().hex[:12]}"
        url = f"memory://{name}"
    else:
        name = ""
        url = (tmp_path / "repo").as_uri()
    with sapwood.Repository.create(url) as repository:
        main = repository.branch("main")
        main.upload(CONTENT, "data.bin")
        main.upload(CONTENT, "data.txt")
        main.commit_changes("data")
        yield repository
    if name:
        drop_bucket(name)


Opener = Callable[[str], Any]


@pytest.fixture(params=["builtin", "sapwood"])
def opener(request: pytest.FixtureRequest, tmp_path: Path, any_repo: sapwood.Repository) -> Opener:
    """Opens ``data.bin``/``data.txt`` (or a new ``new.bin``) with Python's ``open`` or
    with sapwood's branch, by mode."""
    if request.param == "builtin":
        folder = tmp_path / "plain"
        folder.mkdir()
        (folder / "data.bin").write_bytes(CONTENT)
        (folder / "data.txt").write_bytes(CONTENT)

        def open_builtin(mode: str) -> Any:
            name = "data.txt" if mode == "r" else ("data.bin" if "r" in mode else "new.bin")
            return open(folder / name, mode)

        return open_builtin
    main = any_repo.branch("main")

    def open_sapwood(mode: str) -> Any:
        name = "data.txt" if mode == "r" else ("data.bin" if "r" in mode else "new.bin")
        return main.open(name, mode)  # type: ignore[call-overload]

    return open_sapwood


@pytest.mark.parametrize("mode", ["rb", "r"])
def test_readers(opener: Opener, mode: str) -> None:
    reader = opener(mode)
    assert reader.readable() is True
    assert reader.writable() is False
    assert reader.seekable() is True
    with pytest.raises(io.UnsupportedOperation):
        reader.write(b"x" if mode == "rb" else "x")
    with pytest.raises(io.UnsupportedOperation):
        reader.truncate(0)
    assert reader.read(4) == (b"line" if mode == "rb" else "line")
    reader.flush()
    reader.close()
    reader.close()  # closing twice is fine
    assert reader.closed
    assert reader.writable() is False  # Python's readers answer this even once closed
    closed_reader_operations: list[Callable[[], object]] = [
        lambda: reader.read(),
        lambda: reader.readline(),
        lambda: reader.seek(0),
        lambda: reader.tell(),
        lambda: reader.flush(),
        lambda: reader.readable(),
        lambda: reader.seekable(),
    ]
    for operation in closed_reader_operations:
        with pytest.raises(ValueError):
            operation()


def test_binary_reader_negative_seek_is_an_os_error(opener: Opener) -> None:
    with opener("rb") as reader:
        with pytest.raises(OSError) as raised:
            reader.seek(-1)
        assert not isinstance(raised.value, io.UnsupportedOperation)
        assert reader.tell() == 0
        assert reader.seek(-3, io.SEEK_END) == len(CONTENT) - 3
        with pytest.raises(OSError):
            reader.seek(-100, io.SEEK_CUR)
        with pytest.raises(ValueError):
            reader.seek(0, 7)


@pytest.mark.parametrize("mode", ["wb", "xb"])
def test_writers(opener: Opener, mode: str) -> None:
    writer = opener(mode)
    assert writer.writable() is True
    assert writer.readable() is False
    with pytest.raises(io.UnsupportedOperation):
        writer.read()
    if isinstance(writer, sapwood.ObjectWriter):
        assert writer.seekable() is False  # sapwood's writers only append
    if not writer.seekable():  # the contract: what does not seek says so by raising
        with pytest.raises(io.UnsupportedOperation):
            writer.seek(0)
    assert writer.write(b"abc") == 3
    assert writer.tell() == 3
    writer.flush()
    writer.close()
    writer.close()
    assert writer.closed
    closed_writer_operations: list[Callable[[], object]] = [
        lambda: writer.write(b"x"),
        lambda: writer.flush(),
        lambda: writer.tell(),
        lambda: writer.seek(0),
        lambda: writer.writable(),
        lambda: writer.seekable(),
    ]
    for operation in closed_writer_operations:
        with pytest.raises(ValueError):
            operation()


def test_exclusive_mode_on_an_existing_path(opener: Opener) -> None:
    with opener("xb") as writer:
        writer.write(b"once")
    with pytest.raises(FileExistsError):
        opener("xb")


def test_writer_content_type_and_metadata_until_closed(any_repo: sapwood.Repository) -> None:
    main = any_repo.branch("main")
    writer = main.open("table.bin", "wb", metadata={"stage": "raw"})
    assert writer.metadata == {"stage": "raw"}
    writer.write(b"1,2\n")
    writer.content_type = "text/csv"
    writer.metadata = {"stage": "clean", "rows": "1"}
    assert writer.content_type == "text/csv"
    info = writer.close()
    assert info is not None
    assert info.content_type == "text/csv"
    assert main.stat_object("table.bin").metadata == {"stage": "clean", "rows": "1"}
    with pytest.raises(ValueError, match="closed"):
        writer.content_type = "text/plain"
    with pytest.raises(ValueError, match="closed"):
        writer.metadata = {}
    with pytest.raises(TypeError, match="str to str"):
        main.open("other.bin", "wb").metadata = {"n": 1}  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="content_type"):
        main.open("other2.bin", "wb").content_type = 3  # type: ignore[assignment]


async def test_async_files_follow_the_same_contracts(tmp_path: Path) -> None:
    async with await sapwood.aio.AsyncRepository.create(tmp_path / "repo") as repo:
        main = repo.branch("main")
        async with main.open("w.bin", "wb") as writer:
            writer.content_type = "application/x-test"
            writer.metadata = {"k": "v"}
            await writer.write(b"0123456789")
            with pytest.raises(io.UnsupportedOperation):
                writer.seek(0)
            with pytest.raises(io.UnsupportedOperation):
                await writer.read()
        info = await main.stat_object("w.bin")
        assert (info.content_type, info.metadata) == ("application/x-test", {"k": "v"})
        reader = await main.open("w.bin")
        # Reads are awaited; seek and tell (no I/O) are plain calls.
        assert reader.seek(5) == 5
        assert await reader.read(2) == b"56"
        assert reader.tell() == 7
        # Code written for files whose seek and tell are coroutines works too.
        assert await reader.seek(1) == 1
        assert await reader.tell() == 1
        assert await reader.read(1) == b"1"
        with pytest.raises(OSError):
            reader.seek(-1)
        with pytest.raises(io.UnsupportedOperation):
            await reader.write(b"x")
        await reader.close()
        with pytest.raises(ValueError):
            await reader.flush()
        with pytest.raises(ValueError):
            reader.seek(0)
