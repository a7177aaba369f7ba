"""The ObjectLayer as a whole, over a real memory store."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from sapwood.config import (
    CachingConfig,
    LimitsConfig,
    RepositoryConfig,
    RetriesConfig,
    TimeoutsConfig,
)
from sapwood.errors import (
    AlreadyExistsError,
    ConfigError,
    NotFoundError,
    PreconditionFailedError,
    StorageError,
)
from sapwood.layer import (
    ChaosStorage,
    LayerStorage,
    LruCache,
    MemoryMetrics,
    ObjectLayer,
    ReservedMetadataError,
)
from sapwood.layer.compression import DECODED_SIZE_KEY, ENCODING_KEY, WRITE_ID_KEY, ZSTD_MAGIC
from sapwood.storage import (
    BaseStorage,
    ByteRange,
    CommonPrefix,
    ForwardingStorage,
    ObjectMeta,
    PutMode,
    Storage,
    Update,
    reads_meta_in_one_request,
)
from sapwood.testing import FakeClock

TEXT = b"a line of very compressible text\n" * 4000
FAST_RETRIES = RetriesConfig(max_attempts=12, initial_backoff_ms=0, max_backoff_ms=1)


class PlainStorage(ForwardingStorage):
    """Delegates to a real store but keeps BaseStorage's head/get/head get_with_meta, as a
    third-party backend without a one-request get_with_meta would."""

    get_with_meta = BaseStorage.get_with_meta

    @property
    def get_with_meta_is_native(self) -> bool:
        """Never: reads go head/get/head."""
        return False


class LosesFirstResponse(ChaosStorage):
    """Performs every put, but reports the first one of each key as failed (retryably)."""

    def __init__(self, inner: Storage) -> None:
        super().__init__(inner, failure_ratio=0.0)
        self.lost: set[str] = set()

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        meta = await super().put(key, data, mode=mode, content_type=content_type, metadata=metadata)
        if key not in self.lost:
            self.lost.add(key)
            raise StorageError("response lost", retryable=True, key=key)
        return meta


# round trips and compression -------------------------------------------------------


async def test_round_trip_with_content_type_and_metadata(memory: Storage) -> None:
    layer = ObjectLayer(memory)
    meta = await layer.put("k", b"hello", content_type="text/plain", metadata={"who": "me"})
    assert meta.size == 5
    assert await layer.get("k") == b"hello"
    head = await layer.head("k")
    assert head.content_type == "text/plain"
    assert head.metadata == {"who": "me"}


async def test_immutable_writes_are_compressed_in_storage_and_read_back_whole(
    memory: Storage,
) -> None:
    layer = ObjectLayer(memory)
    meta = await layer.put("blob", TEXT, immutable=True, metadata={"kind": "chunk"})
    stored, stored_meta = await memory.get_with_meta("blob")
    assert stored.startswith(ZSTD_MAGIC)
    assert len(stored) < len(TEXT) / 10
    assert stored_meta.metadata[ENCODING_KEY] == "zstd"
    assert stored_meta.metadata[DECODED_SIZE_KEY] == str(len(TEXT))
    assert meta.size == len(TEXT)
    assert meta.metadata == {"kind": "chunk"}
    fresh = ObjectLayer(memory)  # no cache, no hints: decoding comes from the metadata
    assert await fresh.get("blob", immutable=True) == TEXT
    assert await fresh.get("blob") == TEXT
    head = await fresh.head("blob")
    assert head.size == len(TEXT)
    assert head.metadata == {"kind": "chunk"}
    data, meta2 = await fresh.get_with_meta("blob")
    assert data == TEXT
    assert meta2.metadata == {"kind": "chunk"}


async def test_mutable_writes_are_not_compressed_unless_asked(memory: Storage) -> None:
    layer = ObjectLayer(memory)
    await layer.put("ref", TEXT)
    assert await memory.get("ref") == TEXT
    await layer.put("forced", TEXT, compress=True)
    assert (await memory.get("forced")).startswith(ZSTD_MAGIC)
    await layer.put("blob", TEXT, immutable=True, compress=False)
    assert await memory.get("blob") == TEXT
    assert await layer.get("forced") == TEXT


@pytest.mark.parametrize(
    "byte_range",
    [ByteRange(10, 5000), ByteRange(100_000), ByteRange.suffix(77), ByteRange(0, 0)],
)
@pytest.mark.parametrize("immutable", [True, False])
async def test_ranges_of_compressed_objects_return_the_right_bytes(
    memory: Storage, byte_range: ByteRange, immutable: bool
) -> None:
    await ObjectLayer(memory).put("blob", TEXT, immutable=True)
    layer = ObjectLayer(memory)
    start = byte_range.start if byte_range.last is None else len(TEXT) - byte_range.last
    stop = len(TEXT) if byte_range.end is None else byte_range.end
    assert await layer.get("blob", byte_range, immutable=immutable) == TEXT[start:stop]
    data, _ = await layer.get_with_meta("blob", byte_range=byte_range)
    assert data == TEXT[start:stop]
    # Again, now that the encoding (and for immutable reads, the object) is known.
    assert await layer.get("blob", byte_range, immutable=immutable) == TEXT[start:stop]


async def test_reserved_metadata_keys_are_refused(memory: Storage) -> None:
    with pytest.raises(ReservedMetadataError):
        await ObjectLayer(memory).put("k", b"x", metadata={WRITE_ID_KEY: "mine"})


async def test_a_backend_without_native_get_with_meta_reads_compressed_objects(
    counted: ChaosStorage,
) -> None:
    plain = PlainStorage(counted)
    assert not reads_meta_in_one_request(plain)
    assert reads_meta_in_one_request(counted)
    assert not reads_meta_in_one_request(ChaosStorage(plain))
    assert not reads_meta_in_one_request(LayerStorage(ObjectLayer(plain)))
    assert reads_meta_in_one_request(LayerStorage(ObjectLayer(counted)))
    layer = ObjectLayer(plain, RepositoryConfig(caching=CachingConfig(max_bytes=0)))
    await layer.put("raw", b"plain bytes", immutable=True)
    await layer.put("zipped", TEXT, immutable=True)
    counted.calls.clear()
    assert await layer.get("raw", immutable=True) == b"plain bytes"
    assert counted.calls == {"get": 1}, "an uncompressed whole read is one plain get"
    assert await layer.get("zipped", immutable=True) == TEXT
    assert await layer.get("zipped", ByteRange(5, 50), immutable=True) == TEXT[5:50]
    fresh = ObjectLayer(plain)
    assert await fresh.get("raw", ByteRange(1, 4), immutable=True) == b"lai"
    assert await fresh.get("zipped", ByteRange(1, 4), immutable=True) == TEXT[1:4]


# cache -------------------------------------------------------------------------------


async def test_immutable_reads_are_cached_and_mutable_ones_are_not(counted: ChaosStorage) -> None:
    layer = ObjectLayer(counted)
    await counted.put("blob", b"content")
    await counted.put("ref", b"pointer")
    counted.calls.clear()
    for _ in range(3):
        assert await layer.get("blob", immutable=True) == b"content"
        assert await layer.get("blob", ByteRange(1, 3), immutable=True) == b"on"
        assert await layer.get("ref") == b"pointer"
    assert counted.calls["get_with_meta"] == 1 + 3
    stats = layer.cache.stats()
    assert stats.hits == 5
    assert stats.misses == 1


async def test_objects_above_max_object_bytes_are_not_cached(counted: ChaosStorage) -> None:
    layer = ObjectLayer(counted, RepositoryConfig(caching=CachingConfig(max_object_bytes=10)))
    await layer.put("big", b"x" * 11, immutable=True)
    await layer.get("big", immutable=True)
    await layer.get("big", immutable=True)
    assert counted.calls["get_with_meta"] == 2


async def test_delete_drops_the_cached_copy(memory: Storage) -> None:
    layer = ObjectLayer(memory)
    await layer.put("blob", b"v", immutable=True)
    await layer.delete("blob")
    with pytest.raises(NotFoundError):
        await layer.get("blob", immutable=True)
    await layer.put("b2", b"v", immutable=True)
    await layer.delete_many(["b2"])
    with pytest.raises(NotFoundError):
        await layer.get("b2", immutable=True)


async def test_refs_are_cached_for_their_ttl_and_forgotten_on_write(counted: ChaosStorage) -> None:
    clock = FakeClock()
    config = RepositoryConfig(caching=CachingConfig(ref_ttl_seconds=5))
    layer = ObjectLayer(counted, config, clock=clock)
    await layer.put("ref", b"one")
    counted.calls.clear()
    assert await layer.get("ref") == b"one"
    assert await layer.get("ref") == b"one"
    assert counted.calls["get_with_meta"] == 1
    await layer.put("ref", b"two")
    assert await layer.get("ref") == b"two"
    clock.advance(5.1)
    await counted.inner.put("ref", b"three")  # written by someone else
    assert await layer.get("ref") == b"three"
    assert counted.calls["get_with_meta"] == 3


async def test_refs_are_not_cached_by_default(counted: ChaosStorage) -> None:
    layer = ObjectLayer(counted)
    await layer.put("ref", b"one")
    await layer.get("ref")
    await counted.inner.put("ref", b"two")
    assert await layer.get("ref") == b"two"


# single-flight -----------------------------------------------------------------------


async def test_64_concurrent_identical_reads_make_one_backend_call(counted: ChaosStorage) -> None:
    # Requests must really be in flight together to be shared (a memory read that never
    # waits finishes before the next caller starts), so every request waits a little.
    counted.latency_ratio = 1.0
    counted.latency_seconds = (0.001, 0.001)
    metrics = MemoryMetrics()
    layer = ObjectLayer(counted, metrics=metrics)
    await counted.put("ref", b"shared")
    counted.calls.clear()
    results = await asyncio.gather(*(layer.get("ref") for _ in range(64)))
    assert results == [b"shared"] * 64
    assert counted.calls == {"get_with_meta": 1}
    assert metrics.count("singleflight.shared") == 63
    heads = await asyncio.gather(*(layer.head("ref") for _ in range(8)))
    assert {h.etag for h in heads} == {heads[0].etag}
    assert counted.calls["head"] == 1


async def test_a_reader_after_a_write_never_joins_an_older_read(memory: Storage) -> None:
    gate = asyncio.Event()

    class Slow(ChaosStorage):
        async def get_with_meta(
            self, key: str, byte_range: ByteRange | None = None
        ) -> tuple[bytes, ObjectMeta]:
            result = await super().get_with_meta(key, byte_range)
            await gate.wait()
            return result

    layer = ObjectLayer(Slow(memory, failure_ratio=0.0))
    await layer.put("ref", b"old")
    early = asyncio.create_task(layer.get("ref"))
    await asyncio.sleep(0.01)
    await layer.put("ref", b"new")
    late = asyncio.create_task(layer.get("ref"))
    await asyncio.sleep(0)
    gate.set()
    assert await early == b"old"
    assert await late == b"new"


# retries, timeouts, ambiguous writes ---------------------------------------------------


async def test_retryable_failures_are_retried_and_counted(memory: Storage) -> None:
    chaos = ChaosStorage(memory, failure_ratio=0.5, seed=3)
    metrics = MemoryMetrics()
    layer = ObjectLayer(chaos, RepositoryConfig(retries=FAST_RETRIES), metrics=metrics)
    for i in range(30):
        await layer.put(f"k{i}", b"%d" % i)
    assert [await layer.get(f"k{i}") for i in range(30)] == [b"%d" % i for i in range(30)]
    assert sum(chaos.injected.values()) > 10
    assert metrics.total("storage.put.retries") + metrics.total("storage.get.retries") == sum(
        chaos.injected.values()
    )


async def test_attempts_run_out_with_the_last_error(memory: Storage) -> None:
    chaos = ChaosStorage(memory, failure_ratio=1.0)
    layer = ObjectLayer(
        chaos, RepositoryConfig(retries=RetriesConfig(max_attempts=3, initial_backoff_ms=0))
    )
    with pytest.raises(StorageError, match="injected failure") as caught:
        await layer.get("k")
    assert caught.value.retryable
    assert chaos.injected["get_with_meta"] == 3


async def test_not_found_is_not_retried(counted: ChaosStorage) -> None:
    layer = ObjectLayer(counted)
    with pytest.raises(NotFoundError):
        await layer.get("missing")
    assert counted.calls["get_with_meta"] == 1


async def test_a_hung_attempt_times_out_and_is_retried(memory: Storage) -> None:
    slow = ChaosStorage(memory, failure_ratio=0.0, latency_ratio=1.0, latency_seconds=(5.0, 5.0))
    config = RepositoryConfig(
        retries=RetriesConfig(max_attempts=2, initial_backoff_ms=0),
        timeouts=TimeoutsConfig(attempt_timeout_ms=20),
    )
    layer = ObjectLayer(slow, config)
    with pytest.raises(StorageError, match="timed out after 20 ms") as caught:
        await layer.get("k")
    assert any("gave up after 2 attempts" in note for note in caught.value.__notes__)


async def test_a_create_whose_response_was_lost_still_succeeds(memory: Storage) -> None:
    layer = ObjectLayer(LosesFirstResponse(memory), RepositoryConfig(retries=FAST_RETRIES))
    meta = await layer.put("tag", b"snapshot-1", mode="create")
    assert meta.size == len(b"snapshot-1")
    assert await memory.get("tag") == b"snapshot-1"
    with pytest.raises(AlreadyExistsError):
        await layer.put("tag", b"snapshot-1", mode="create")


async def test_an_update_whose_response_was_lost_still_succeeds(memory: Storage) -> None:
    layer = ObjectLayer(LosesFirstResponse(memory), RepositoryConfig(retries=FAST_RETRIES))
    base = await memory.put("branch", b"v1")
    assert base.etag is not None
    meta = await layer.put("branch", b"v2", mode=Update(base.etag))
    assert meta.etag == (await memory.head("branch")).etag
    assert meta.metadata == {}, "the write id stays inside the layer"


async def test_identical_content_from_another_writer_is_not_taken_for_ours(
    memory: Storage,
) -> None:
    class OtherWriterWins(ChaosStorage):
        """The first attempt fails before reaching the store; meanwhile another writer
        stores the very same bytes."""

        async def put(
            self,
            key: str,
            data: bytes,
            *,
            mode: PutMode = "overwrite",
            content_type: str | None = None,
            metadata: Mapping[str, str] | None = None,
        ) -> ObjectMeta:
            if not self.injected:
                self.injected["put"] += 1
                await self.inner.put(key, data, mode="overwrite")
                raise StorageError("refused", retryable=True, key=key)
            return await super().put(
                key, data, mode=mode, content_type=content_type, metadata=metadata
            )

    layer = ObjectLayer(
        OtherWriterWins(memory, failure_ratio=0.0), RepositoryConfig(retries=FAST_RETRIES)
    )
    with pytest.raises(AlreadyExistsError):
        await layer.put("tag", b"same", mode="create")


async def test_list_resumes_after_failures_between_pages(memory: Storage) -> None:
    keys = [f"dir{i % 3}/k{i:03d}" for i in range(250)] + [f"top{i:02d}" for i in range(40)]
    await asyncio.gather(*(memory.put(k, b"") for k in keys))
    chaos = ChaosStorage(memory, failure_ratio=0.3, list_page_size=7, operations={"list"}, seed=1)
    layer = ObjectLayer(chaos, RepositoryConfig(retries=FAST_RETRIES))
    listed = [e.key async for e in layer.list() if isinstance(e, ObjectMeta)]
    assert listed == sorted(keys)
    grouped = [e async for e in layer.list(delimiter="/")]
    assert [e.path for e in grouped if isinstance(e, CommonPrefix)] == ["dir0/", "dir1/", "dir2/"]
    assert [e.key for e in grouped if isinstance(e, ObjectMeta)] == sorted(keys)[250:]
    after = [
        e.key
        async for e in layer.list("dir1/", start_after="dir1/k100")
        if isinstance(e, ObjectMeta)
    ]
    assert after == sorted(k for k in keys if k.startswith("dir1/") and k > "dir1/k100")
    assert chaos.injected["list"] > 3


async def test_a_batch_delete_interrupted_midway_is_completed(counted: ChaosStorage) -> None:
    await asyncio.gather(*(counted.put(f"k{i}", b"x") for i in range(20)))
    chaos = ChaosStorage(counted, failure_ratio=0.5, after_write_ratio=1.0, seed=3)
    layer = ObjectLayer(chaos, RepositoryConfig(retries=FAST_RETRIES))
    await layer.delete_many([f"k{i}" for i in range(20)])
    assert [e async for e in counted.list()] == []
    assert counted.calls["delete_many"] >= 2, "a batch was cut short and sent again"


# limits --------------------------------------------------------------------------------


async def test_requests_per_second_limit_applies_to_every_request(memory: Storage) -> None:
    clock = FakeClock()
    config = RepositoryConfig(limits=LimitsConfig(requests_per_second=10, burst_seconds=0))
    layer = ObjectLayer(memory, config, clock=clock)
    await layer.put("k", b"v")
    for _ in range(20):
        await layer.get("k")
    assert clock.now == pytest.approx(2.0, abs=0.01)


async def test_write_bytes_are_charged_as_stored(memory: Storage) -> None:
    clock = FakeClock()
    config = RepositoryConfig(limits=LimitsConfig(write_bytes_per_second=1000, burst_seconds=0))
    layer = ObjectLayer(memory, config, clock=clock)
    await layer.put("raw", b"x" * 2000)
    assert clock.now == pytest.approx(2.0, abs=0.01)
    await layer.put("zipped", TEXT, immutable=True)  # stored compressed: far fewer bytes
    assert clock.now < 2.0 + len(TEXT) / 1000 / 10


async def test_read_bytes_are_charged_after_the_read(memory: Storage) -> None:
    clock = FakeClock()
    config = RepositoryConfig(limits=LimitsConfig(read_bytes_per_second=1000, burst_seconds=0))
    layer = ObjectLayer(memory, config, clock=clock)
    await layer.put("k", b"x" * 3000)
    await layer.get("k")
    assert clock.now == pytest.approx(3.0, abs=0.01)


async def test_layer_builds_only_the_builtins_and_never_looks_up_plugins(memory: Storage) -> None:
    layer = ObjectLayer(memory, RepositoryConfig(caching=CachingConfig(cache="none")))
    assert type(layer.cache).__name__ == "NoCache"
    assert type(ObjectLayer(memory).cache).__name__ == "LruCache"
    with pytest.raises(ConfigError, match="pass the instance as ObjectLayer"):
        ObjectLayer(memory, RepositoryConfig(caching=CachingConfig(cache="some-plugin")))
    with pytest.raises(ConfigError, match=r"limiter=\.\.\."):
        ObjectLayer(memory, RepositoryConfig(limits=LimitsConfig(limiter="some-plugin")))
    mine = LruCache(1024)
    assert ObjectLayer(memory, cache=mine).cache is mine


async def test_a_precondition_failure_without_retries_is_reported_as_is(memory: Storage) -> None:
    layer = ObjectLayer(memory)
    await layer.put("k", b"1")
    with pytest.raises(PreconditionFailedError):
        await layer.put("k", b"2", mode=Update("not-the-etag"))
