"""Flow control: a concurrency cap, and token buckets for requests and bytes per second.

The built-in ``token-bucket`` limiter (registered through ``sapwood_register_limiters``)
combines a semaphore (``max_concurrent_requests``) with one bucket per configured rate
(``requests_per_second``, ``read_bytes_per_second``, ``write_bytes_per_second``,
``total_bytes_per_second``; ``0`` means unlimited).

Tokens are consumed, never returned: a request that fails or is cancelled still counts.
Buckets may go into debt, so an object larger than a bucket's burst still passes, and the
requests after it wait until the debt is paid; this keeps the long-run rate exact. Bytes
are charged before a request when its size is known (writes) and after it otherwise
(reads), through :meth:`LimiterSlot.charge`.
"""

from __future__ import annotations

import asyncio
from types import TracebackType

from sapwood.config import LimitsConfig, RepositoryConfig
from sapwood.extensions import Clock, TransferKind
from sapwood.layer.clock import SYSTEM_CLOCK

__all__ = ["TokenBucket", "TokenBucketLimiter", "build_token_bucket_limiter"]


class TokenBucket:
    """``rate`` tokens per second, up to ``capacity`` saved; reservations may go into debt."""

    def __init__(self, rate: float, clock: Clock, capacity: float | None = None) -> None:
        if rate <= 0:
            raise ValueError(f"a token bucket needs a positive rate, got {rate}")
        self.rate = float(rate)
        self.capacity = float(capacity) if capacity is not None else self.rate
        self.clock = clock
        self._tokens = self.capacity
        self._stamp = clock.monotonic()

    @property
    def tokens(self) -> float:
        """Tokens available now (negative while in debt)."""
        self._refill()
        return self._tokens

    def _refill(self) -> None:
        now = self.clock.monotonic()
        elapsed = max(0.0, now - self._stamp)
        self._stamp = max(self._stamp, now)
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)

    def reserve(self, amount: float) -> float:
        """Take ``amount`` tokens now; the seconds to wait before using them."""
        self._refill()
        self._tokens -= amount
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


class _Slot:
    """One granted request; :meth:`charge` pays for bytes learned after the call."""

    __slots__ = ("_kind", "_limiter")

    def __init__(self, limiter: TokenBucketLimiter, kind: TransferKind) -> None:
        self._limiter = limiter
        self._kind = kind

    async def charge(self, size_bytes: int) -> None:
        """Pay for ``size_bytes`` moved by this request (may wait)."""
        await self._limiter.pay_bytes(self._kind, size_bytes)


class _SlotContext:
    __slots__ = ("_kind", "_limiter", "_size", "_slot")

    def __init__(self, limiter: TokenBucketLimiter, kind: TransferKind, size: int | None) -> None:
        self._limiter = limiter
        self._kind = kind
        self._size = size
        self._slot = _Slot(limiter, kind)

    async def __aenter__(self) -> _Slot:
        limiter = self._limiter
        if limiter.semaphore is not None:
            await limiter.semaphore.acquire()
        try:
            if limiter.requests is not None:
                wait = limiter.requests.reserve(1)
                if wait > 0:
                    await limiter.clock.sleep(wait)
            if self._size:
                await limiter.pay_bytes(self._kind, self._size)
        except BaseException:
            if limiter.semaphore is not None:
                limiter.semaphore.release()
            raise
        return self._slot

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._limiter.semaphore is not None:
            self._limiter.semaphore.release()


class TokenBucketLimiter:
    """The built-in limiter: a semaphore plus token buckets, each only if configured."""

    def __init__(self, config: LimitsConfig, clock: Clock | None = None) -> None:
        defaults = RepositoryConfig.default().limits
        assert defaults is not None
        resolved = defaults.merge(config)
        self.config = resolved
        self.clock: Clock = clock or SYSTEM_CLOCK
        burst = resolved.burst_seconds or 0.0
        self.semaphore = (
            asyncio.Semaphore(resolved.max_concurrent_requests)
            if resolved.max_concurrent_requests
            else None
        )
        self.requests = self._bucket(resolved.requests_per_second, burst, minimum=1.0)
        self.read = self._bucket(resolved.read_bytes_per_second, burst)
        self.write = self._bucket(resolved.write_bytes_per_second, burst)
        self.total = self._bucket(resolved.total_bytes_per_second, burst)
        # A slot without a known size keeps no state of its own, so one per kind serves
        # every such request without an allocation.
        self._sizeless: dict[str, _SlotContext] = {
            kind: _SlotContext(self, kind, None) for kind in ("read", "write", "other")
        }

    def _bucket(self, rate: float | None, burst: float, minimum: float = 1.0) -> TokenBucket | None:
        if not rate:
            return None
        return TokenBucket(rate, self.clock, capacity=max(minimum, rate * burst))

    def slot(self, kind: TransferKind, size_bytes: int | None = None) -> _SlotContext:
        """Wait for a request slot (and for ``size_bytes`` if known); release on exit."""
        if size_bytes is None:
            return self._sizeless[kind]
        return _SlotContext(self, kind, size_bytes)

    async def pay_bytes(self, kind: TransferKind, size_bytes: int) -> None:
        """Take ``size_bytes`` from the bucket of ``kind`` and the total bucket; wait for both."""
        if size_bytes <= 0:
            return
        wait = 0.0
        kind_bucket = self.read if kind == "read" else self.write if kind == "write" else None
        if kind_bucket is not None:
            wait = kind_bucket.reserve(size_bytes)
        if self.total is not None and kind != "other":
            wait = max(wait, self.total.reserve(size_bytes))
        if wait > 0:
            await self.clock.sleep(wait)


def build_token_bucket_limiter(config: LimitsConfig, clock: Clock | None) -> TokenBucketLimiter:
    """The ``token-bucket`` limiter plugin's factory."""
    return TokenBucketLimiter(config, clock)
