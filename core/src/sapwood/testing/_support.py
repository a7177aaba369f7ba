"""Helpers shared by the conformance suites: collecting listings, bounded concurrency,
deterministic payloads, and checking that a backend refuses what it does not support."""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import AsyncIterator, Awaitable, Iterable
from typing import TypeVar

import pytest

from sapwood.errors import PreconditionFailedError, StorageError
from sapwood.storage import CommonPrefix, ListEntry, ObjectMeta

__all__ = [
    "assert_refused",
    "collect",
    "common_prefixes",
    "digest",
    "entry_names",
    "gather_bounded",
    "object_keys",
    "sample_bytes",
]

T = TypeVar("T")


async def collect(entries: AsyncIterator[ListEntry]) -> list[ListEntry]:
    """Every entry of a listing, in the order the store gave them."""
    return [entry async for entry in entries]


def entry_names(entries: Iterable[ListEntry]) -> list[str]:
    """Keys of objects and paths of common prefixes, in order."""
    return [entry.key if isinstance(entry, ObjectMeta) else entry.path for entry in entries]


def object_keys(entries: Iterable[ListEntry]) -> list[str]:
    """Keys of the objects only (common prefixes left out), in order."""
    return [entry.key for entry in entries if isinstance(entry, ObjectMeta)]


def common_prefixes(entries: Iterable[ListEntry]) -> list[str]:
    """Paths of the common prefixes only, in order."""
    return [entry.path for entry in entries if isinstance(entry, CommonPrefix)]


async def gather_bounded(calls: Iterable[Awaitable[T]], limit: int) -> list[T]:
    """Await ``calls`` with at most ``limit`` in flight; results in the order given."""
    gate = asyncio.Semaphore(limit)

    async def one(call: Awaitable[T]) -> T:
        async with gate:
            return await call

    return await asyncio.gather(*(one(call) for call in calls))


def sample_bytes(size: int, seed: int = 0) -> bytes:
    """``size`` pseudo-random bytes, the same for the same seed."""
    return random.Random(seed).randbytes(size)


def digest(data: bytes) -> str:
    """A short fingerprint, so a failed comparison of large payloads prints legibly."""
    return f"{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()[:16]}"


async def assert_refused(call: Awaitable[object], what: str) -> None:
    """``call`` must fail with a plain StorageError (not a lost-race error) saying it is
    unsupported, because the backend declared it cannot do ``what``."""
    with pytest.raises(StorageError) as caught:
        await call
    assert not isinstance(caught.value, PreconditionFailedError), (
        f"the backend declares no support for {what} but raised "
        f"{type(caught.value).__name__}, which callers read as a lost race; raise a "
        "StorageError saying it is unsupported"
    )
