"""Leases: what staged changes refer to survives garbage collection, whatever its age.

A writable session that stages anything takes a lease, a few small objects under
``leases/<token>/``:

- ``anchor``, written once before the session's first blob: garbage collection spares
  every object whose storage timestamp is not older than a fresh anchor, so the blobs the
  session uploads are kept however long they stay staged;
- ``part-<n>``, the ids of existing blobs the session refers to without writing them (a
  copied object shares its source's blobs), and at commit every blob id of the change set;
- ``beat``, rewritten now and then while the session works.

A lease is fresh while its newest object is younger than :data:`LEASE_TTL`; a stale lease
(its writer crashed or sat idle that long) protects nothing and garbage collection deletes
it.

Leases alone leave one race: a collection that read the leases just before a writer wrote
its own. So each collection announces itself first with a run record under ``gc-runs/``
(rewritten as a heartbeat while it runs), says in it when it enters its deleting phase,
and then reads the leases and the heads once more before deleting (leases first: a commit
drops its lease only after its branch moved, so one made meanwhile is seen either way).
A leased id that names a commit (a merge's source) is kept with all it reaches. A
writer, after writing its lease, reads the run records: a collection still marking will
read the leases again after this moment, so it sees the lease; one already deleting may
not have, so the writer waits for it to end and then checks that what it refers to
exists. The commit path repeats the
handshake with every blob id of its change set before the branch moves, and refuses
(IntegrityError naming the paths) rather than commit a reference to a missing blob; a
stale lease is the one way to get there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from sapwood.engine.format import Entry
from sapwood.engine.keys import blob_key, snapshot_key
from sapwood.engine.listing import list_objects
from sapwood.errors import IntegrityError, NotFoundError, SapwoodError
from sapwood.layer import ObjectLayer
from sapwood.storage import ObjectMeta

__all__ = [
    "GC_RUNS",
    "GC_STALE_AFTER",
    "LEASES",
    "LEASE_TTL",
    "GcRun",
    "LeaseView",
    "StagingLease",
    "blob_ids_of",
    "read_leases",
    "settle_collections",
]

LEASES: Final = "leases/"
GC_RUNS: Final = "gc-runs/"
LEASE_TTL: timedelta = timedelta(days=1)
"""How long a lease protects after its newest write (a module setting so tests can shorten
it)."""
GC_HEARTBEAT: timedelta = timedelta(seconds=20)
GC_STALE_AFTER: timedelta = timedelta(minutes=2)
"""A running collection whose record has not been rewritten for this long is taken for
dead (killed), and writers stop waiting for it."""
_MARKING: Final = b'{"state": "running", "phase": "marking"}'
_DELETING: Final = b'{"state": "running", "phase": "deleting"}'
_DONE: Final = b'{"state": "done"}'
_VERIFY_MARGIN: Final = timedelta(minutes=10)
"""Clock skew allowed between this machine and the store when deciding whether a
collection ran after a lease was anchored."""


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def blob_ids_of(entries: Iterable[Entry | None]) -> set[bytes]:
    """Every blob id the entries refer to."""
    found: set[bytes] = set()
    for entry in entries:
        if entry is not None and entry.chunks:
            found.update(chunk.id for chunk in entry.chunks)
    return found


async def _runs(layer: ObjectLayer) -> list[tuple[ObjectMeta, bool]]:
    """Each collection's run record and whether it is deleting (anything but marking or
    done, such as a damaged record, counts as deleting: waiting is the safe side)."""
    found: list[tuple[ObjectMeta, bool]] = []
    for meta in await list_objects(layer, GC_RUNS):
        try:
            state = await layer.get(meta.key)
        except NotFoundError:
            continue
        found.append((meta, state not in (_MARKING, _DONE)))
    return found


def _alive(meta: ObjectMeta, now: datetime) -> bool:
    return meta.last_modified is None or now - _aware(meta.last_modified) < GC_STALE_AFTER


async def settle_collections(layer: ObjectLayer) -> list[datetime]:
    """Wait until no live collection is deleting; the timestamps of the run records (a
    finished run's is its end), so a caller can tell whether one ran since a moment."""
    delay = 0.02
    while True:
        now = _now()
        runs = await _runs(layer)
        if not any(deleting and _alive(meta, now) for meta, deleting in runs):
            return [_aware(meta.last_modified) for meta, _ in runs if meta.last_modified]
        await asyncio.sleep(delay)
        delay = min(1.0, delay * 2)


async def _missing(
    layer: ObjectLayer, ids: Iterable[bytes], key_of: Callable[[bytes], str] = blob_key
) -> set[bytes]:
    gone: set[bytes] = set()
    semaphore = asyncio.Semaphore(32)

    async def check(raw: bytes) -> None:
        async with semaphore:
            try:
                await layer.head_as_stored(key_of(raw))
            except NotFoundError:
                gone.add(raw)

    await asyncio.gather(*(check(raw) for raw in ids))
    return gone


class StagingLease:
    """The lease of one writable session (see the module's description)."""

    def __init__(self, layer: ObjectLayer, *, transient: bool = False) -> None:
        """``transient``: the lease of one operation (a merge, a revert) that writes no
        blobs of its own; it only names the existing blobs its changes refer to."""
        self.layer = layer
        self.token = secrets.token_hex(12)
        self._parts = 0
        self._anchored_at: datetime | None = _now() if transient else None
        self._beat_at: datetime | None = self._anchored_at
        self._held: set[bytes] = set()
        self._fresh: set[bytes] = set()
        self._written: set[str] = set()

    def _key(self, name: str) -> str:
        key = f"{LEASES}{self.token}/{name}"
        self._written.add(key)
        return key

    async def anchor(self) -> None:
        """Make sure the lease exists and is fresh (before the session writes a blob)."""
        now = _now()
        if self._anchored_at is None:
            await self.layer.put(self._key("anchor"), b"")
            self._anchored_at = self._beat_at = now
        elif self._beat_at is not None and now - self._beat_at > LEASE_TTL / 4:
            await self.layer.put(self._key("beat"), b"")
            self._beat_at = now

    def note_written(self, ids: Iterable[bytes]) -> None:
        """Blobs the session itself has just written (after its anchor): the anchor
        protects them, so the commit need not name them."""
        if self._anchored_at is not None:
            self._fresh.update(ids)

    async def _record(self, ids: set[bytes]) -> None:
        await self.anchor()
        body = json.dumps(sorted(raw.hex() for raw in ids)).encode()
        await self.layer.put(self._key(f"part-{self._parts:08d}"), body)
        self._parts += 1
        self._held |= ids
        self._beat_at = _now()

    async def hold(self, ids: Iterable[bytes]) -> set[bytes]:
        """Lease existing blobs the session now refers to; the ids among them that are
        missing from the store (already deleted: the reference must not be staged)."""
        new = set(ids) - self._held
        if not new:
            return set()
        await self._record(new)
        await settle_collections(self.layer)
        gone = await _missing(self.layer, new)
        self._held -= gone
        return gone

    async def secure(
        self, changes: Mapping[str, Entry | None], parents: Iterable[bytes] = ()
    ) -> None:
        """Before a commit moves its branch: lease every blob the change set refers to
        (and ``parents``, commits it will name besides the branch's head, such as a
        merge's source: a collection keeps all they reach) and check they all exist if a
        collection may have run since the lease began.

        Raises IntegrityError naming the staged paths whose data is gone."""
        blobs = blob_ids_of(changes.values())
        commits = set(parents)
        ids = blobs | commits
        if not ids:
            return
        stale = self._beat_at is None or _now() - self._beat_at > LEASE_TTL
        since = self._anchored_at
        new = ids - self._held - self._fresh
        if new or stale:
            await self._record(ids - self._held if stale else new)
        runs = await settle_collections(self.layer)
        recent = since is None or stale or any(at >= since - _VERIFY_MARGIN for at in runs)
        if not recent:
            return
        lost = await _missing(self.layer, commits, key_of=snapshot_key)
        if lost:
            raise IntegrityError(
                f"nothing was committed: commit {min(lost).hex()} that this commit names as a "
                "parent is no longer in the store (garbage collection removed it while the "
                "commit was being made)"
            )
        gone = await _missing(self.layer, blobs)
        if not gone:
            return
        self._held -= gone
        paths = sorted(
            path
            for path, entry in changes.items()
            if entry is not None and blob_ids_of([entry]) & gone
        )
        raise IntegrityError(
            f"nothing was committed: {len(paths)} object(s) of this commit refer to data no "
            f"longer in the store ({', '.join(paths[:10])}); garbage collection deleted it "
            f"(changes staged longer than a lease lasts, {LEASE_TTL}, or data that no ref "
            "reached when a collection ran) or it was removed outside sapwood: upload those "
            "objects again (session.reset(path) drops the broken ones)"
        )

    async def release(self) -> None:
        """Drop the lease (nothing is staged any more)."""
        if not self._written:
            return
        await self.layer.delete_many(sorted(self._written))
        self._written.clear()
        self._fresh.clear()
        self._parts = 0
        self._anchored_at = self._beat_at = None
        self._held.clear()


@dataclass
class LeaseView:
    """What the fresh leases protect, as garbage collection sees them."""

    blobs: set[bytes] = field(default_factory=set)
    oldest_anchor: datetime | None = None
    """Objects not older than this belong to a session that may still commit them."""
    stale: list[str] = field(default_factory=list)
    """Keys of stale leases, deleted by the collection."""


async def read_leases(layer: ObjectLayer, now: datetime) -> LeaseView:
    """Every lease, sorted into what it protects and what is stale."""
    tokens: dict[str, list[ObjectMeta]] = {}
    for meta in await list_objects(layer, LEASES):
        token = meta.key[len(LEASES) :].split("/", 1)[0]
        tokens.setdefault(token, []).append(meta)
    view = LeaseView()
    for metas in tokens.values():
        stamps = [_aware(m.last_modified) for m in metas if m.last_modified is not None]
        if stamps and now - max(stamps) > LEASE_TTL:
            view.stale.extend(m.key for m in metas)
            continue
        for meta in metas:
            name = meta.key.rsplit("/", 1)[-1]
            if name == "anchor" and meta.last_modified is not None:
                anchor = _aware(meta.last_modified)
                if view.oldest_anchor is None or anchor < view.oldest_anchor:
                    view.oldest_anchor = anchor
            elif name.startswith("part-"):
                view.blobs |= await _lease_part(layer, meta.key)
    return view


async def _lease_part(layer: ObjectLayer, key: str) -> set[bytes]:
    try:
        body = await layer.get(key)
    except NotFoundError:
        return set()
    try:
        listed = json.loads(body)
        if not isinstance(listed, list):
            raise ValueError("not a list")
        return {bytes.fromhex(item) for item in listed}
    except (ValueError, TypeError, RecursionError) as error:
        raise IntegrityError(
            f"lease file {key} is damaged ({error}); garbage collection will not run past "
            "it: delete the file if no writer is staging changes"
        ) from None


class GcRun:
    """A collection's run record: written first, rewritten as a heartbeat, marked done."""

    def __init__(self, layer: ObjectLayer) -> None:
        self.layer = layer
        stamp = _now().strftime("%Y%m%dT%H%M%S")
        self.key = f"{GC_RUNS}{stamp}-{secrets.token_hex(6)}"
        self._beat: asyncio.Task[None] | None = None
        self._state = _MARKING
        self.deleting = False
        """Set before the run deletes anything; its record then stays, marked done."""
        self.started = _now()
        """The store's stamp on the run's record: objects stamped since are never deleted."""

    async def __aenter__(self) -> GcRun:
        meta = await self.layer.put(self.key, _MARKING)
        if meta.last_modified is None:
            meta = await self.layer.head(self.key)
        # The store's own clock (which may keep whole seconds, or lag in ticks, but never
        # stamps a later write before an earlier one), not this machine's.
        if meta.last_modified is not None:
            self.started = _aware(meta.last_modified)
        self._beat = asyncio.create_task(self._heartbeat())
        return self

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(GC_HEARTBEAT.total_seconds())
            await self.layer.put(self.key, self._state)

    async def enter_deleting(self) -> None:
        """Tell writers that from now on this run may delete (it reads the leases once
        more right after this)."""
        self._state = _DELETING
        self.deleting = True
        await self.layer.put(self.key, _DELETING)

    async def __aexit__(self, *exc: object) -> None:
        if self._beat is not None:
            self._beat.cancel()
            with contextlib.suppress(asyncio.CancelledError, SapwoodError):
                await self._beat
        if self.deleting:
            await self.layer.put(self.key, _DONE)
        else:
            # It deleted nothing, so no writer needs to know it ran.
            await self.layer.delete(self.key)


async def prune_runs(layer: ObjectLayer, now: datetime, keep: str) -> list[str]:
    """Run records older than a lease lasts (no lease can predate them any more)."""
    return [
        meta.key
        for meta in await list_objects(layer, GC_RUNS)
        if meta.key != keep
        and meta.last_modified is not None
        and now - _aware(meta.last_modified) > LEASE_TTL + _VERIFY_MARGIN
    ]
