"""ChaosStorage itself: ratios, seeding, latency, where failures strike, and that the
layer survives a long mixed workload at 20% failures with every byte intact."""

from __future__ import annotations

import asyncio
import hashlib
import random
import time

import pytest

from sapwood.config import RepositoryConfig, RetriesConfig
from sapwood.errors import StorageError
from sapwood.layer import ChaosStorage, ObjectLayer
from sapwood.storage import ByteRange, ObjectMeta, Storage, Update


def test_ratios_and_operations_are_validated(memory: Storage) -> None:
    with pytest.raises(ValueError, match="failure_ratio"):
        ChaosStorage(memory, failure_ratio=1.5)
    with pytest.raises(ValueError, match="unknown operations"):
        ChaosStorage(memory, operations={"gett"})


async def test_the_same_seed_injects_the_same_failures(memory: Storage) -> None:
    async def run(seed: int) -> list[bool]:
        chaos = ChaosStorage(memory, failure_ratio=0.3, seed=seed)
        outcomes = []
        for i in range(50):
            try:
                await chaos.put(f"k{i}", b"x")
                outcomes.append(True)
            except StorageError as exc:
                outcomes.append(not exc.retryable)
        return outcomes

    first = await run(11)
    assert first == await run(11)
    assert first != await run(12)
    assert 5 <= first.count(False) <= 25


async def test_lost_responses_happen_after_the_write(memory: Storage) -> None:
    chaos = ChaosStorage(memory, failure_ratio=0.5, after_write_ratio=1.0, seed=8)
    seen: list[tuple[bool, bool]] = []
    for i in range(40):
        try:
            await chaos.put(f"k{i}", b"x")
        except StorageError as exc:
            landed = f"k{i}" in [
                e.key async for e in memory.list(f"k{i}") if isinstance(e, ObjectMeta)
            ]
            seen.append(("after" in str(exc), landed))
    assert all(said_after == landed for said_after, landed in seen)
    assert {landed for _, landed in seen} == {True, False}


async def test_conditional_writes_lose_responses_only_when_asked(memory: Storage) -> None:
    quiet = ChaosStorage(memory, failure_ratio=0.5, after_write_ratio=1.0, seed=5)
    quiet_messages = []
    for i in range(40):
        try:
            await quiet.put(f"c{i}", b"x", mode="create")
        except StorageError as exc:
            quiet_messages.append(str(exc))
    assert quiet_messages
    assert all("before" in m for m in quiet_messages)
    loud = ChaosStorage(
        memory, failure_ratio=0.5, after_conditional_write_ratio=1.0, seed=5, operations={"put"}
    )
    messages = []
    for i in range(40):
        try:
            await loud.put(f"d{i}", b"x", mode="create")
        except StorageError as exc:
            messages.append(str(exc))
    assert any("after" in m for m in messages)


async def test_latency_is_injected(memory: Storage) -> None:
    chaos = ChaosStorage(memory, failure_ratio=0.0, latency_ratio=1.0, latency_seconds=(0.02, 0.02))
    await chaos.put("k", b"x")
    started = time.perf_counter()
    await chaos.get("k")
    assert time.perf_counter() - started >= 0.015


async def test_disabled_chaos_passes_everything_through(memory: Storage) -> None:
    chaos = ChaosStorage(memory, failure_ratio=1.0)
    chaos.enabled = False
    await chaos.put("k", b"x")
    assert await chaos.get("k") == b"x"
    assert chaos.calls == {"put": 1, "get": 1}


async def test_a_mixed_workload_at_20_percent_failures_loses_and_corrupts_nothing(
    memory: Storage,
) -> None:
    chaos = ChaosStorage(memory, failure_ratio=0.2, after_conditional_write_ratio=0.0, seed=99)
    config = RepositoryConfig(retries=RetriesConfig(max_attempts=12, initial_backoff_ms=0))
    layer = ObjectLayer(chaos, config)
    rng = random.Random(4)
    blobs = {
        f"blobs/{i:03d}": rng.randbytes(rng.randrange(0, 5000)) + b"abc" * 500 for i in range(60)
    }

    async def write(key: str, data: bytes) -> None:
        await layer.put(key, data, immutable=True)

    await asyncio.gather(*(write(k, v) for k, v in blobs.items()))
    fresh = ObjectLayer(chaos, config)  # nothing cached: every byte comes back from storage
    for key, data in blobs.items():
        got = await fresh.get(key, immutable=True)
        assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest(), key
        assert await fresh.get(key, ByteRange(7, 300)) == data[7:300]
    listed = [e async for e in fresh.list("blobs/")]
    assert len(listed) == len(blobs)

    async def bump() -> None:
        for _ in range(10):
            while True:
                raw, meta = await layer.get_with_meta("counter")
                assert meta.etag is not None
                try:
                    await layer.put("counter", b"%d" % (int(raw) + 1), mode=Update(meta.etag))
                    break
                except StorageError as exc:
                    if exc.retryable:
                        raise

    await layer.put("counter", b"0")
    await asyncio.gather(*(bump() for _ in range(4)))
    assert await layer.get("counter") == b"40"
    await fresh.delete_many(list(blobs))
    assert [e async for e in fresh.list("blobs/")] == []
    assert sum(chaos.injected.values()) > 50
