"""Sessions: staged reads and writes, listings, file objects, commits with rebase,
conflicts, forks, transactions and virtual objects."""

from __future__ import annotations

import io
import pickle
import random
from pathlib import Path

import pytest

from sapwood.aio import AsyncObjectReader, AsyncRepository, AsyncTextReader
from sapwood.config import (
    ChunkingConfig,
    ObjectStoreConfig,
    RepositoryConfig,
    VirtualChunkContainer,
)
from sapwood.errors import (
    ConfigError,
    ConflictError,
    IntegrityError,
    InvalidPathError,
    ObjectNotFoundError,
    SapwoodError,
)
from sapwood.models import Change, ObjectInfo
from sapwood.storage import CommonPrefix
from sapwood_memory.storage import MemoryStorage, drop_bucket


async def test_staged_changes_are_read_back_before_commit(repo: AsyncRepository) -> None:
    session = await repo.writable_session("main")
    info = await session.upload(b"hello", "a.txt", metadata={"k": "v"})
    assert info == await session.stat_object("a.txt")
    assert info.content_type == "text/plain"
    assert info.metadata == {"k": "v"}
    assert info.checksum == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert await session.download("a.txt") == b"hello"
    assert await session.exists("a.txt")
    assert not await repo.branch("main").exists("a.txt")
    await session.delete_objects(["a.txt"])
    assert not await session.exists("a.txt")
    with pytest.raises(ObjectNotFoundError, match="list_objects"):
        await session.download("a.txt")
    assert not session.read_only
    assert session.branch == "main"


async def test_upload_takes_bytes_str_and_file_objects(
    repo: AsyncRepository, tmp_path: Path
) -> None:
    session = await repo.writable_session("main")
    on_disk = tmp_path / "f.bin"
    on_disk.write_bytes(b"from disk")
    await session.upload(bytearray(b"ba"), "ba")
    await session.upload(memoryview(b"mv"), "mv")
    await session.upload("text é", "str")
    await session.upload(io.BytesIO(b"bytesio"), "bio")
    await session.upload(io.StringIO("stringio é"), "sio")
    with on_disk.open("rb") as handle:
        await session.upload(handle, "disk", content_type="application/x-test")
    with pytest.raises(TypeError, match="cannot upload"):
        await session.upload(12, "bad")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="str to str"):
        await session.upload(b"x", "bad", metadata={"n": 1})  # type: ignore[dict-item]
    with pytest.raises(InvalidPathError):
        await session.upload(b"x", "/abs")
    got = {p: await session.download(p) for p in ("ba", "mv", "str", "bio", "sio", "disk")}
    assert got == {
        "ba": b"ba",
        "mv": b"mv",
        "str": "text é".encode(),
        "bio": b"bytesio",
        "sio": "stringio é".encode(),
        "disk": b"from disk",
    }
    assert (await session.stat_object("disk")).content_type == "application/x-test"


async def test_listing_pages_and_folds_folders(repo: AsyncRepository) -> None:
    main = repo.branch("main")
    for path in ("a/1", "a/2", "a/b/3", "c", "d/4"):
        await main.upload(path.encode(), path)
    await main.commit_changes("files")
    await main.upload(b"staged", "a/0")
    await main.delete_objects("c")

    async def listed(**kwargs: object) -> list[str]:
        return [
            item.path
            async for item in main.list_objects(**kwargs)  # type: ignore[arg-type]
        ]

    assert await listed() == ["a/0", "a/1", "a/2", "a/b/3", "d/4"]
    assert await listed(prefix="a/") == ["a/0", "a/1", "a/2", "a/b/3"]
    assert await listed(delimiter="/") == ["a/", "d/"]
    assert await listed(prefix="a/", delimiter="/") == ["a/0", "a/1", "a/2", "a/b/"]
    assert await listed(after="a/1") == ["a/2", "a/b/3", "d/4"]
    assert await listed(after="a/", delimiter="/") == ["d/"]
    assert await listed(max_amount=2) == ["a/0", "a/1"]
    folders = [i async for i in main.list_objects(delimiter="/")]
    assert all(isinstance(i, CommonPrefix) for i in folders)
    committed = [i.path async for i in repo.ref("main").list_objects()]
    assert committed == ["a/1", "a/2", "a/b/3", "c", "d/4"]
    assert [c async for c in main.list_uncommitted()] == [
        Change(type="added", path="a/0", size_bytes=6),
        Change(type="removed", path="c", size_bytes=1),
    ]
    await main.reset("a")
    assert [c.path async for c in main.list_uncommitted()] == ["c"]


async def test_listing_a_big_tree_streams_in_order(memory_name: str) -> None:
    config = RepositoryConfig(chunking=ChunkingConfig(manifest_range_entries=16))
    repo = await AsyncRepository.create(f"memory://{memory_name}", config=config)
    session = await repo.writable_session("main")
    paths = sorted(f"d{i % 7}/f{i:04d}" for i in range(500))
    for path in paths:
        await session.upload(b"", path)
    await session.commit("many")
    reader = await repo.readonly_session("main")
    assert [i.path async for i in reader.list_objects()] == paths
    assert [i.path async for i in reader.list_objects(delimiter="/")] == [
        f"d{k}/" for k in range(7)
    ]
    page = [i.path async for i in reader.list_objects(prefix="d3/", after="d3/f0100", max_amount=3)]
    assert page == [p for p in paths if p.startswith("d3/") and p > "d3/f0100"][:3]


async def test_readers_seek_and_fetch_only_what_they_need(memory_name: str) -> None:
    config = RepositoryConfig(
        chunking=ChunkingConfig(chunk_threshold_bytes=4096, average_chunk_bytes=1024)
    )
    repo = await AsyncRepository.create(f"memory://{memory_name}", config=config)
    data = random.Random(5).randbytes(100_000)
    main = repo.branch("main")
    await main.upload(data, "big.bin")
    await main.upload("line one\nline two\nlast", "text.txt")
    await main.commit_changes("files")
    reader = await main.open("big.bin")
    assert isinstance(reader, AsyncObjectReader)
    assert reader.size == 100_000
    reader.seek(60_000)
    assert await reader.read(100) == data[60_000:60_100]
    assert reader.tell() == 60_100
    reader.seek(-10, io.SEEK_END)
    assert await reader.read() == data[-10:]
    reader.seek(-20, io.SEEK_CUR)
    assert await reader.read(5) == data[-20:-15]
    assert reader._content.chunks_fetched < 6
    async with await main.open("text.txt", "r") as text:
        assert isinstance(text, AsyncTextReader)
        assert [line async for line in text] == ["line one\n", "line two\n", "last"]
        text.seek(0)
        assert await text.read(4) == "line"
        assert await text.readline() == " one\n"
        assert await text.read() == "line two\nlast"
    binary = await repo.ref("main").open("text.txt")
    assert await binary.readline() == b"line one\n"
    with pytest.raises(ValueError, match="whence"):
        binary.seek(0, 7)


async def test_writers_stream_and_stage_on_close_only(memory_name: str) -> None:
    config = RepositoryConfig(
        chunking=ChunkingConfig(chunk_threshold_bytes=4096, average_chunk_bytes=1024)
    )
    repo = await AsyncRepository.create(f"memory://{memory_name}", config=config)
    main = repo.branch("main")
    payload = random.Random(6).randbytes(50_000)
    async with await main.open("out.bin", "wb") as writer:
        for start in range(0, len(payload), 7000):
            await writer.write(payload[start : start + 7000])
    assert writer.info is not None
    assert writer.info.size_bytes == 50_000
    async with await main.open("out.txt", "w", content_type="text/x-log") as text_writer:
        await text_writer.write("héllo ")
        await text_writer.write("wörld")
    broken = await main.open("broken.bin", "wb")

    async def write_then_fail() -> None:
        async with broken:
            await broken.write(b"partial")
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        await write_then_fail()
    assert [c.path async for c in main.list_uncommitted()] == ["out.bin", "out.txt"]
    await main.commit_changes("written")
    assert await main.download("out.bin") == payload
    assert await main.download("out.txt") == "héllo wörld".encode()
    assert (await main.stat_object("out.txt")).content_type == "text/x-log"


async def test_concurrent_sessions_rebase_when_paths_differ(repo: AsyncRepository) -> None:
    first = await repo.writable_session("main")
    second = await repo.writable_session("main")
    await first.upload(b"1", "one")
    await second.upload(b"2", "two")
    c1 = await first.commit("one")
    c2 = await second.commit("two")
    assert c2.parents == (c1.id,)
    main = repo.branch("main")
    assert await main.download("one") == b"1"
    assert await main.download("two") == b"2"
    assert second.snapshot_id == c2.id
    assert not second.has_uncommitted_changes


async def test_concurrent_sessions_conflict_on_the_same_path(repo: AsyncRepository) -> None:
    first = await repo.writable_session("main")
    second = await repo.writable_session("main")
    await first.upload(b"1", "shared")
    await second.upload(b"2", "shared")
    await second.upload(b"x", "other")
    await first.commit("first")
    with pytest.raises(ConflictError) as caught:
        await second.commit("second")
    assert caught.value.conflicts == ("shared",)
    assert await repo.branch("main").download("shared") == b"1"
    assert second.has_uncommitted_changes


async def test_the_same_change_on_both_sides_rebases(repo: AsyncRepository) -> None:
    first = await repo.writable_session("main")
    second = await repo.writable_session("main")
    await first.upload(b"same", "shared")
    await second.upload(b"same", "shared")
    await first.commit("first")
    await second.commit("second")


async def test_read_only_sessions_refuse_writes(repo: AsyncRepository) -> None:
    session = await repo.readonly_session()
    assert session.read_only
    with pytest.raises(SapwoodError, match="read-only"):
        await session.upload(b"x", "x")
    with pytest.raises(SapwoodError, match="read-only"):
        await session.commit("x")
    tagged = await repo.tag("v").create("main")
    assert (await repo.readonly_session(tag="v")).snapshot_id == (await tagged.get_commit()).id
    head = (await repo.branch("main").get_commit()).id
    assert (await repo.readonly_session(snapshot_id=head[:10])).snapshot_id == head


async def test_forks_pickle_and_merge_back(repo: AsyncRepository) -> None:
    session = await repo.writable_session("main")
    forks = [session.fork() for _ in range(3)]
    shipped = [pickle.loads(pickle.dumps(fork)) for fork in forks]
    for number, fork in enumerate(shipped):
        await fork.upload(f"part {number}".encode(), f"parts/{number}")
    returned = [pickle.loads(pickle.dumps(fork)) for fork in shipped]
    with pytest.raises(SapwoodError, match="merge it into the session"):
        await returned[0].commit("no")
    await session.merge(*returned)
    commit = await session.commit("parts")
    assert [i.path async for i in repo.ref(commit.id).list_objects()] == [
        "parts/0",
        "parts/1",
        "parts/2",
    ]


async def test_forks_that_disagree_conflict(repo: AsyncRepository) -> None:
    session = await repo.writable_session("main")
    one, two = session.fork(), session.fork()
    await one.upload(b"1", "p")
    await two.upload(b"2", "p")
    with pytest.raises(ConflictError) as caught:
        await session.merge(one, two)
    assert caught.value.conflicts == ("p",)
    await repo.branch("dev").create("main")
    other = await repo.writable_session("dev")
    await other.upload(b"x", "y")
    await other.commit("moved")
    stale = (await repo.writable_session("dev")).fork()
    with pytest.raises(SapwoodError, match="same session"):
        await session.merge(stale)


async def test_copy_object_shares_blobs(repo: AsyncRepository) -> None:
    main = repo.branch("main")
    await main.upload(b"x" * 2000, "src")
    first = await main.commit_changes("src")
    await main.upload(b"y" * 2000, "src")
    copied = await main.copy_object(first, "src", "copy-of-old")
    staged_copy = await main.copy_object(main, "src", "copy-of-staged")
    assert copied.physical_address == (await repo.ref(first.id).stat_object("src")).physical_address
    await main.commit_changes("copies")
    assert await main.download("copy-of-old") == b"x" * 2000
    assert await main.download("copy-of-staged") == b"y" * 2000
    assert staged_copy.size_bytes == 2000
    with pytest.raises(ObjectNotFoundError):
        await main.copy_object("main", "missing")


async def test_transactions_commit_or_discard(repo: AsyncRepository) -> None:
    main = repo.branch("main")
    transaction = main.transaction("tx", metadata={"by": "test"})
    async with transaction as tx:
        await tx.upload(b"in tx", "t")
        outside = await repo.writable_session("main")
        await outside.upload(b"meanwhile", "m")
        await outside.commit("meanwhile")
    assert transaction.commit is not None
    assert transaction.commit.metadata == {"by": "test"}
    assert await main.download("t") == b"in tx"
    assert await main.download("m") == b"meanwhile"
    head = await main.get_commit()

    async def fail_inside() -> None:
        async with main.transaction("fails") as tx:
            await tx.upload(b"never", "never")
            raise KeyError("boom")

    with pytest.raises(KeyError):
        await fail_inside()
    assert await main.get_commit() == head
    assert not await main.exists("never")


async def test_branch_reads_see_staged_changes_then_the_head(repo: AsyncRepository) -> None:
    main = repo.branch("main")
    await main.upload(b"v1", "f")
    assert await main.download("f") == b"v1"
    await main.commit_changes("v1")
    other = await repo.writable_session("main")
    await other.upload(b"v2", "f")
    await other.commit("v2")
    assert await main.download("f") == b"v2"
    await main.upload(b"v3", "g")
    await main.commit_changes("v3")
    assert await main.download("f") == b"v2"
    assert [c.message async for c in main.log(max_amount=2)] == ["v3", "v2"]


async def test_virtual_objects_read_from_their_container(memory_name: str) -> None:
    external = f"{memory_name}-ext"
    outside = MemoryStorage(external)
    await outside.put("data/file.bin", b"0123456789")
    container = VirtualChunkContainer(
        name="ext",
        prefix="memory://ext/",
        store=ObjectStoreConfig(object_store="memory", bucket=external),
    )
    config = RepositoryConfig(virtual_chunk_containers={"ext": container})
    try:
        repo = await AsyncRepository.create(f"memory://{memory_name}", config=config)
        session = await repo.writable_session("main")
        etag = (await outside.head("data/file.bin")).etag
        info = await session.put_virtual(
            "v.bin", "memory://ext/data/file.bin", offset=2, length=5, etag=etag
        )
        assert isinstance(info, ObjectInfo)
        assert info.physical_address == "memory://ext/data/file.bin"
        with pytest.raises(ConfigError, match="no virtual chunk container"):
            await session.put_virtual("w", "s3://elsewhere/x", length=1)
        await session.commit("virtual")
        reader = await repo.branch("main").open("v.bin")
        reader.seek(1)
        assert await reader.read(3) == b"345"
        assert await repo.branch("main").download("v.bin") == b"23456"
        await outside.put("data/file.bin", b"changed!!!")
        fresh = await repo.reopen()
        with pytest.raises(IntegrityError, match="changed since it was recorded"):
            await fresh.branch("main").download("v.bin")
    finally:
        drop_bucket(external)
