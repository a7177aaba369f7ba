"""File objects: seekable readers that fetch only what a read needs, text mode, streaming
lines, and streaming writers that stage on close (and nothing after an exception)."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator

import pytest

import sapwood
from sapwood import ChunkingConfig, RepositoryConfig
from sapwood_memory.storage import drop_bucket

from .conftest import CountingStorage

SMALL_CHUNKS = RepositoryConfig(
    chunking=ChunkingConfig(chunk_threshold_bytes=64 * 1024, average_chunk_bytes=16 * 1024)
)


@pytest.fixture
def chunked() -> Iterator[tuple[str, bytes]]:
    """A memory store holding a repository whose main has big.bin (2 MiB of random bytes,
    cut into ~16 KiB chunks) and lines.txt (20,000 numbered lines); yields the store's name
    and big.bin's content."""
    name = f"files-{uuid.uuid4().hex[:12]}"
    content = os.urandom(2 * 1024 * 1024)
    with sapwood.Repository.create(CountingStorage(name), config=SMALL_CHUNKS) as repository:
        repository.save_config()
        main = repository.branch("main")
        main.upload(content, "big.bin")
        main.upload("".join(f"line {n}\n" for n in range(20_000)), "lines.txt")
        main.commit_changes("big files")
    yield name, content
    drop_bucket(name)


def fresh(name: str) -> tuple[sapwood.Repository, CountingStorage]:
    """The repository opened anew (cold cache) over a store that counts what it serves."""
    storage = CountingStorage(name)
    return sapwood.Repository.open(storage), storage


def test_readers_seek_every_way_and_fetch_only_what_they_read(
    chunked: tuple[str, bytes],
) -> None:
    name, content = chunked
    repository, storage = fresh(name)
    with repository, repository.branch("main").open("big.bin") as reader:
        assert reader.size == len(content)
        assert reader.seekable()
        assert reader.readable()
        before = storage.bytes_read
        assert reader.seek(1_000_000) == 1_000_000
        assert reader.read(100) == content[1_000_000:1_000_100]
        assert reader.tell() == 1_000_100
        assert reader.seek(-50, io.SEEK_CUR) == 1_000_050
        assert reader.read(10) == content[1_000_050:1_000_060]
        assert reader.seek(-10, io.SEEK_END) == len(content) - 10
        assert reader.read() == content[-10:]
        assert reader.read() == b""
        fetched = storage.bytes_read - before
        assert fetched < len(content) // 10, f"{fetched} bytes fetched for 120 bytes read"
        reader.seek(0)
        buffer = bytearray(8)
        assert reader.readinto(buffer) == 8
        assert bytes(buffer) == content[:8]
        assert reader.info.path == "big.bin"
    assert reader.closed


def test_text_mode_decodes_with_the_given_encoding(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload("café\nnaïve\n".encode("latin-1"), "latin.txt")
    main.upload("ü" * 100_000, "wide.txt")
    main.commit_changes("text")
    with main.open("latin.txt", "r", encoding="latin-1") as text:
        assert text.encoding == "latin-1"
        assert text.readline() == "café\n"
        assert list(text) == ["naïve\n"]
        text.seek(0)
        assert text.read() == "café\nnaïve\n"
    with main.open("wide.txt", "r") as text:
        assert text.read(3) == "üüü"  # a character cut across reads decodes whole
        assert len(text.read()) == 99_997
    with pytest.raises(UnicodeDecodeError), main.open("latin.txt", "r") as text:
        text.read()


def test_lines_stream_without_loading_the_whole_object(chunked: tuple[str, bytes]) -> None:
    name, _ = chunked
    repository, storage = fresh(name)
    main = repository.branch("main")
    size = main.stat_object("lines.txt").size_bytes
    with repository, main.open("lines.txt") as reader:
        before = storage.bytes_read
        assert reader.readline() == b"line 0\n"
        assert next(reader) == b"line 1\n"
        assert storage.bytes_read - before < size // 2
        assert sum(1 for _ in reader) == 19_998
    with fresh(name)[0] as again, again.branch("main").open("lines.txt", "r") as text:
        assert text.readlines()[-1] == "line 19999\n"


def test_writers_stream_and_stage_on_close(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    with main.open("out/data.bin", "wb", metadata={"source": "test"}) as writer:
        assert writer.writable()
        assert not writer.seekable()
        for n in range(100):
            writer.write(bytes([n]) * 1000)
        assert writer.tell() == 100_000
        assert not main.exists("out/data.bin")
    assert writer.closed
    assert writer.info is not None
    assert writer.info.size_bytes == 100_000
    assert main.stat_object("out/data.bin").metadata == {"source": "test"}
    with main.open("out/notes.txt", "w", content_type="text/markdown") as text:
        text.write("héllo\n")
        text.writelines(["a\n", "b\n"])
    main.commit_changes("written through file objects")
    assert main.download("out/data.bin")[-1000:] == bytes([99]) * 1000
    assert main.download("out/notes.txt") == "héllo\na\nb\n".encode()
    assert main.stat_object("out/notes.txt").content_type == "text/markdown"


def test_a_writer_left_by_an_exception_stages_nothing(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    writer = main.open("broken.bin", "wb")

    def fail_half_way() -> None:
        with writer:
            writer.write(b"x" * 100_000)
            raise RuntimeError("half way")

    with pytest.raises(RuntimeError, match="half way"):
        fail_half_way()
    assert writer.closed
    assert list(main.list_uncommitted()) == []
    assert not main.exists("broken.bin")
    aborted = main.open("aborted.bin", "wb")
    aborted.write(b"never")
    aborted.abort()
    assert list(main.list_uncommitted()) == []


def test_writers_check_what_they_are_given(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    with main.open("t.txt", "w") as text, pytest.raises(TypeError, match="str"):
        text.write(b"bytes in text mode")
    with main.open("b.bin", "wb") as binary, pytest.raises(TypeError, match="bytes"):
        binary.write("str in binary mode")
    with pytest.raises(ValueError, match="mode"):
        main.open("x", "a")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="mode"):
        repo.ref("main").open("x", "wb")  # type: ignore[call-overload]


def test_readers_refuse_work_once_closed(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"abc", "abc")
    reader = main.open("abc")
    reader.close()
    with pytest.raises(ValueError, match="closed"):
        reader.read()
    with pytest.raises(io.UnsupportedOperation):
        reader.fileno()


def test_iteration_mixes_with_reads_as_in_a_python_file(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    content = "".join(f"row {n}\n" for n in range(5000))
    main.upload(content, "rows.txt")
    with main.open("rows.txt") as reader:
        assert next(reader) == b"row 0\n"
        assert reader.tell() == len(b"row 0\n")
        assert reader.readline() == b"row 1\n"
        assert next(reader) == b"row 2\n"
        assert reader.read(6) == b"row 3\n"
        rest = reader.read()
        assert rest == content.encode()[len("row 0\nrow 1\nrow 2\nrow 3\n") :]
    with main.open("rows.txt", "r") as text:
        assert next(text) == "row 0\n"
        assert text.readline() == "row 1\n"
        assert next(text) == "row 2\n"
        assert text.read() == content[len("row 0\nrow 1\nrow 2\n") :]
        text.seek(0)
        assert next(text) == "row 0\n"


def test_a_sync_reader_uploads_as_a_file_object(memory_url: str) -> None:
    """A sapwood reader handed to ``upload`` is read as any file object is (the sync API
    passes sync twins of references and sessions to the async side as their async
    objects, but a file object stays the file the caller gave)."""
    repo = sapwood.Repository.create(memory_url)
    main = repo.branch("main")
    main.upload(b"line one\nline two\n", "source.txt")
    with main.open("source.txt") as reader:
        main.upload(reader, "copy.txt")
    with main.open("source.txt", "r") as text:
        main.upload(text, "text-copy.txt")
    assert main.download("copy.txt") == b"line one\nline two\n"
    assert main.download("text-copy.txt") == b"line one\nline two\n"
