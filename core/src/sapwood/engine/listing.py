"""Helpers for reading storage listings through the object layer."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sapwood.layer import ObjectLayer
from sapwood.storage import ListEntry, ObjectMeta

__all__ = ["close_iterator", "list_objects", "take"]


async def close_iterator(iterator: AsyncIterator[ListEntry]) -> None:
    """Finish an async iterator left early (async generators hold resources until then)."""
    closer = getattr(iterator, "aclose", None)
    if closer is not None:
        await closer()


async def take(layer: ObjectLayer, prefix: str, limit: int) -> list[ObjectMeta]:
    """The first ``limit`` objects under ``prefix``, in key order."""
    found: list[ObjectMeta] = []
    if limit <= 0:
        return found
    iterator = layer.list(prefix)
    try:
        async for item in iterator:
            if isinstance(item, ObjectMeta):
                found.append(item)
                if len(found) >= limit:
                    break
    finally:
        await close_iterator(iterator)
    return found


async def list_objects(layer: ObjectLayer, prefix: str) -> list[ObjectMeta]:
    """Every object under ``prefix``."""
    return [item async for item in layer.list(prefix) if isinstance(item, ObjectMeta)]
