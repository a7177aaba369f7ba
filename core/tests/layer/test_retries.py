"""Retries: backoff with full jitter, only retryable errors, timeouts per attempt, and no
replay of a consumed stream."""

from __future__ import annotations

import asyncio
import random

import pytest

from sapwood.config import RetriesConfig, TimeoutsConfig
from sapwood.errors import NotFoundError, StorageError
from sapwood.layer.retries import (
    AttemptCounter,
    OneShotBody,
    Retrier,
    RetryPolicy,
    attempt_with_timeout,
)
from sapwood.testing import FakeClock

POLICY = RetryPolicy(
    max_attempts=5,
    initial_backoff_seconds=0.1,
    max_backoff_seconds=1.0,
    multiplier=2.0,
    attempt_timeout_seconds=None,
)


def test_policy_comes_from_config_with_defaults_for_unset_fields() -> None:
    policy = RetryPolicy.from_config(
        RetriesConfig(max_attempts=3), TimeoutsConfig(attempt_timeout_ms=250)
    )
    assert policy.max_attempts == 3
    assert policy.initial_backoff_seconds == pytest.approx(0.05)
    assert policy.max_backoff_seconds == pytest.approx(5.0)
    assert policy.attempt_timeout_seconds == pytest.approx(0.25)
    assert (
        RetryPolicy.from_config(None, TimeoutsConfig(attempt_timeout_ms=0)).attempt_timeout_seconds
        is None
    )


def test_backoff_grows_exponentially_up_to_the_cap() -> None:
    assert [POLICY.backoff_ceiling(n) for n in range(1, 7)] == pytest.approx(
        [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    )
    assert POLICY.backoff_ceiling(10_000) == 1.0


def test_backoff_is_full_jitter_between_zero_and_the_ceiling() -> None:
    rng = random.Random(1)
    waits = [POLICY.backoff(3, rng) for _ in range(2000)]
    assert min(waits) >= 0.0
    assert max(waits) <= 0.4
    assert min(waits) < 0.04, "full jitter reaches near zero"
    assert max(waits) > 0.36, "full jitter reaches near the ceiling"


async def test_retryable_errors_are_retried_until_success() -> None:
    clock = FakeClock()
    retrier = Retrier(POLICY, clock, random.Random(0))
    failures = [StorageError("throttled", retryable=True)] * 3
    counter = AttemptCounter()

    async def attempt() -> str:
        if failures:
            raise failures.pop()
        return "done"

    assert await retrier.call(attempt, counter=counter) == "done"
    assert counter.retries == 3
    assert len(clock.sleeps) == 3
    assert all(0 <= s <= POLICY.backoff_ceiling(i + 1) for i, s in enumerate(clock.sleeps))


async def test_non_retryable_errors_pass_through_at_once() -> None:
    retrier = Retrier(POLICY, FakeClock())
    calls = 0

    async def attempt() -> None:
        nonlocal calls
        calls += 1
        raise NotFoundError("gone", key="k")

    with pytest.raises(NotFoundError):
        await retrier.call(attempt)
    assert calls == 1


async def test_attempts_run_out() -> None:
    retrier = Retrier(POLICY, FakeClock())
    calls = 0

    async def attempt() -> None:
        nonlocal calls
        calls += 1
        raise StorageError("still down", retryable=True)

    with pytest.raises(StorageError) as caught:
        await retrier.call(attempt)
    assert calls == POLICY.max_attempts
    assert any("gave up after 5 attempts" in note for note in caught.value.__notes__)


async def test_a_consumed_stream_is_never_replayed() -> None:
    retrier = Retrier(POLICY, FakeClock())
    body = OneShotBody(iter([b"part1", b"part2"]))
    sent: list[bytes] = []

    async def attempt() -> None:
        sent.append(body.read_all())
        raise StorageError("connection reset", retryable=True)

    with pytest.raises(StorageError, match="connection reset"):
        await retrier.call(attempt, can_replay=body.can_replay)
    assert sent == [b"part1part2"]


async def test_an_untouched_stream_may_be_retried() -> None:
    retrier = Retrier(POLICY, FakeClock())
    body = OneShotBody(iter([b"data"]))
    tries = 0

    async def attempt() -> bytes:
        nonlocal tries
        tries += 1
        if tries == 1:
            raise StorageError("refused before sending", retryable=True)
        return body.read_all()

    assert await retrier.call(attempt, can_replay=body.can_replay) == b"data"
    assert tries == 2


def test_a_one_shot_body_refuses_a_second_read() -> None:
    body = OneShotBody(iter([b"x"]))
    body.read_all()
    with pytest.raises(StorageError, match="cannot be replayed"):
        body.read_all()


async def test_a_timeout_becomes_a_retryable_storage_error() -> None:
    async def hang() -> None:
        await asyncio.Event().wait()

    with pytest.raises(StorageError) as caught:
        await attempt_with_timeout(hang, 0.01)
    assert caught.value.retryable
    assert "timed out after 10 ms" in str(caught.value)


async def test_the_timeout_applies_to_each_attempt_inside_the_retry_loop() -> None:
    retrier = Retrier(POLICY, FakeClock())
    calls = 0

    async def slow_then_fast() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            await asyncio.Event().wait()
        return "fast"

    result = await retrier.call(lambda: attempt_with_timeout(slow_then_fast, 0.01))
    assert result == "fast"
    assert calls == 3


async def test_a_timeout_error_raised_inside_is_not_mistaken_for_ours() -> None:
    async def raises_timeout() -> None:
        raise TimeoutError("the callee's own")

    with pytest.raises(TimeoutError, match="the callee's own"):
        await attempt_with_timeout(raises_timeout, 10.0)
