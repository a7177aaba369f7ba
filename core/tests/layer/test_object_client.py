"""The object client, async and sync, on the memory and local stores."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
import pytest_asyncio

import sapwood
from sapwood.errors import IntegrityError, InvalidPathError, ObjectNotFoundError, SapwoodError
from sapwood.layer import ChaosStorage, MemoryMetrics
from sapwood.layer.compression import ZSTD_MAGIC
from sapwood.objectstore import (
    AsyncObjectClient,
    ObjectClient,
    TimeToIdle,
    TimeToLive,
    Usecase,
)
from sapwood.objectstore.metadata import HEADER_KEY
from sapwood.stores import open_storage

_names = count()
TEXT = b"log line: everything is fine\n" * 500


class FakeNow:
    """A wall clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(params=["memory", "local"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return f"memory://object-client-{next(_names)}"
    return f"file://{tmp_path / 'store'}"


@pytest.fixture
def now() -> FakeNow:
    return FakeNow()


@pytest_asyncio.fixture(loop_scope="function")
async def client(store_url: str, now: FakeNow) -> AsyncIterator[AsyncObjectClient]:
    async with AsyncObjectClient(store_url, now=now) as opened:
        yield opened


async def test_put_get_delete_round_trip(client: AsyncObjectClient) -> None:
    session = client.session(Usecase("attachments"), org=42, project=1337)
    key = await session.put(b"Hello, world!")
    result = await session.get(key)
    assert result.payload.read() == b"Hello, world!"
    await session.delete(key)
    with pytest.raises(ObjectNotFoundError):
        await session.get(key)
    await session.delete(key)  # deleting twice is fine


async def test_keys_are_generated_unique_or_taken_as_given(client: AsyncObjectClient) -> None:
    session = client.session(Usecase("attachments"), org=1)
    generated = {await session.put(b"x") for _ in range(20)}
    assert len(generated) == 20
    assert await session.put(b"y", key="reports/2030/jan.txt") == "reports/2030/jan.txt"
    assert (await session.get("reports/2030/jan.txt")).payload.read() == b"y"


async def test_metadata_comes_back_with_the_payload(
    client: AsyncObjectClient, now: FakeNow
) -> None:
    usecase = Usecase("attachments", expiration_policy=TimeToLive(timedelta(days=1)))
    session = client.session(usecase, org=1)
    key = await session.put(
        io.BytesIO(TEXT), metadata={"source": "upload-service"}, content_type="text/plain"
    )
    result = await session.get(key)
    assert result.payload.read() == TEXT
    meta = result.metadata
    assert meta.custom == {"source": "upload-service"}
    assert meta.content_type == "text/plain"
    assert meta.time_created == now.now
    assert meta.expiration_policy == TimeToLive(timedelta(days=1))
    assert meta.time_expires == now.now + timedelta(days=1)
    assert meta.compression == "zstd"


async def test_scopes_separate_objects_and_their_order_matters(client: AsyncObjectClient) -> None:
    usecase = Usecase("attachments")
    a = client.session(usecase, org=1, project=2)
    b = client.session(usecase, project=2, org=1)
    await a.put(b"in a", key="same")
    with pytest.raises(ObjectNotFoundError):
        await b.get("same")
    assert a.storage_key("same") == "attachments/org.1/project.2/_/same"
    assert client.session(usecase).storage_key("k") == "attachments/_/k"
    assert client.session(usecase, flag=True).storage_key("k") == "attachments/flag.true/_/k"


async def test_a_key_cannot_reach_into_another_scope(
    client: AsyncObjectClient, now: FakeNow
) -> None:
    usecase = Usecase("attachments")
    outer = client.session(usecase, org=42)
    inner = client.session(usecase, org=42, project=1337)
    await inner.put(b"inner report", key="report")
    await outer.put(b"outer", key="project.1337/report")
    assert (await inner.get("report")).payload.read() == b"inner report"
    assert (await outer.get("project.1337/report")).payload.read() == b"outer"
    await outer.delete("project.1337/report")
    assert (await inner.get("report")).payload.read() == b"inner report"
    unscoped = client.session(usecase)
    await unscoped.put(b"top", key="org.42/_/report")
    with pytest.raises(ObjectNotFoundError):
        await outer.get("report")
    expiring = Usecase("expiring", expiration_policy=TimeToLive(timedelta(minutes=1)))
    await client.session(expiring, org=42, project=1337).put(b"nested", key="n")
    now.advance(minutes=2)
    assert await client.session(expiring, org=42).sweep_expired() == 0  # only its own scope


@pytest.mark.parametrize(
    "scopes",
    [{"org": "a/b"}, {"org": "a.b"}, {"org": ""}, {"bad key": 1}, {"org": "ünï"}],
)
async def test_a_bad_scope_is_a_clear_error(
    client: AsyncObjectClient, scopes: dict[str, str | int]
) -> None:
    with pytest.raises(InvalidPathError, match=r"allowed|empty") as caught:
        client.session(Usecase("attachments"), **scopes)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, SapwoodError)


def test_every_allowed_scope_character_is_accepted() -> None:
    Usecase("A-Za_z0-9()$!+*'")


@pytest.mark.parametrize("bad", ["", "a b", "x/y", "dot.name"])
def test_a_bad_usecase_name_is_a_clear_error(bad: str) -> None:
    with pytest.raises(InvalidPathError):
        Usecase(bad)


@pytest.mark.parametrize("bad", ["", "/lead", "trail/", "a//b", "a/../b", "ctl\x00"])
async def test_a_bad_key_is_a_clear_error(client: AsyncObjectClient, bad: str) -> None:
    session = client.session(Usecase("u"))
    with pytest.raises(InvalidPathError):
        session.storage_key(bad)
    if bad:
        with pytest.raises(InvalidPathError):
            await session.put(b"x", key=bad)


async def test_compression_is_on_by_default_and_off_per_put(store_url: str, now: FakeNow) -> None:
    storage = open_storage(store_url)
    client = AsyncObjectClient(storage, now=now)
    session = client.session(Usecase("logs"))
    zipped = await session.put(TEXT)
    plain = await session.put(TEXT, compression="none")
    assert (await storage.get(session.storage_key(zipped))).startswith(ZSTD_MAGIC)
    assert await storage.get(session.storage_key(plain)) == TEXT
    assert (await session.get(zipped)).payload.read() == TEXT
    assert (await session.get(plain)).metadata.compression == "none"
    off = client.session(Usecase("videos", compression="none"))
    key = await off.put(TEXT)
    assert await storage.get(off.storage_key(key)) == TEXT
    await client.close()


async def test_time_to_live_expires_and_reads_as_not_found(
    client: AsyncObjectClient, now: FakeNow
) -> None:
    session = client.session(Usecase("tmp", expiration_policy=TimeToLive(timedelta(hours=1))))
    key = await session.put(b"short-lived")
    now.advance(minutes=59)
    assert (await session.get(key)).payload.read() == b"short-lived"
    now.advance(minutes=2)
    with pytest.raises(ObjectNotFoundError, match="expired"):
        await session.get(key)


async def test_per_put_policy_overrides_the_usecase(
    client: AsyncObjectClient, now: FakeNow
) -> None:
    session = client.session(Usecase("tmp", expiration_policy=TimeToLive(timedelta(days=30))))
    key = await session.put(b"x", expiration_policy=TimeToLive(timedelta(seconds=10)))
    now.advance(seconds=11)
    with pytest.raises(ObjectNotFoundError):
        await session.get(key)


async def test_time_to_idle_extends_on_read_and_expires_when_idle(
    client: AsyncObjectClient, now: FakeNow
) -> None:
    session = client.session(Usecase("cache", expiration_policy=TimeToIdle(timedelta(hours=1))))
    key = await session.put(b"warm")
    for _ in range(5):  # read every 50 minutes: stays alive far past one hour
        now.advance(minutes=50)
        assert (await session.get(key)).payload.read() == b"warm"
    now.advance(minutes=61)
    with pytest.raises(ObjectNotFoundError):
        await session.get(key)


async def test_idle_extensions_are_debounced(store_url: str, now: FakeNow) -> None:
    counted = ChaosStorage(open_storage(store_url), failure_ratio=0.0)
    client = AsyncObjectClient(counted, now=now)
    session = client.session(Usecase("cache", expiration_policy=TimeToIdle(timedelta(hours=10))))
    key = await session.put(b"warm")
    counted.calls.clear()
    for _ in range(30):  # 30 reads within one minute: no rewrite (interval: 1 hour)
        now.advance(seconds=2)
        await session.get(key)
    assert counted.calls["put"] == 0
    now.advance(hours=1)
    await session.get(key)
    assert counted.calls["put"] == 1
    await session.get(key)
    assert counted.calls["put"] == 1
    await client.close()


async def test_touch_interval_is_configurable(store_url: str, now: FakeNow) -> None:
    counted = ChaosStorage(open_storage(store_url), failure_ratio=0.0)
    client = AsyncObjectClient(counted, now=now, touch_interval=timedelta(seconds=1))
    session = client.session(Usecase("c", expiration_policy=TimeToIdle(timedelta(hours=10))))
    key = await session.put(b"warm")
    counted.calls.clear()
    for _ in range(3):
        now.advance(seconds=2)
        await session.get(key)
    assert counted.calls["put"] == 3
    await client.close()


async def test_sweep_expired_deletes_only_what_expired(
    client: AsyncObjectClient, now: FakeNow
) -> None:
    short = Usecase("short", expiration_policy=TimeToLive(timedelta(minutes=5)))
    keep = Usecase("keep")
    a = client.session(short, org=1)
    b = client.session(keep, org=1)
    expiring = [await a.put(b"x") for _ in range(7)]
    kept = [await b.put(b"y") for _ in range(3)]
    fresh = await a.put(b"z", expiration_policy=TimeToLive(timedelta(days=1)))
    await client.layer.put("not-ours/raw.bin", b"foreign")  # written without the client
    now.advance(minutes=6)
    assert await client.sweep_expired() == 7
    assert await client.sweep_expired() == 0
    for key in expiring:
        with pytest.raises(ObjectNotFoundError):
            await a.get(key)
    assert [(await b.get(k)).payload.read() for k in kept] == [b"y"] * 3
    assert (await a.get(fresh)).payload.read() == b"z"
    assert await client.layer.get("not-ours/raw.bin") == b"foreign"
    now.advance(days=2)
    assert await a.sweep_expired() == 1
    assert await client.sweep_expired(keep) == 0


async def test_an_object_not_written_by_the_client_reads_as_not_found(
    client: AsyncObjectClient,
) -> None:
    session = client.session(Usecase("u"))
    await client.layer.put(session.storage_key("raw"), b"foreign")
    with pytest.raises(ObjectNotFoundError, match="not written by an object client"):
        await session.get("raw")


@pytest.mark.parametrize(
    "header",
    [
        "not json",
        "[1, 2]",
        '{"created": "yesterday"}',
        '{"created": "2024-01-01T00:00:00+00:00", "compression": "lz4"}',
        '{"created": "2024-01-01T00:00:00+00:00", "expiration": "ttl:1e300"}',
        '{"created": "2024-01-01T00:00:00+00:00", "expiration": "ttl:nan"}',
        '{"created": "2024-01-01T00:00:00+00:00", "expiration": 5}',
        "[" * 50_000 + "]" * 50_000,
    ],
)
async def test_malformed_client_metadata_is_an_integrity_error_naming_the_key(
    client: AsyncObjectClient, header: str
) -> None:
    session = client.session(Usecase("u"), org=1)
    await client.layer.put(session.storage_key("bad"), b"x", metadata={HEADER_KEY: header})
    with pytest.raises(IntegrityError, match="'bad'"):
        await session.get("bad")
    assert await client.sweep_expired() == 0  # skipped, not fatal


async def test_metrics_backend_timeout_and_retries_reach_the_layer(store_url: str) -> None:
    metrics = MemoryMetrics()
    flaky = ChaosStorage(open_storage(store_url), failure_ratio=0.3, seed=4)
    client = AsyncObjectClient(flaky, metrics_backend=metrics, timeout_ms=1500, retries=9)
    assert client.layer.policy.max_attempts == 10
    assert client.layer.policy.attempt_timeout_seconds == 1.5
    session = client.session(Usecase("u"))
    keys = [await session.put(b"%d" % i) for i in range(20)]
    assert [(await session.get(k)).payload.read() for k in keys] == [b"%d" % i for i in range(20)]
    assert metrics.count("storage.put.latency_ms", client="object") == 20
    assert metrics.total("storage.put.retries") + metrics.total("storage.get_with_meta.retries") > 0
    await client.close()


async def test_the_header_is_ascii_even_for_unicode_metadata(client: AsyncObjectClient) -> None:
    session = client.session(Usecase("u"))
    key = await session.put(b"x", metadata={"author": "Zoë 日本"})
    _, meta = await client.layer.get_with_meta(session.storage_key(key))
    assert meta.metadata[HEADER_KEY].isascii()
    assert (await session.get(key)).metadata.custom == {"author": "Zoë 日本"}


# the sync client ------------------------------------------------------------------------


@pytest.fixture
def sync_client(store_url: str, now: FakeNow) -> Iterator[ObjectClient]:
    with sapwood.ObjectClient(store_url, now=now) as opened:
        yield opened


def test_sync_client_round_trip(sync_client: ObjectClient, now: FakeNow) -> None:
    usecase = sapwood.Usecase(
        "attachments", expiration_policy=sapwood.TimeToLive(timedelta(minutes=1))
    )
    session = sync_client.session(usecase, org=42, project=1337)
    key = session.put(b"Hello, world!", metadata={"a": "b"})
    result = session.get(key)
    assert result.payload.read() == b"Hello, world!"
    assert result.metadata.custom == {"a": "b"}
    now.advance(minutes=2)
    with pytest.raises(ObjectNotFoundError):
        session.get(key)
    assert sync_client.sweep_expired() == 1
    assert session.sweep_expired() == 0
    session.delete(key)


def test_sync_client_works_inside_a_running_event_loop(store_url: str) -> None:
    async def notebook_cell() -> bytes:
        client = ObjectClient(store_url)
        session = client.session(Usecase("u"))
        key = session.put(b"from inside a loop")
        data = session.get(key).payload.read()
        client.close()
        return data

    assert asyncio.run(notebook_cell()) == b"from inside a loop"


def test_sync_client_is_safe_from_many_threads(sync_client: ObjectClient) -> None:
    from concurrent.futures import ThreadPoolExecutor

    session = sync_client.session(Usecase("u"), org=1)

    def work(i: int) -> bytes:
        key = session.put(b"%d" % i, key=f"k{i}")
        return session.get(key).payload.read()

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(work, range(40))) == [b"%d" % i for i in range(40)]


def test_usecase_refuses_an_unknown_compression() -> None:
    with pytest.raises(ValueError, match="zstd"):
        Usecase("u", compression="gzip")  # type: ignore[arg-type]


def test_expiration_policies_need_positive_timedeltas() -> None:
    with pytest.raises(ValueError, match="positive"):
        TimeToLive(timedelta(0))
    with pytest.raises(TypeError, match="timedelta"):
        TimeToIdle(3600)  # type: ignore[arg-type]
