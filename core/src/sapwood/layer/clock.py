"""The real :class:`~sapwood.extensions.Clock`: monotonic time and ``asyncio.sleep``.

Limiters, retries and the ref cache take a clock so tests can inject a fake one
(:class:`sapwood.testing.FakeClock`) instead of sleeping.
"""

from __future__ import annotations

import asyncio
import time

__all__ = ["SYSTEM_CLOCK", "SystemClock"]


class SystemClock:
    """Wall-clock time: :func:`time.monotonic` and :func:`asyncio.sleep`."""

    def monotonic(self) -> float:
        """Seconds on the process's monotonic clock."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (no wait for zero or less, but still yield to other tasks)."""
        await asyncio.sleep(max(0.0, seconds))


SYSTEM_CLOCK = SystemClock()
"""The shared real clock."""
