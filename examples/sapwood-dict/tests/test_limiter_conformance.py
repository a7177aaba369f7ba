"""The concurrency limiter passes sapwood's limiter conformance suite for the one limit it
declares, and refuses the rates it does not enforce."""

from __future__ import annotations

import pytest
from sapwood_dict.limiter import ConcurrencyLimiter

from sapwood.testing import LimiterConformance
from sapwood.testing.limiter import LimiterFactory


class TestConcurrencyLimiterConformance(LimiterConformance):
    LIMITS = frozenset({"max_concurrent_requests"})

    @pytest.fixture
    def make_limiter(self) -> LimiterFactory:
        return ConcurrencyLimiter
