"""Fixtures for the engine's tests: fresh repositories on the real memory backend, and
stores wrapped to mask capabilities, watch requests in flight or fail at a chosen write."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field

import pytest

from sapwood.aio import AsyncRepository
from sapwood.config import ChunkingConfig, RepositoryConfig
from sapwood.errors import StorageError
from sapwood.storage import (
    ByteRange,
    Capabilities,
    ForwardingStorage,
    ListEntry,
    ObjectMeta,
    PutMode,
    Storage,
)
from sapwood_memory.storage import MemoryStorage, drop_bucket


class WrappedStore(ForwardingStorage):
    """Forwards every call to ``inner``, claiming ``capabilities`` instead of its own if
    given; subclasses watch or change what passes."""

    def __init__(self, inner: Storage, capabilities: Capabilities | None = None) -> None:
        super().__init__(inner)
        if capabilities is not None:
            self.capabilities = capabilities


class MaskedStore(WrappedStore):
    """A store that claims fewer capabilities and refuses any write mode it lacks, so a
    test fails loudly if the engine uses one anyway."""

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        if mode == "create" and not self.capabilities.conditional_create:
            raise StorageError(f"conditional create used on a store without it ({key})")
        if mode not in ("create", "overwrite") and not self.capabilities.conditional_update:
            raise StorageError(f"conditional update used on a store without it ({key})")
        return await super().put(key, data, mode=mode, content_type=content_type, metadata=metadata)


@dataclass
class InFlight:
    """What an :class:`InstrumentedStore` saw: each operation and the largest number of
    operations in flight at once, with the set of them at that moment."""

    log: list[str] = field(default_factory=list)
    current: set[str] = field(default_factory=set)
    together: list[frozenset[str]] = field(default_factory=list)


class InstrumentedStore(WrappedStore):
    """Records which requests are in flight together (each waits a little so overlapping
    requests really overlap)."""

    def __init__(self, inner: Storage, delay: float = 0.02) -> None:
        super().__init__(inner)
        self.seen = InFlight()
        self.delay = delay

    async def _watch(self, name: str) -> None:
        self.seen.log.append(name)
        self.seen.current.add(name)
        self.seen.together.append(frozenset(self.seen.current))
        await asyncio.sleep(self.delay)
        self.seen.current.discard(name)

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        await self._watch(f"get {key}")
        return await super().get(key, byte_range)

    async def get_with_meta(
        self, key: str, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        await self._watch(f"get {key}")
        return await super().get_with_meta(key, byte_range)

    def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        return self._list(prefix, delimiter, start_after)

    async def _list(
        self, prefix: str, delimiter: str | None, start_after: str | None
    ) -> AsyncIterator[ListEntry]:
        await self._watch(f"list {prefix}")
        async for item in self.inner.list(prefix, delimiter, start_after):
            yield item


class Crash(BaseException):
    """Stands for the process dying: nothing in sapwood catches a BaseException."""


class FailingStore(WrappedStore):
    """Raises :class:`Crash` instead of performing write number ``fail_at`` (counting
    puts and deletes from 1); ``fail_at=None`` never fails. ``writes`` lists the keys."""

    def __init__(self, inner: Storage, fail_at: int | None = None) -> None:
        super().__init__(inner)
        self.fail_at = fail_at
        self.writes: list[str] = []

    def _count(self, key: str) -> None:
        self.writes.append(key)
        if self.fail_at is not None and len(self.writes) == self.fail_at:
            raise Crash(f"crash before writing {key}")

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        self._count(key)
        return await super().put(key, data, mode=mode, content_type=content_type, metadata=metadata)

    async def delete(self, key: str) -> None:
        self._count(key)
        await super().delete(key)


@pytest.fixture
def memory_name() -> Iterator[str]:
    """A fresh memory store name, dropped after the test."""
    name = f"engine-{uuid.uuid4().hex[:12]}"
    yield name
    drop_bucket(name)


@pytest.fixture
def memory_store(memory_name: str) -> MemoryStorage:
    """A fresh memory store."""
    return MemoryStorage(memory_name)


@pytest.fixture
async def repo(memory_name: str) -> AsyncIterator[AsyncRepository]:
    """A new repository in memory; ``main`` holds only the creation commit."""
    repository = await AsyncRepository.create(f"memory://{memory_name}")
    yield repository
    await repository.close()


def small_ranges(entries: int = 16) -> RepositoryConfig:
    """A config with tiny manifest ranges, so small trees have many ranges."""
    return RepositoryConfig(chunking=ChunkingConfig(manifest_range_entries=entries))


@pytest.fixture
def small_config() -> Callable[[int], RepositoryConfig]:
    """Builds configs with tiny manifest ranges."""
    return small_ranges


@pytest.fixture
def wrappers() -> dict[str, type[WrappedStore]]:
    """The store wrappers by name."""
    return {
        "masked": MaskedStore,
        "instrumented": InstrumentedStore,
        "failing": FailingStore,
    }


@pytest.fixture
def crash_type() -> type[BaseException]:
    """The exception a FailingStore raises."""
    return Crash
