"""Maintenance: cutting old history (expiry) and deleting what nothing needs (GC).

``expire_snapshots(older_than)`` marks every commit older than ``older_than`` that no branch
or tag points at as expired: history walks (log, ``~``/``^``, merge bases) stop there, so
everything behind it is cut off. It deletes nothing.

``garbage_collect(older_than)`` keeps everything reachable from a branch or tag without
crossing an expired commit, and deletes the other snapshots, manifests and blobs, but never
anything whose storage timestamp is not older than ``older_than``: a writer in flight has
written blobs and manifests that no ref reaches yet, and the grace period keeps them safe
(blobs are rewritten, not skipped, when staged again, which refreshes their age).

An expired commit's marker outlives its snapshot while a kept commit still names it as a
parent: that marker is what tells a walk the missing parent was cut on purpose, not lost.
Marking never steps over a missing commit that was not expired; it raises IntegrityError
and nothing is deleted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from sapwood.engine.format import Entry, to_micros
from sapwood.engine.history import walk
from sapwood.engine.keys import (
    BLOBS,
    EXPIRED,
    MANIFESTS,
    SNAPSHOTS,
    expired_key,
    id_from_key,
)
from sapwood.engine.listing import list_objects
from sapwood.engine.repo import Engine
from sapwood.errors import RefNotFoundError
from sapwood.models import GarbageCollectionSummary
from sapwood.storage import ObjectMeta

__all__ = ["KEEP_SEQUENCE_FILES", "expire_snapshots", "garbage_collect"]

KEEP_SEQUENCE_FILES: Final = 50
"""Sequence-mode branches keep at least this many newest ref files, so a writer that read
an older one can never write into a number freed by GC."""


logger = logging.getLogger(__name__)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def expire_snapshots(engine: Engine, older_than: datetime) -> frozenset[str]:
    """Mark old commits that no ref points at as expired; the ids newly marked."""
    limit = to_micros(older_than)
    heads = set(await engine.refs.all_heads())
    expired = await engine.expired()
    newly: set[bytes] = set()
    seen: set[bytes] = set()
    stack = [head for head in heads if head not in expired]
    while stack:
        raw = stack.pop()
        if raw in seen:
            continue
        seen.add(raw)
        try:
            snapshot = await engine.snapshots.read(raw)
        except RefNotFoundError:
            continue
        if raw not in heads and snapshot.committed_at_us < limit:
            newly.add(raw)
        stack.extend(p for p in snapshot.parents if p not in expired and p not in seen)
    await asyncio.gather(*(engine.layer.put(expired_key(raw), b"") for raw in newly))
    logger.info("expired %d commit(s) older than %s", len(newly), older_than.isoformat())
    return frozenset(raw.hex() for raw in newly)


@dataclass
class _Live:
    snapshots: set[bytes] = field(default_factory=set)
    manifests: set[bytes] = field(default_factory=set)
    ranges: set[bytes] = field(default_factory=set)
    blobs: set[bytes] = field(default_factory=set)
    boundary: set[bytes] = field(default_factory=set)
    """Expired commits that a kept commit names as a parent: their markers stay."""


def _blob_ids(entries: Iterable[Entry]) -> Iterable[bytes]:
    for entry in entries:
        for chunk in entry.chunks or ():
            yield chunk.id


async def _mark(engine: Engine, heads: list[bytes]) -> _Live:
    live = _Live()
    expired = await engine.expired()
    async for raw, snapshot in walk(engine, heads, expired):
        live.snapshots.add(raw)
        live.boundary.update(p for p in snapshot.parents if p in expired)
        if snapshot.index is not None:
            live.manifests.add(snapshot.index)
        table = await engine.snapshots.ranges_of(snapshot)
        live.manifests.update(table.packs)
        fresh = [table.ref(i) for i, raw in enumerate(table.id_list()) if raw not in live.ranges]
        live.ranges.update(r.id for r in fresh)
        for start in range(0, len(fresh), 64):
            batch = fresh[start : start + 64]
            for entries in await engine.manifests.load_ranges(batch):
                live.blobs.update(_blob_ids(entries))
    return live


async def garbage_collect(
    engine: Engine, older_than: datetime, *, dry_run: bool = False
) -> GarbageCollectionSummary:
    """Delete unreachable objects older than ``older_than``; a summary of what went."""
    cutoff = _aware(older_than)
    heads = await engine.refs.all_heads()
    live = await _mark(engine, heads)
    doomed: list[str] = []
    counts = {"snapshots": 0, "manifests": 0, "blobs": 0, "refs": 0}
    freed = 0
    spared = 0

    def old_enough(meta: ObjectMeta) -> bool:
        return meta.last_modified is not None and _aware(meta.last_modified) < cutoff

    present_snapshots: set[bytes] = set()
    for prefix, keep, kind in (
        (SNAPSHOTS, live.snapshots, "snapshots"),
        (MANIFESTS, live.manifests, "manifests"),
        (BLOBS, live.blobs, "blobs"),
    ):
        for meta in await list_objects(engine.layer, prefix):
            raw = id_from_key(meta.key)
            if raw is None:
                continue
            if kind == "snapshots":
                present_snapshots.add(raw)
            if raw in keep:
                continue
            if not old_enough(meta):
                spared += 1
                continue
            doomed.append(meta.key)
            counts[kind] += 1
            freed += meta.size
    gone_snapshots = {id_from_key(key) for key in doomed if key.startswith(SNAPSHOTS)}
    for meta in await list_objects(engine.layer, EXPIRED):
        raw = id_from_key(meta.key)
        if raw is None or raw in live.boundary:
            continue
        orphan = raw not in present_snapshots and old_enough(meta)
        if raw in gone_snapshots or orphan:
            doomed.append(meta.key)
            counts["refs"] += 1
    if engine.refs.mode == "sequence":
        for files in (await engine.refs.sequence_files()).values():
            for meta in files[KEEP_SEQUENCE_FILES:]:
                if old_enough(meta):
                    doomed.append(meta.key)
                    counts["refs"] += 1
                    freed += meta.size
    logger.info(
        "garbage collection %s %d object(s), %d bytes; spared %d newer than %s",
        "would delete" if dry_run else "deletes",
        len(doomed),
        freed,
        spared,
        cutoff,
    )
    if not dry_run and doomed:
        await engine.layer.delete_many(doomed)
        for key in doomed:
            raw = id_from_key(key)
            if raw is not None:
                engine.cache.discard(raw)
    return GarbageCollectionSummary(
        dry_run=dry_run,
        snapshots_deleted=counts["snapshots"],
        manifests_deleted=counts["manifests"],
        blobs_deleted=counts["blobs"],
        refs_deleted=counts["refs"],
        bytes_deleted=freed,
        objects_spared=spared,
    )
