"""The built-in token-bucket limiter: conformance, plus its own details."""

from __future__ import annotations

import asyncio

import pytest

from sapwood.config import LimitsConfig
from sapwood.extensions import LimiterType
from sapwood.layer.limits import TokenBucket, TokenBucketLimiter
from sapwood.registry import registry
from sapwood.testing import FakeClock, LimiterConformance


class TestTokenBucketLimiterConformance(LimiterConformance):
    @pytest.fixture
    def make_limiter(self) -> object:
        return registry().limiter("token-bucket").factory


def test_token_bucket_is_registered_as_the_default_limiter() -> None:
    found = registry().limiter("token-bucket")
    assert isinstance(found, LimiterType)
    assert registry().plugins["builtins"].registers.count("limiter:token-bucket") == 1


def test_a_bucket_goes_into_debt_and_reports_the_wait() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10, clock, capacity=5)
    assert bucket.reserve(5) == 0.0
    assert bucket.reserve(10) == pytest.approx(1.0)
    assert bucket.tokens == pytest.approx(-10)
    clock.advance(1.0)
    assert bucket.tokens == pytest.approx(0)


def test_a_bucket_never_saves_more_than_its_capacity() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10, clock, capacity=5)
    clock.advance(100)
    assert bucket.tokens == pytest.approx(5)


def test_a_bucket_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="positive rate"):
        TokenBucket(0, FakeClock())


async def test_a_request_cancelled_while_waiting_keeps_its_tokens_spent() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(
        LimitsConfig(requests_per_second=1, burst_seconds=0, max_concurrent_requests=0), clock
    )
    assert limiter.requests is not None
    async with limiter.slot("other"):
        pass

    blocked = asyncio.Event()

    async def waiting() -> None:
        async with limiter.slot("other"):
            blocked.set()

    never = asyncio.Event()

    async def slow_sleep(seconds: float) -> None:
        await never.wait()

    clock.sleep = slow_sleep  # type: ignore[method-assign]
    task = asyncio.create_task(waiting())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not blocked.is_set()
    assert limiter.requests.tokens == pytest.approx(-1.0), "the cancelled request's token is gone"


async def test_burst_seconds_sets_how_much_passes_at_once() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(LimitsConfig(requests_per_second=100, burst_seconds=0.5), clock)
    for _ in range(50):
        async with limiter.slot("other"):
            pass
    assert clock.now == 0.0
    async with limiter.slot("other"):
        pass
    assert clock.now == pytest.approx(0.01)


async def test_concurrency_cap_holds_through_the_default_config() -> None:
    limiter = TokenBucketLimiter(LimitsConfig(max_concurrent_requests=2), FakeClock())
    assert limiter.semaphore is not None
    async with limiter.slot("read"), limiter.slot("read"):
        assert limiter.semaphore.locked()
    assert not limiter.semaphore.locked()


async def test_the_system_clock_is_monotonic_and_sleeps_for_real() -> None:
    from sapwood.layer.clock import SYSTEM_CLOCK

    first = SYSTEM_CLOCK.monotonic()
    await SYSTEM_CLOCK.sleep(0.01)
    await SYSTEM_CLOCK.sleep(-1)  # a negative wait is no wait
    assert SYSTEM_CLOCK.monotonic() - first >= 0.009
