"""The attempt-timeout wrapper's shared watchdog: hung requests time out, finished ones
are never cancelled afterwards."""

from __future__ import annotations

import asyncio

import pytest

from sapwood.errors import StorageError
from sapwood.layer.timeouts import TimedStorage
from sapwood.storage import ByteRange, ForwardingStorage, Storage


class HangingStorage(ForwardingStorage):
    """Reads of ``hang/...`` keys never finish."""

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        if key.startswith("hang/"):
            await asyncio.Event().wait()
        return await super().get(key, byte_range)


async def test_concurrent_hung_requests_each_time_out(memory: Storage) -> None:
    timed = TimedStorage(HangingStorage(memory), 0.05)
    results = await asyncio.gather(
        *(timed.get(f"hang/{i}") for i in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, StorageError) and r.retryable for r in results)
    assert "timed out after 50 ms" in str(results[0])


async def test_a_request_finished_in_time_is_not_cancelled_later(memory: Storage) -> None:
    await memory.put("k", b"v")
    timed = TimedStorage(HangingStorage(memory), 0.02)
    assert await timed.get("k") == b"v"
    await asyncio.sleep(0.05)  # past the deadline the finished request had
    current = asyncio.current_task()
    assert current is not None
    assert current.cancelling() == 0


async def test_a_fast_request_beside_a_hung_one_succeeds(memory: Storage) -> None:
    await memory.put("k", b"v")
    timed = TimedStorage(HangingStorage(memory), 0.05)
    hung = asyncio.ensure_future(timed.get("hang/x"))
    assert await timed.get("k") == b"v"
    with pytest.raises(StorageError, match="timed out"):
        await hung


async def test_an_outside_cancellation_stays_a_cancellation(memory: Storage) -> None:
    timed = TimedStorage(HangingStorage(memory), 10.0)
    hung = asyncio.ensure_future(timed.get("hang/x"))
    await asyncio.sleep(0.01)
    hung.cancel()
    with pytest.raises(asyncio.CancelledError):
        await hung
