"""Snapshots (commits): verified, cached reads and writes, and their trees."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final

import msgspec

from sapwood.engine.cache import DecodedCache
from sapwood.engine.format import (
    EMPTY_TABLE,
    KIND_SNAPSHOT,
    NO_RECORD,
    RangeTable,
    Snapshot,
    decode_object,
    encode_object,
    from_micros,
)
from sapwood.engine.ids import content_id
from sapwood.engine.keys import SNAPSHOTS, snapshot_key
from sapwood.engine.listing import take
from sapwood.engine.manifests import ManifestStore, Tree
from sapwood.errors import IntegrityError, NotFoundError, RefNotFoundError
from sapwood.layer import ObjectLayer
from sapwood.models import Commit

__all__ = ["COMPRESS_FROM_BYTES", "INLINE_RANGES", "SnapshotStore", "commit_of"]

INLINE_RANGES: Final = 32
"""Trees with at most this many ranges list them inside the snapshot itself; larger ones
keep them in an index object, so reading a commit for ``log`` stays cheap."""


COMPRESS_FROM_BYTES: Final = 4096
"""Snapshots smaller than this are stored uncompressed: zstd saves them at most a few
hundred bytes, while decoding costs every ``log`` step (and, in a format 1 repository on a
local folder, a second read for the object's metadata)."""


def commit_of(raw: bytes, snapshot: Snapshot) -> Commit:
    """The public :class:`~sapwood.models.Commit` of a snapshot."""
    return Commit(
        id=raw.hex(),
        parents=tuple(p.hex() for p in snapshot.parents),
        message=snapshot.message,
        metadata=dict(snapshot.metadata),
        author=snapshot.author,
        committed_at=from_micros(snapshot.committed_at_us),
    )


def _weight(snapshot: Snapshot) -> int:
    """A snapshot's weight in the decoded cache (whose unit is about 2 KB)."""
    record = snapshot.record
    return 1 + len(snapshot.ranges or ()) + (0 if record is None else len(record) // 2048)


class SnapshotStore:
    """Reads and writes snapshots through the object layer."""

    def __init__(
        self, layer: ObjectLayer, cache: DecodedCache[object], manifests: ManifestStore
    ) -> None:
        self.layer = layer
        self.cache = cache
        self.manifests = manifests

    async def read(self, raw: bytes) -> Snapshot:
        """The snapshot ``raw`` names; RefNotFoundError if there is none."""
        cached = self.cache.get(raw)
        if isinstance(cached, Snapshot):
            return cached
        key = snapshot_key(raw)
        try:
            data = await self.layer.get(key, immutable=True)
        except NotFoundError:
            raise RefNotFoundError(
                f"commit {raw.hex()} does not exist (it may have been expired and garbage "
                "collected)"
            ) from None
        if content_id(data) != raw:
            raise IntegrityError(
                f"snapshot {key} is damaged: its content does not hash to its name"
            )
        value = decode_object(KIND_SNAPSHOT, data, f"snapshot {key}")
        assert isinstance(value, Snapshot)
        self.cache.put(raw, value, _weight(value))
        return value

    async def exists(self, raw: bytes) -> bool:
        """True if the snapshot is stored."""
        if isinstance(self.cache.get(raw), Snapshot):
            return True
        try:
            await self.layer.head_as_stored(snapshot_key(raw))
        except NotFoundError:
            return False
        return True

    async def ranges_of(self, snapshot: Snapshot) -> RangeTable:
        """The snapshot's range table, from itself or its index object."""
        if snapshot.ranges is not None:
            return snapshot.ranges
        if snapshot.index is None:
            return EMPTY_TABLE
        return await self.manifests.load_index(snapshot.index)

    async def tree(self, raw: bytes) -> Tree:
        """The manifest tree of the snapshot ``raw`` names."""
        return Tree(self.manifests, await self.ranges_of(await self.read(raw)))

    async def trees(self, first: bytes, second: bytes) -> tuple[Tree, Tree]:
        """The trees of two snapshots, read concurrently unless both are in memory
        (where running two tasks would cost more than it saves)."""
        if self._tree_in_memory(first) and self._tree_in_memory(second):
            return await self.tree(first), await self.tree(second)
        one, other = await asyncio.gather(self.tree(first), self.tree(second))
        return one, other

    def _tree_in_memory(self, raw: bytes) -> bool:
        snapshot = self.cache.get(raw)
        if not isinstance(snapshot, Snapshot):
            return False
        return snapshot.index is None or isinstance(
            self.manifests.cache.get(snapshot.index), RangeTable
        )

    async def write(
        self,
        *,
        parents: tuple[bytes, ...],
        message: str,
        author: str,
        committed_at_us: int,
        metadata: Mapping[str, str],
        ranges: RangeTable,
        packs: Sequence[tuple[bytes, bytes]] = (),
        changes: msgspec.Raw | None = None,
    ) -> tuple[bytes, Snapshot]:
        """Store a new snapshot, after its manifests: the range ``packs`` not written yet
        and, when its range table is long, its index object (those two concurrently).
        ``changes`` is its record of what it changed (see :mod:`sapwood.engine.changelog`).
        """
        count = sum(ranges.counts)
        writing_packs = self.manifests.write_packs(packs)
        if len(ranges) <= INLINE_RANGES:
            await writing_packs
            snapshot = Snapshot(
                parents,
                message,
                author,
                committed_at_us,
                dict(metadata),
                count,
                ranges,
                None,
                NO_RECORD if changes is None else changes,
            )
        else:
            _, index = await asyncio.gather(writing_packs, self.manifests.write_index(ranges))
            snapshot = Snapshot(
                parents,
                message,
                author,
                committed_at_us,
                dict(metadata),
                count,
                None,
                index,
                NO_RECORD if changes is None else changes,
            )
        data = encode_object(KIND_SNAPSHOT, snapshot)
        raw = content_id(data)
        compress = len(data) >= COMPRESS_FROM_BYTES
        await self.layer.put(snapshot_key(raw), data, immutable=True, compress=compress)
        self.cache.put(raw, snapshot, _weight(snapshot))
        return raw, snapshot

    async def ids_with_prefix(self, prefix: str, limit: int = 2) -> list[str]:
        """Up to ``limit`` stored snapshot ids starting with the hex ``prefix``."""
        found = await take(self.layer, SNAPSHOTS + prefix, limit)
        return [meta.key[len(SNAPSHOTS) :] for meta in found]

    @staticmethod
    def time_of(snapshot: Snapshot) -> datetime:
        """When the snapshot was committed."""
        return from_micros(snapshot.committed_at_us)
