"""Maintenance: cutting old history (expiry) and deleting what nothing needs (GC).

``expire_snapshots(older_than)`` marks every commit older than ``older_than`` that no branch
or tag points at as expired: history walks (log, ``~``/``^``, merge bases) stop there, so
everything behind it is cut off. It deletes nothing.

``garbage_collect(older_than)`` keeps everything reachable from a branch or tag without
crossing an expired commit, and deletes the other snapshots, manifests and blobs, but never
anything whose storage timestamp is not older than ``older_than``: a writer in flight has
written blobs and manifests that no ref reaches yet, and the grace period keeps them safe
(blobs are rewritten, not skipped, when staged again, which refreshes their age).
Staged changes are protected whatever their age by their session's lease
(:mod:`sapwood.engine.leases`): the blobs a lease names are kept, nothing written since a
fresh lease began is deleted, and nothing written since the collection itself began.

An expired commit's marker outlives its snapshot while a kept commit still names it as a
parent: that marker is what tells a walk the missing parent was cut on purpose, not lost.
Marking never steps over a missing commit that was not expired; it raises IntegrityError
and nothing is deleted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Final, TypeAlias

from sapwood.engine.format import Entry, Snapshot, to_micros
from sapwood.engine.history import walk
from sapwood.engine.keys import (
    BLOBS,
    EXPIRED,
    MANIFESTS,
    SNAPSHOTS,
    expired_key,
    id_from_key,
)
from sapwood.engine.leases import GcRun, prune_runs, read_leases
from sapwood.engine.listing import list_objects
from sapwood.engine.repo import Engine
from sapwood.errors import ConfigError, NotFoundError, RefNotFoundError
from sapwood.models import GarbageCollectionSummary
from sapwood.storage import ObjectMeta

__all__ = ["KEEP_SEQUENCE_FILES", "Moment", "expire_snapshots", "garbage_collect", "resolve_moment"]

KEEP_SEQUENCE_FILES: Final = 50
"""Sequence-mode branches keep at least this many newest ref files, so a writer that read
an older one can never write into a number freed by GC."""


logger = logging.getLogger(__name__)

Moment: TypeAlias = datetime | date | str | timedelta
"""What ``older_than`` accepts: a datetime (naive means UTC), a date (its midnight, UTC),
an ISO 8601 string (``"2024-01-01"``, ``"2024-01-01T12:00:00+02:00"``), or a timedelta (an
age: that long before now)."""


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def resolve_moment(value: object, what: str = "older_than") -> datetime:
    """The timezone-aware moment ``value`` names (see :data:`Moment`); ConfigError naming
    ``what`` for anything else."""
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, timedelta):
        if value < timedelta(0):
            raise ConfigError(
                f"{what} as an age must not be negative (got {value}); pass a timedelta of "
                "how long ago, or a datetime",
                field=what,
            )
        return datetime.now(UTC) - value
    if isinstance(value, str):
        try:
            return _aware(datetime.fromisoformat(value.strip()))
        except ValueError:
            raise ConfigError(
                f"{what} {value!r} is not an ISO 8601 date or time; write e.g. '2024-01-01' "
                "or '2024-01-01T12:00:00+00:00', or pass a datetime or a timedelta",
                field=what,
            ) from None
    raise ConfigError(
        f"{what} takes a datetime, a date, an ISO 8601 string or a timedelta (an age), not "
        f"{type(value).__name__}",
        field=what,
    )


async def expire_snapshots(engine: Engine, older_than: Moment) -> frozenset[str]:
    """Mark old commits that no ref points at as expired; the ids newly marked."""
    moment = resolve_moment(older_than)
    limit = to_micros(moment)
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
    logger.info("expired %d commit(s) older than %s", len(newly), moment.isoformat())
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


async def _add(
    engine: Engine, raw: bytes, snapshot: Snapshot, live: _Live, expired: set[bytes]
) -> None:
    """Mark one commit and everything its tree refers to."""
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


async def _mark(engine: Engine, heads: list[bytes]) -> _Live:
    live = _Live()
    expired = await engine.expired()
    async for raw, snapshot in walk(engine, heads, expired):
        await _add(engine, raw, snapshot, live, expired)
    return live


async def _mark_more(engine: Engine, roots: Iterable[bytes], live: _Live) -> None:
    """Add to ``live`` what ``roots`` reach beyond what it holds already (commits made,
    and commits leased, while the collection was marking)."""
    expired = await engine.expired()
    stack = [raw for raw in roots if raw not in live.snapshots]
    while stack:
        raw = stack.pop()
        if raw in live.snapshots:
            continue
        try:
            snapshot = await engine.snapshots.read(raw)
        except RefNotFoundError:
            continue
        await _add(engine, raw, snapshot, live, expired)
        stack.extend(p for p in snapshot.parents if p not in expired and p not in live.snapshots)


async def _still_old(
    engine: Engine, keys: list[str], old_enough: Callable[[ObjectMeta], bool]
) -> set[str]:
    """Those of ``keys`` that still exist and are still old enough to delete."""
    semaphore = asyncio.Semaphore(32)
    still: set[str] = set()

    async def check(key: str) -> None:
        async with semaphore:
            try:
                meta = await engine.layer.head_as_stored(key)
            except NotFoundError:
                return
        if old_enough(meta):
            still.add(key)

    await asyncio.gather(*(check(key) for key in keys))
    return still


async def garbage_collect(
    engine: Engine, older_than: Moment, *, dry_run: bool = False
) -> GarbageCollectionSummary:
    """Delete unreachable objects older than ``older_than``; a summary of what went."""
    cutoff = resolve_moment(older_than)
    if not isinstance(dry_run, bool):
        raise ConfigError(
            f"dry_run is True or False, not {dry_run!r} ({type(dry_run).__name__})",
            field="dry_run",
        )
    if dry_run:
        return await _collect(engine, cutoff, dry_run=True, run=None)
    async with GcRun(engine.layer) as run:
        return await _collect(engine, cutoff, dry_run=False, run=run)


async def _collect(
    engine: Engine, older_than: datetime, *, dry_run: bool, run: GcRun | None
) -> GarbageCollectionSummary:
    started = datetime.now(UTC)
    cutoff = min(_aware(older_than), run.started if run is not None else started)
    # Leases are read after the run record is written and before the heads (a commit
    # drops its lease only once its branch has moved), and again before deleting.
    leases = await read_leases(engine.layer, started)
    heads = await engine.refs.all_heads()
    stored = {
        raw for m in await list_objects(engine.layer, SNAPSHOTS) if (raw := id_from_key(m.key))
    }
    # A leased commit (a merge's source, say) is kept with all it reaches, as a head is.
    live = await _mark(engine, [*heads, *sorted((leases.blobs & stored) - set(heads))])
    live.blobs |= leases.blobs
    if leases.oldest_anchor is not None:
        cutoff = min(cutoff, leases.oldest_anchor)
    doomed: list[str] = []
    counts = {"snapshots": 0, "manifests": 0, "blobs": 0, "refs": 0}
    freed = 0
    spared = 0

    def old_enough(meta: ObjectMeta) -> bool:
        return meta.last_modified is not None and _aware(meta.last_modified) < cutoff

    present_snapshots: set[bytes] = set()
    candidates: list[tuple[ObjectMeta, str]] = []
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
            candidates.append((meta, kind))
    if run is not None and candidates:
        # Writers do not wait for a collection that is still marking. Once deleting is
        # announced, read the leases again, then the heads (in that order: a commit drops
        # its lease only after its branch moved), and keep what either reaches now.
        await run.enter_deleting()
        late = (await read_leases(engine.layer, started)).blobs
        late_heads = await engine.refs.all_heads()
        live.blobs |= late
        await _mark_more(engine, [*late_heads, *sorted(late & stored)], live)
        keep = live.snapshots | live.manifests | live.blobs
        before = len(candidates)
        candidates = [(m, k) for m, k in candidates if id_from_key(m.key) not in keep]
        spared += before - len(candidates)
    if not dry_run:
        # A writer that stores identical content again (a re-upload) refreshes the
        # object's timestamp; look once more, as late as possible, and spare those.
        still = await _still_old(engine, [meta.key for meta, _ in candidates], old_enough)
        spared += len(candidates) - len(still)
        candidates = [(meta, kind) for meta, kind in candidates if meta.key in still]
    for meta, kind in candidates:
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
    doomed.extend(leases.stale)
    if run is not None:
        doomed.extend(await prune_runs(engine.layer, started, run.key))
    logger.info(
        "garbage collection %s %d object(s), %d bytes; spared %d newer than %s",
        "would delete" if dry_run else "deletes",
        len(doomed),
        freed,
        spared,
        cutoff,
    )
    if run is not None and doomed:
        if not run.deleting:
            await run.enter_deleting()
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
