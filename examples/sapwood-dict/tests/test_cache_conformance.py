"""The fifo cache passes sapwood's cache conformance suite."""

from __future__ import annotations

import pytest
from sapwood_dict.cache import FifoCache

from sapwood.testing import CacheConformance
from sapwood.testing.cache import CacheFactory


class TestFifoCacheConformance(CacheConformance):
    @pytest.fixture
    def make_cache(self) -> CacheFactory:
        return FifoCache
