"""The ``concurrency`` limiter: caps requests in flight, and refuses every rate."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sapwood.config import LimitsConfig, RepositoryConfig
from sapwood.errors import ConfigError
from sapwood.extensions import Clock, TransferKind

__all__ = ["ByteCountingSlot", "ConcurrencyLimiter"]

RATES = (
    "requests_per_second",
    "read_bytes_per_second",
    "write_bytes_per_second",
    "total_bytes_per_second",
)
"""The LimitsConfig rates this limiter does not enforce, so refuses."""


class ByteCountingSlot:
    """A granted slot; it counts the bytes moved instead of pacing them."""

    def __init__(self, limiter: ConcurrencyLimiter) -> None:
        self.limiter = limiter

    async def charge(self, size_bytes: int) -> None:
        self.limiter.bytes_moved += size_bytes


class ConcurrencyLimiter:
    """Bounds requests in flight (``max_concurrent_requests``; 0 means unlimited).

    It never waits on a clock, so it ignores the one it is given.
    """

    def __init__(self, config: LimitsConfig, clock: Clock | None = None) -> None:
        defaults = RepositoryConfig.default().limits
        resolved = defaults.merge(config) if defaults is not None else config  # fields left unset
        refused = [name for name in RATES if getattr(resolved, name)]
        if refused:
            raise ConfigError(
                f"the concurrency limiter caps requests in flight and enforces no rates, so "
                f"it refuses {', '.join(refused)}; set {'it' if len(refused) == 1 else 'them'} "
                'to 0, or use limiter="token-bucket"'
            )
        limit = resolved.max_concurrent_requests or 0
        self.semaphore = asyncio.Semaphore(limit) if limit else None
        self.bytes_moved = 0

    @contextlib.asynccontextmanager
    async def slot(
        self, kind: TransferKind, size_bytes: int | None = None
    ) -> AsyncIterator[ByteCountingSlot]:
        async with self.semaphore or contextlib.nullcontext():
            slot = ByteCountingSlot(self)
            if size_bytes:
                await slot.charge(size_bytes)  # known up front: a write
            yield slot
