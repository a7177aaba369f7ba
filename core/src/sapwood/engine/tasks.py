"""Running a few awaitables at once so that none outlives the call."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

__all__ = ["gather_or_cancel"]

A = TypeVar("A")
B = TypeVar("B")


async def gather_or_cancel(first: Awaitable[A], second: Awaitable[B]) -> tuple[A, B]:
    """Both results, as :func:`asyncio.gather` gives them; but when one fails (or the
    caller is cancelled), the other is cancelled and waited for before the error
    propagates, so no sibling keeps reading or writing after the caller gave up (and,
    say, closed the store)."""
    tasks = (asyncio.ensure_future(first), asyncio.ensure_future(second))
    try:
        a, b = await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return a, b
