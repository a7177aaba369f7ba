"""Conformance suite for limiter plugins (``sapwood_register_limiters``), and the fake clock
it runs on.

Subclass :class:`LimiterConformance` and provide a fixture ``make_limiter`` returning your
limiter type's factory, ``(LimitsConfig, Clock) -> Limiter``. The tests never sleep: the
limiter is given a :class:`FakeClock` whose time moves only when someone sleeps on it.
Rates are checked with room for a burst of up to one second's worth, so limiters that
allow some burst pass too.

A limiter need not enforce every limit of :class:`~sapwood.config.LimitsConfig`: set
``LIMITS`` to the fields it enforces. The checks of the others then assert that the
limiter refuses a non-zero value with a :class:`~sapwood.errors.ConfigError` naming the
field, rather than ignoring it::

    import pytest
    from sapwood.testing import LimiterConformance

    class TestMyLimiter(LimiterConformance):
        LIMITS = frozenset({"max_concurrent_requests"})

        @pytest.fixture
        def make_limiter(self):
            return MyLimiter
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ClassVar, Literal, get_args

import pytest

from sapwood.config import LimitsConfig
from sapwood.errors import ConfigError
from sapwood.extensions import Clock, Limiter
from sapwood.testing._suite import ConformanceSuite

__all__ = ["ALL_LIMITS", "FakeClock", "LimitName", "LimiterConformance", "LimiterFactory"]

LimiterFactory = Callable[[LimitsConfig, Clock | None], Limiter]

LimitName = Literal[
    "max_concurrent_requests",
    "requests_per_second",
    "read_bytes_per_second",
    "write_bytes_per_second",
    "total_bytes_per_second",
]
"""A limit a limiter may enforce: the name of its :class:`~sapwood.config.LimitsConfig`
field."""

ALL_LIMITS: frozenset[LimitName] = frozenset(get_args(LimitName))
"""Every limit; what the built-in ``token-bucket`` limiter enforces."""

_EPSILON = 1e-6


class FakeClock:
    """A clock that never waits: :meth:`sleep` moves time forward instead.

    Each sleeper's wake time is fixed when it starts sleeping; on waking, time moves to it
    unless it has already passed. So concurrent sleepers overlap as they would in real
    time, and ``now`` after a run is how long the run would have taken.
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        """The current fake time."""
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Record the sleep, let other tasks run, and move time to the wake-up time."""
        self.sleeps.append(seconds)
        wake = self.now + max(0.0, seconds)
        await asyncio.sleep(0)
        self.now = max(self.now, wake)

    def advance(self, seconds: float) -> None:
        """Move time forward as if ``seconds`` passed idle."""
        self.now += seconds


def _limits(**fields: float) -> LimitsConfig:
    base: dict[str, float] = {name: 0 for name in sorted(ALL_LIMITS)}
    base.update(fields)
    return LimitsConfig.from_dict(base)


class LimiterConformance(ConformanceSuite):
    """What every limiter must do with the ``LimitsConfig`` rates and caps.

    ``LIMITS`` names the limits the limiter enforces (all five by default). A check of a
    limit left out asserts instead that the limiter refuses it.
    """

    LIMITS: ClassVar[frozenset[LimitName]] = ALL_LIMITS

    @pytest.fixture
    def clock(self) -> FakeClock:
        """A fresh fake clock at time 0."""
        return FakeClock()

    def limiter_or_refusal(
        self, make_limiter: LimiterFactory, clock: FakeClock, **limits: float
    ) -> Limiter | None:
        """The limiter for ``limits`` (all others unlimited); or, if one of them is not in
        ``LIMITS``, None once the limiter has refused it with a ConfigError naming it."""
        undeclared = sorted(
            name for name, value in limits.items() if value and name not in self.LIMITS
        )
        if not undeclared:
            return make_limiter(_limits(**limits), clock)
        name = undeclared[0]
        refusal: ConfigError | None = None
        try:
            make_limiter(_limits(**limits), clock)
        except ConfigError as error:
            refusal = error
        if refusal is None:
            pytest.fail(
                f"the limiter accepted {name}={limits[name]} though "
                f"{type(self).__name__}.LIMITS leaves {name} out; enforce it and add it to "
                "LIMITS, or refuse it with a ConfigError naming it, since a limit accepted "
                "but not enforced misleads users",
                pytrace=False,
            )
        assert name in str(refusal), (
            f"the ConfigError refusing {name} must name it, so users know what to change: {refusal}"
        )
        return None

    def test_declared_limits_are_limits_config_fields(self) -> None:
        unknown = sorted(set(self.LIMITS) - ALL_LIMITS)
        assert not unknown, f"LIMITS names {unknown}; the limits are {sorted(ALL_LIMITS)}"

    async def test_limiter_follows_the_protocol(
        self, make_limiter: LimiterFactory, clock: FakeClock
    ) -> None:
        limiter = make_limiter(_limits(), clock)
        assert isinstance(limiter, Limiter)
        async with limiter.slot("read") as slot:
            await slot.charge(10)

    async def test_unlimited_never_waits(
        self, make_limiter: LimiterFactory, clock: FakeClock
    ) -> None:
        limiter = make_limiter(_limits(), clock)
        for kind in ("read", "write", "other"):
            for _ in range(100):
                async with limiter.slot(kind, 1_000_000) as slot:
                    await slot.charge(1_000_000)
        assert clock.now == 0.0

    async def test_concurrency_is_capped(
        self, make_limiter: LimiterFactory, clock: FakeClock
    ) -> None:
        limiter = self.limiter_or_refusal(make_limiter, clock, max_concurrent_requests=3)
        if limiter is None:
            return
        inside = 0
        most = 0
        release = asyncio.Event()

        async def request() -> None:
            nonlocal inside, most
            async with limiter.slot("other"):
                inside += 1
                most = max(most, inside)
                await release.wait()
                inside -= 1

        tasks = [asyncio.create_task(request()) for _ in range(10)]
        for _ in range(20):
            await asyncio.sleep(0)
        assert most == 3
        release.set()
        await asyncio.gather(*tasks)
        assert inside == 0

    async def test_a_failed_request_frees_its_slot(
        self, make_limiter: LimiterFactory, clock: FakeClock
    ) -> None:
        limiter = self.limiter_or_refusal(make_limiter, clock, max_concurrent_requests=1)
        if limiter is None:
            return
        with pytest.raises(RuntimeError):
            async with limiter.slot("other"):
                raise RuntimeError("request failed")
        async with asyncio.timeout(5):
            async with limiter.slot("other"):
                pass

    async def test_requests_per_second_over_a_long_run(
        self, make_limiter: LimiterFactory, clock: FakeClock
    ) -> None:
        rate, count = 20.0, 200
        limiter = self.limiter_or_refusal(make_limiter, clock, requests_per_second=rate)
        if limiter is None:
            return
        for _ in range(count):
            async with limiter.slot("other"):
                pass
        ideal = count / rate
        assert ideal - 1.0 - _EPSILON <= clock.now <= ideal + _EPSILON, clock.now

    async def test_concurrent_requests_share_the_rate(
        self, make_limiter: LimiterFactory, clock: FakeClock
    ) -> None:
        rate = 10.0
        limiter = self.limiter_or_refusal(make_limiter, clock, requests_per_second=rate)
        if limiter is None:
            return

        async def worker() -> None:
            for _ in range(10):
                async with limiter.slot("read"):
                    pass

        await asyncio.gather(*(worker() for _ in range(10)))
        assert 100 / rate - 1.0 - _EPSILON <= clock.now <= 100 / rate + _EPSILON, clock.now

    async def test_tokens_of_failed_requests_are_not_returned(
        self, make_limiter: LimiterFactory, clock: FakeClock
    ) -> None:
        rate = 10.0
        limiter = self.limiter_or_refusal(make_limiter, clock, requests_per_second=rate)
        if limiter is None:
            return
        for _ in range(50):
            with pytest.raises(RuntimeError):
                async with limiter.slot("other"):
                    raise RuntimeError("request failed")
        for _ in range(50):
            async with limiter.slot("other"):
                pass
        assert clock.now >= 100 / rate - 1.0 - _EPSILON, clock.now

    async def test_write_bytes_are_charged_before_the_request(
        self, make_limiter: LimiterFactory, clock: FakeClock
    ) -> None:
        rate = 1000.0
        limiter = self.limiter_or_refusal(make_limiter, clock, write_bytes_per_second=rate)
        if limiter is None:
            return
        entered_at: list[float] = []
        for _ in range(10):
            async with limiter.slot("write", 1000):
                entered_at.append(clock.now)
        # 10,000 bytes at 1,000 B/s: the last write may start only after about 9 s.
        assert entered_at[-1] >= 9 - _EPSILON, entered_at
        assert clock.now <= 10 + _EPSILON

    async def test_read_bytes_are_charged_after_the_request(
        self, make_limiter: LimiterFactory, clock: FakeClock
    ) -> None:
        rate = 1000.0
        limiter = self.limiter_or_refusal(make_limiter, clock, read_bytes_per_second=rate)
        if limiter is None:
            return
        async with limiter.slot("read") as slot:
            assert clock.now == 0.0, "a read of unknown size must not wait before it starts"
            await slot.charge(5000)
        async with limiter.slot("read") as slot:
            started = clock.now
            await slot.charge(1)
        assert started >= 5 - 1.0 - _EPSILON, "bytes charged after a read must slow the next"

    async def test_read_limit_does_not_slow_writes(
        self, make_limiter: LimiterFactory, clock: FakeClock
    ) -> None:
        limiter = self.limiter_or_refusal(make_limiter, clock, read_bytes_per_second=100)
        if limiter is None:
            return
        for _ in range(20):
            async with limiter.slot("write", 1000):
                pass
        assert clock.now == 0.0

    async def test_write_limit_does_not_slow_reads(
        self, make_limiter: LimiterFactory, clock: FakeClock
    ) -> None:
        limiter = self.limiter_or_refusal(make_limiter, clock, write_bytes_per_second=100)
        if limiter is None:
            return
        for _ in range(20):
            async with limiter.slot("read") as slot:
                await slot.charge(1000)
        assert clock.now == 0.0

    async def test_total_bytes_count_reads_and_writes(
        self, make_limiter: LimiterFactory, clock: FakeClock
    ) -> None:
        rate = 1000.0
        limiter = self.limiter_or_refusal(make_limiter, clock, total_bytes_per_second=rate)
        if limiter is None:
            return
        for _ in range(5):
            async with limiter.slot("write", 1000):
                pass
            async with limiter.slot("read") as slot:
                await slot.charge(1000)
        assert 10 - 1.0 - _EPSILON <= clock.now <= 10 + _EPSILON, clock.now

    async def test_an_object_larger_than_a_second_of_rate_still_passes(
        self, make_limiter: LimiterFactory, clock: FakeClock
    ) -> None:
        limiter = self.limiter_or_refusal(make_limiter, clock, write_bytes_per_second=100)
        if limiter is None:
            return
        async with asyncio.timeout(5):
            async with limiter.slot("write", 10_000):
                pass
            async with limiter.slot("write", 1):
                pass
        assert clock.now >= 100 - 1.0 - _EPSILON, "the debt of a large write must be paid"
