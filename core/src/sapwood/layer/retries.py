"""Retries with exponential backoff and full jitter, and a timeout on each attempt.

Only a :class:`~sapwood.errors.StorageError` with ``retryable`` set is tried again; every
other error passes through at once. The timeout runs inside the retry loop, one per
attempt, and a timeout that fires becomes a retryable StorageError, so a hung request is
abandoned and tried again. A body is never replayed once consumed: ``bytes`` can be sent
any number of times, while a stream (:class:`OneShotBody`) is tried again only if the
failed attempt read none of it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from sapwood.config import RepositoryConfig, RetriesConfig, TimeoutsConfig
from sapwood.errors import StorageError
from sapwood.extensions import Clock
from sapwood.layer.recording import current_call

__all__ = ["AttemptCounter", "OneShotBody", "Retrier", "RetryPolicy", "attempt_with_timeout"]

T = TypeVar("T")
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry; built from the config by :meth:`from_config`."""

    max_attempts: int = 5
    initial_backoff_seconds: float = 0.05
    max_backoff_seconds: float = 5.0
    multiplier: float = 2.0
    attempt_timeout_seconds: float | None = 60.0

    @classmethod
    def from_config(
        cls, retries: RetriesConfig | None, timeouts: TimeoutsConfig | None
    ) -> RetryPolicy:
        """The policy for a (possibly partial) retries and timeouts config."""
        defaults = RepositoryConfig.default()
        assert defaults.retries is not None
        assert defaults.timeouts is not None
        r = defaults.retries.merge(retries)
        t = defaults.timeouts.merge(timeouts)
        assert r.max_attempts is not None
        assert r.initial_backoff_ms is not None
        assert r.max_backoff_ms is not None
        assert r.backoff_multiplier is not None
        return cls(
            max_attempts=r.max_attempts,
            initial_backoff_seconds=r.initial_backoff_ms / 1000.0,
            max_backoff_seconds=r.max_backoff_ms / 1000.0,
            multiplier=r.backoff_multiplier,
            attempt_timeout_seconds=(t.attempt_timeout_ms / 1000.0)
            if t.attempt_timeout_ms
            else None,
        )

    def backoff_ceiling(self, retry_number: int) -> float:
        """The largest wait before retry ``retry_number`` (1 for the first retry)."""
        exponent = max(0, retry_number - 1)
        try:
            grown = self.initial_backoff_seconds * self.multiplier**exponent
        except OverflowError:
            grown = self.max_backoff_seconds
        return min(self.max_backoff_seconds, grown)

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """Full jitter: a wait drawn uniformly between 0 and :meth:`backoff_ceiling`."""
        return rng.uniform(0.0, self.backoff_ceiling(retry_number))


class AttemptCounter:
    """Counts the retries of one call, for metrics."""

    __slots__ = ("retried_after", "retries")

    def __init__(self) -> None:
        self.retries = 0
        self.retried_after: list[StorageError] = []


class OneShotBody:
    """A body that can be read once (a stream). ``consumed`` turns true on the first read,
    after which a failed attempt is not retried, since the bytes cannot be sent again."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self.consumed = False

    def read_all(self) -> bytes:
        """Every remaining byte; may be called once."""
        if self.consumed:
            raise StorageError("this streaming body was already sent and cannot be replayed")
        self.consumed = True
        return b"".join(self._chunks)

    def can_replay(self) -> bool:
        """True until the first read."""
        return not self.consumed


async def attempt_with_timeout(
    call: Callable[[], Awaitable[T]], timeout_seconds: float | None
) -> T:
    """``await call()``, turned into a retryable StorageError if it takes too long."""
    if not timeout_seconds:
        return await call()
    scope = asyncio.timeout(timeout_seconds)
    try:
        async with scope:
            return await call()
    except TimeoutError:
        if scope.expired():
            raise StorageError(
                f"storage request timed out after {timeout_seconds * 1000:.0f} ms; raise "
                "timeouts.attempt_timeout_ms if the backend is slow but healthy",
                retryable=True,
            ) from None
        raise


class Retrier:
    """Runs calls with a :class:`RetryPolicy`, sleeping on an injectable clock."""

    def __init__(self, policy: RetryPolicy, clock: Clock, rng: random.Random | None = None) -> None:
        self.policy = policy
        self.clock = clock
        self.rng = rng or random.Random()

    async def call(
        self,
        attempt: Callable[[], Awaitable[T]],
        *,
        can_replay: Callable[[], bool] | None = None,
        counter: AttemptCounter | None = None,
    ) -> T:
        """``await attempt()`` until it succeeds, fails for good, or attempts run out.

        ``attempt`` should apply the per-attempt timeout itself (see
        :func:`attempt_with_timeout`) so that waiting for a limiter is not timed.
        """
        number = 1
        while True:
            try:
                return await attempt()
            except StorageError as exc:
                if not await self.pause_before_retry(
                    exc, number, can_replay=can_replay, counter=counter
                ):
                    raise
                number += 1

    async def pause_before_retry(
        self,
        exc: StorageError,
        failed_attempts: int,
        *,
        what: str = "a storage request",
        can_replay: Callable[[], bool] | None = None,
        counter: AttemptCounter | None = None,
    ) -> bool:
        """After ``failed_attempts`` attempts, the last failing with ``exc``: False if
        ``exc`` must propagate (not retryable, attempts used up, or a stream body already
        sent; a note on ``exc`` says which), else True once the backoff has been slept."""
        if not exc.retryable:
            return False
        if failed_attempts >= self.policy.max_attempts:
            exc.add_note(f"gave up after {failed_attempts} attempts")
            return False
        if can_replay is not None and not can_replay():
            exc.add_note("not retried: the request body was a stream already sent")
            return False
        logger.info("retrying %s (attempt %d failed: %s)", what, failed_attempts, exc)
        if counter is not None:
            counter.retries += 1
            counter.retried_after.append(exc)
        record = current_call()
        if record is not None:
            record.retries += 1
        await self.clock.sleep(self.policy.backoff(failed_attempts, self.rng))
        return True
