"""A limiter enforcing only some limits passes the suite when it declares them and refuses
the others; one that accepts a limit it does not enforce fails it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from sapwood.config import LimitsConfig
from sapwood.errors import ConfigError
from sapwood.extensions import Clock
from sapwood.testing import ALL_LIMITS, FakeClock, LimiterConformance
from sapwood.testing.limiter import LimiterFactory


class Slot:
    async def charge(self, size_bytes: int) -> None:
        """Bytes are not limited."""


class CapOnly:
    """Caps requests in flight; refuses rates unless told to ignore them."""

    ignore_rates = False

    def __init__(self, config: LimitsConfig, clock: Clock | None = None) -> None:
        rates = sorted(ALL_LIMITS - {"max_concurrent_requests"})
        refused = [name for name in rates if getattr(config, name)]
        if refused and not self.ignore_rates:
            raise ConfigError(f"CapOnly enforces no rate: {', '.join(refused)}")
        cap = config.max_concurrent_requests or 0
        self.gate = asyncio.Semaphore(cap) if cap else None

    @contextlib.asynccontextmanager
    async def slot(self, kind: str, size_bytes: int | None = None) -> AsyncIterator[Slot]:
        async with self.gate or contextlib.nullcontext():
            yield Slot()


class SilentlyIgnoresRates(CapOnly):
    ignore_rates = True


class VagueRefusal(CapOnly):
    def __init__(self, config: LimitsConfig, clock: Clock | None = None) -> None:
        if config.requests_per_second:
            raise ConfigError("unsupported setting")
        super().__init__(config, clock)


class TestCapOnlyLimiter(LimiterConformance):
    LIMITS = frozenset({"max_concurrent_requests"})

    @pytest.fixture
    def make_limiter(self) -> LimiterFactory:
        return CapOnly


def test_a_limit_accepted_but_not_declared_fails_the_suite() -> None:
    suite = TestCapOnlyLimiter()
    with pytest.raises(pytest.fail.Exception, match="accepted requests_per_second=5"):
        suite.limiter_or_refusal(SilentlyIgnoresRates, FakeClock(), requests_per_second=5)


def test_a_refusal_must_name_the_limit() -> None:
    suite = TestCapOnlyLimiter()
    with pytest.raises(AssertionError, match="must name it"):
        suite.limiter_or_refusal(VagueRefusal, FakeClock(), requests_per_second=5)


def test_a_declared_limit_is_built_and_zero_is_always_accepted() -> None:
    suite = TestCapOnlyLimiter()
    assert isinstance(
        suite.limiter_or_refusal(CapOnly, FakeClock(), max_concurrent_requests=2), CapOnly
    )
    assert isinstance(
        suite.limiter_or_refusal(CapOnly, FakeClock(), requests_per_second=0), CapOnly
    )


def test_declaring_an_unknown_limit_fails() -> None:
    class Misspelt(TestCapOnlyLimiter):
        LIMITS = frozenset({"max_concurrent_request"})  # type: ignore[arg-type]

    with pytest.raises(AssertionError, match="max_concurrent_request"):
        Misspelt().test_declared_limits_are_limits_config_fields()
