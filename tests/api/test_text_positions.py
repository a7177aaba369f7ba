"""Text readers: tell() gives an opaque cookie that seek() takes back, wherever the reader
stands (mid-line, across multi-byte characters split between blocks, after iterating),
and async open() is both awaitable and an async context manager."""

from __future__ import annotations

import io
import random

import pytest

import sapwood
from sapwood.aio import AsyncRepository


def sample_text(seed: int, lines: int) -> str:
    chooser = random.Random(seed)
    return "".join(
        "".join(chooser.choice("ab é€𝄞") for _ in range(chooser.randint(0, 40))) + "\n"
        for _ in range(lines)
    )


def test_tell_and_seek_agree_with_a_python_text_file(repo: sapwood.Repository) -> None:
    text = sample_text(1, 20_000)
    main = repo.branch("main")
    main.upload(text, "t.txt")
    main.commit_changes("text")
    chooser = random.Random(2)
    expected = io.StringIO(text)
    marks: list[tuple[int, int]] = []
    with main.open("t.txt", "r") as reader:
        for _ in range(400):
            marks.append((reader.tell(), expected.tell()))
            action = chooser.randint(0, 3)
            if action == 0:
                assert reader.readline() == expected.readline()
            elif action == 1:
                size = chooser.randint(0, 70_000)
                assert reader.read(size) == expected.read(size)
            elif action == 2:
                for _ in range(chooser.randint(1, 30)):
                    assert next(reader, "") == next(expected, "")
            else:
                mine, theirs = chooser.choice(marks)
                assert reader.seek(mine) == mine
                expected.seek(theirs)
        assert reader.seek(0, io.SEEK_CUR) == reader.tell()
        reader.seek(0, io.SEEK_END)
        assert reader.read() == ""
        reader.seek(0)
        assert reader.read() == text
        with pytest.raises(io.UnsupportedOperation):
            reader.seek(5, io.SEEK_CUR)


def test_tell_works_with_a_stateful_encoding(repo: sapwood.Repository) -> None:
    text = sample_text(3, 5_000)
    main = repo.branch("main")
    main.upload(text.encode("utf-16"), "t16.txt")
    main.commit_changes("utf-16")
    with main.open("t16.txt", "r", encoding="utf-16") as reader:
        reader.read(100_001)
        position = reader.tell()
        rest = reader.read()
        reader.seek(position)
        assert reader.read() == rest == text[100_001:]


async def test_async_open_awaits_or_enters(memory_url: str) -> None:
    repo = await AsyncRepository.create(memory_url)
    main = repo.branch("main")
    async with main.open("f.txt", "w") as writer:
        await writer.write("one\ntwo\n")
    reader = await main.open("f.txt", "r")
    await reader.readline()
    position = reader.tell()
    assert await reader.read() == "two\n"
    reader.seek(position)
    assert await reader.readline() == "two\n"
    end = await reader.tell()
    assert await reader.seek(end) == end
    assert await reader.read() == ""
    assert await reader.seek(position) == position
    assert await reader.read() == "two\n"
    await reader.close()
    async with main.open("f.txt", "rb") as binary:
        assert await binary.read() == b"one\ntwo\n"
    assert binary.closed

    async def write_then_fail() -> None:
        async with main.open("g.txt", "wb") as aborted:
            await aborted.write(b"never staged")
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        await write_then_fail()
    assert not await main.exists("g.txt")
    await main.commit_changes("f")
    session = await repo.readonly_session(branch=main)
    async with session.open("f.txt") as from_session:
        assert await from_session.read(3) == b"one"
    async with repo.ref("main").open("f.txt", "r") as from_ref:
        assert await from_ref.read() == "one\ntwo\n"
    await repo.close()
