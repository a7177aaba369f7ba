"""SapwoodStore through Zarr's own APIs: sync and async sessions, threads, commits,
read-only sessions, pickling and partial reads."""

from __future__ import annotations

import asyncio
import pickle
import threading
from pathlib import Path

import numpy as np
import pytest
import zarr
import zarr.api.asynchronous as zarr_async
from zarr.abc.store import OffsetByteRequest, RangeByteRequest, SuffixByteRequest
from zarr.core.buffer import default_buffer_prototype

import sapwood
from sapwood.aio import AsyncRepository
from sapwood.config import RepositoryConfig
from sapwood.errors import SapwoodError
from sapwood.zarr import SapwoodStore
from sapwood.zarr._ranges import coalesce


@pytest.fixture
def repo(tmp_path: Path) -> sapwood.Repository:
    return sapwood.Repository.create(str(tmp_path / "repo"))


def test_sync_session_array_round_trip_in_one_commit(repo: sapwood.Repository) -> None:
    session = repo.writable_session("main")
    before = len(list(repo.branch("main").log()))
    group = zarr.group(store=session.store)
    array = group.create_array("temperature", shape=(40, 30), chunks=(10, 10), dtype="f8")
    values = np.arange(1200, dtype="f8").reshape(40, 30)
    array[:] = values
    group.attrs["title"] = "test"
    assert not list(repo.branch("main").list_objects())  # staged only, nothing committed
    session.commit("Write temperature")
    assert len(list(repo.branch("main").log())) == before + 1

    reader = repo.readonly_session(branch="main")
    opened = zarr.open_array(reader.store, path="temperature", mode="r")
    np.testing.assert_array_equal(opened[:], values)
    assert zarr.open_group(reader.store, mode="r").attrs["title"] == "test"
    assert len([p for p in reader.store.session.list_objects(prefix="temperature/c/")]) == 12
    assert reader.stat_object("temperature/zarr.json").content_type == "application/json"
    assert reader.stat_object("temperature/c/0/0").content_type == "application/octet-stream"


def test_readonly_session_store_refuses_writes(repo: sapwood.Repository) -> None:
    writer = repo.writable_session("main")
    zarr.create_array(writer.store, name="a", shape=(4,), chunks=(2,), dtype="i4")[:] = 7
    writer.commit("a")
    reader = repo.readonly_session(branch="main")
    assert reader.store.read_only
    with pytest.raises(ValueError, match="read-only"):
        zarr.open_array(reader.store, path="a", mode="r+")[:] = 1
    with pytest.raises(SapwoodError, match="read-only session"):
        SapwoodStore(reader, read_only=False)


def test_read_only_store_over_writable_session(repo: sapwood.Repository) -> None:
    session = repo.writable_session("main")
    store = SapwoodStore(session, read_only=True)
    with pytest.raises(ValueError, match="read-only"):
        zarr.create_array(store, name="a", shape=(4,), chunks=(2,), dtype="i4")
    assert not session.has_uncommitted_changes


def test_store_pickles_with_staged_changes(repo: sapwood.Repository) -> None:
    session = repo.writable_session("main")
    zarr.create_array(session.store, name="a", shape=(6,), chunks=(3,), dtype="i2")[:] = 5
    copy = pickle.loads(pickle.dumps(session.store))
    assert copy == session.store
    assert isinstance(copy.session, sapwood.Session)
    np.testing.assert_array_equal(zarr.open_array(copy, path="a", mode="r")[:], [5] * 6)
    readonly = pickle.loads(pickle.dumps(repo.readonly_session(branch="main").store))
    assert readonly.read_only
    session.upload(b"more", "other")
    assert copy != session.store  # the session moved on; the copy did not


def test_sync_session_store_from_many_threads(repo: sapwood.Repository) -> None:
    session = repo.writable_session("main")
    array = zarr.create_array(session.store, name="a", shape=(80,), chunks=(10,), dtype="i8")
    errors: list[BaseException] = []

    def write(block: int) -> None:
        try:
            array[block * 10 : (block + 1) * 10] = np.full(10, block)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    session.commit("threads")
    back = zarr.open_array(repo.readonly_session(branch="main").store, path="a", mode="r")[:]
    np.testing.assert_array_equal(back, np.repeat(np.arange(8), 10))


async def test_async_session_through_zarr_async_api(tmp_path: Path) -> None:
    repo = await AsyncRepository.create(str(tmp_path / "repo"))
    session = await repo.writable_session("main")
    array = await zarr_async.create_array(
        session.store, name="a", shape=(20,), chunks=(5,), dtype="u1"
    )
    await array.setitem(slice(None), np.arange(20, dtype="u1"))
    await session.commit("async write")
    reader = await repo.readonly_session(branch="main")
    opened = await zarr_async.open_array(store=reader.store, path="a", mode="r")
    np.testing.assert_array_equal(await opened.getitem(slice(None)), np.arange(20))


def test_async_session_through_zarr_sync_api_from_its_loop_thread(tmp_path: Path) -> None:
    """An AsyncSession living on an application's own loop thread, used from Zarr's sync
    API in the main thread: every store call is carried over to that loop."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:

        def on_loop(coro):  # type: ignore[no-untyped-def]
            return asyncio.run_coroutine_threadsafe(coro, loop).result()

        async def open_session():  # type: ignore[no-untyped-def]
            repo = await AsyncRepository.create(str(tmp_path / "repo"))
            session = await repo.writable_session("main")
            return repo, session, session.store

        repo, session, store = on_loop(open_session())
        array = zarr.create_array(store, name="a", shape=(12,), chunks=(4,), dtype="f4")
        array[:] = np.linspace(0, 1, 12, dtype="f4")
        on_loop(session.commit("from the sync API"))
        reader = on_loop(repo.readonly_session(branch="main"))
        back = zarr.open_array(SapwoodStore(reader), path="a", mode="r")[:]
        np.testing.assert_array_equal(back, np.linspace(0, 1, 12, dtype="f4"))
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def test_store_of_closed_loop_session_says_why(tmp_path: Path) -> None:
    async def make() -> SapwoodStore:
        repo = await AsyncRepository.create(str(tmp_path / "repo"))
        return (await repo.writable_session("main")).store

    store = asyncio.run(make())
    with pytest.raises(SapwoodError, match="has closed"):
        zarr.create_array(store, name="a", shape=(2,), chunks=(1,), dtype="i1")


async def test_blocking_call_inside_a_loop_is_refused(repo: sapwood.Repository) -> None:
    store = repo.writable_session("main").store
    with pytest.raises(SapwoodError, match="await the async method"):
        store.get_sync("x")


async def test_partial_values_coalesce_and_respect_the_concurrency_bound(
    tmp_path: Path,
) -> None:
    config = RepositoryConfig(get_partial_values_concurrency=2)
    repo = await AsyncRepository.create(str(tmp_path / "repo"), config=config)
    session = await repo.writable_session("main")
    payload = bytes(range(256)) * 64
    for index in range(6):
        await session.upload(payload, f"k{index}")
    store = session.store
    in_flight = 0
    peak = 0
    original = session.open

    def counting_open(*args, **kwargs):  # type: ignore[no-untyped-def]
        opening = original(*args, **kwargs)

        async def tracked():  # type: ignore[no-untyped-def]
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.01)
            try:
                return await opening
            finally:
                in_flight -= 1

        return tracked()

    session.open = counting_open  # type: ignore[method-assign]
    requests = [
        (f"k{index}", request)
        for index in range(6)
        for request in (RangeByteRequest(10, 20), SuffixByteRequest(5), OffsetByteRequest(100))
    ]
    requests.append(("missing", None))
    found = await store.get_partial_values(default_buffer_prototype(), requests)
    assert peak == 2
    for (key, request), buffer in zip(requests, found, strict=True):
        if key == "missing":
            assert buffer is None
            continue
        assert buffer is not None
        if isinstance(request, RangeByteRequest):
            assert buffer.to_bytes() == payload[10:20]
        elif isinstance(request, SuffixByteRequest):
            assert buffer.to_bytes() == payload[-5:]
        else:
            assert buffer.to_bytes() == payload[100:]


def test_coalesce_merges_near_spans_only() -> None:
    assert coalesce([(0, 10), (5, 20), (100, 110)], gap=50) == [(0, 20), (100, 110)]
    assert coalesce([(100, 110), (0, 10)], gap=0) == [(0, 10), (100, 110)]
    assert coalesce([(3, 3)]) == []


def test_session_store_property_names_the_session(repo: sapwood.Repository) -> None:
    session = repo.writable_session("main")
    assert isinstance(session.store, SapwoodStore)
    assert session.store.session is session
    assert session.store == session.store
    with pytest.raises(TypeError, match="Session or AsyncSession"):
        SapwoodStore("main")  # type: ignore[arg-type]


def test_unpickled_async_store_belongs_to_the_loop_that_first_uses_it(tmp_path: Path) -> None:
    async def make() -> bytes:
        repo = await AsyncRepository.create(str(tmp_path / "repo"))
        session = await repo.writable_session("main")
        await session.upload(b"staged", "note")
        return pickle.dumps(session.store)

    payload = asyncio.run(make())

    async def unpickle() -> SapwoodStore:
        return pickle.loads(payload)  # type: ignore[no-any-return]

    store = asyncio.run(unpickle())  # that loop is closed now; it never used the session
    array = zarr.create_array(store, name="b", shape=(4,), chunks=(2,), dtype="i1")
    array[:] = 3
    np.testing.assert_array_equal(zarr.open_array(store, path="b", mode="r")[:], [3] * 4)
    assert store.get_sync("note") is not None
