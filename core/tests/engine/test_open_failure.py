"""When opening fails, nothing it started keeps running against the store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from sapwood.aio import AsyncRepository
from sapwood.engine.keys import CONFIG_KEY
from sapwood.engine.tasks import gather_or_cancel
from sapwood.errors import IntegrityError
from sapwood.storage import ForwardingStorage, ListEntry
from sapwood_memory.storage import MemoryStorage


class StuckListing(ForwardingStorage):
    """Listings never finish (until cancelled); counts those still running."""

    def __init__(self, inner: MemoryStorage) -> None:
        super().__init__(inner)
        self.running = 0

    def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        return self._stuck()

    async def _stuck(self) -> AsyncIterator[ListEntry]:
        self.running += 1
        try:
            await asyncio.Event().wait()
            yield  # pragma: no cover - never reached
        finally:
            self.running -= 1


async def test_a_failed_open_leaves_no_request_running(memory_name: str) -> None:
    await (await AsyncRepository.create(f"memory://{memory_name}")).close()
    inner = MemoryStorage(memory_name)
    await inner.put(CONFIG_KEY, b"{damaged")
    store = StuckListing(inner)
    with pytest.raises(IntegrityError, match="config"):
        await AsyncRepository.open(store)
    assert store.running == 0


async def test_gather_or_cancel_cancels_the_sibling_of_a_failure() -> None:
    finished: list[str] = []

    async def fail() -> None:
        raise ValueError("boom")

    async def slow() -> None:
        await asyncio.Event().wait()
        finished.append("slow")

    with pytest.raises(ValueError, match="boom"):
        await gather_or_cancel(fail(), slow())
    assert finished == []
    assert await gather_or_cancel(asyncio.sleep(0, "a"), asyncio.sleep(0, 1)) == ("a", 1)
