"""The engine of one open repository: its stores, settings and clock, in one place.

Everything reads and writes through one :class:`~sapwood.layer.ObjectLayer`; no engine code
touches a Storage directly.
"""

from __future__ import annotations

import getpass
import os
import weakref
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import msgspec

from sapwood.config import RepositoryConfig
from sapwood.engine.blobs import BlobStore
from sapwood.engine.cache import DecodedCache
from sapwood.engine.chunking import ChunkingPolicy
from sapwood.engine.config_file import write_document
from sapwood.engine.content import ContentReader
from sapwood.engine.format import (
    EMPTY_TABLE,
    SELF_DESCRIBING_SINCE,
    Entry,
    RefMode,
    RepositoryDocument,
    Snapshot,
    to_micros,
)
from sapwood.engine.keys import BLOBS, EXPIRED, SNAPSHOTS, id_from_key
from sapwood.engine.listing import list_objects
from sapwood.engine.manifests import ManifestStore, Tree
from sapwood.engine.read_ahead import ReadAhead
from sapwood.engine.refs import RefStore
from sapwood.engine.snapshots import SnapshotStore
from sapwood.engine.virtual import ContainerOpener, VirtualResolver
from sapwood.layer import ObjectLayer

__all__ = ["DEFAULT_BRANCH", "Engine", "default_author"]

DEFAULT_BRANCH = "main"


def default_author() -> str:
    """``SAPWOOD_AUTHOR`` if set, else the operating-system user, else ``"unknown"``."""
    configured = os.environ.get("SAPWOOD_AUTHOR")
    if configured:
        return configured
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "unknown"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Engine:
    """Stores and settings of one open repository.

    Built by :mod:`sapwood.engine.lifecycle` from a ready object layer; ``open_container``
    (from the composition root) opens the stores of virtual chunk containers.
    """

    def __init__(
        self,
        layer: ObjectLayer,
        document: RepositoryDocument,
        config: RepositoryConfig,
        *,
        ref_mode: RefMode,
        open_container: ContainerOpener | None = None,
    ) -> None:
        resolved = config.resolved()
        chunking = resolved.chunking
        limits = resolved.limits
        assert chunking is not None
        assert limits is not None
        self.layer = layer
        self.document = document
        if document.format_version >= SELF_DESCRIBING_SINCE:
            # Content-addressed and immutable: their bytes say how they are encoded.
            layer.self_describing.set((BLOBS, SNAPSHOTS))
        self.config = config
        self.resolved_config = resolved
        caching = resolved.caching
        budget = caching.max_bytes if caching is not None and caching.max_bytes else 0
        # A decoded manifest entry costs about 400 bytes of Python objects: give decoded
        # objects about a fifth of the configured cache size, within sane bounds.
        self.cache: DecodedCache[object] = DecodedCache(min(1_000_000, max(20_000, budget // 2048)))
        concurrency = min(32, limits.max_concurrent_requests or 32)
        self.concurrency = concurrency
        compression = resolved.compression
        level = None
        if compression is not None and compression.algorithm == "zstd":
            level = compression.level if compression.level is not None else 3
        self.manifests = ManifestStore(
            layer,
            self.cache,
            range_entries=chunking.manifest_range_entries or 128,
            concurrency=concurrency,
            compression_level=level,
        )
        self.snapshots = SnapshotStore(layer, self.cache, self.manifests)
        self.blobs = BlobStore(layer)
        head_ttl = caching.branch_head_ttl_seconds if caching is not None else None
        self.refs = RefStore(layer, ref_mode, head_max_age=head_ttl or 0.0)
        self.policy = ChunkingPolicy.from_config(resolved)
        self.partial_concurrency = resolved.get_partial_values_concurrency or 10
        self.virtual = VirtualResolver(resolved, open_container)
        self.clock: Callable[[], datetime] = _utc_now
        self._read_ahead_objects = min(
            concurrency, caching.read_ahead_max_objects or 0 if caching is not None else 0
        )
        self._read_ahead_bytes = caching.read_ahead_max_bytes or 0 if caching is not None else 0
        self._read_aheads: weakref.WeakSet[ReadAhead] = weakref.WeakSet()

    @property
    def default_branch(self) -> str:
        """The branch made at creation (``main`` unless chosen), which cannot be deleted."""
        return self.document.default_branch

    def commit_time_us(self, parents: Sequence[Snapshot]) -> int:
        """Now, but always after every parent, so time order is also history order."""
        now = to_micros(self.clock())
        latest = max((p.committed_at_us for p in parents), default=now - 1)
        return max(now, latest + 1)

    async def tree(self, raw: bytes | None) -> Tree:
        """The manifest tree of a snapshot (an empty tree for None)."""
        if raw is None:
            return Tree(self.manifests, EMPTY_TABLE)
        return await self.snapshots.tree(raw)

    async def expired(self) -> set[bytes]:
        """Snapshots cut out of history by :func:`~sapwood.engine.gc.expire_snapshots`."""
        found: set[bytes] = set()
        for meta in await list_objects(self.layer, EXPIRED):
            raw = id_from_key(meta.key)
            if raw is not None:
                found.add(raw)
        return found

    def reader(self, entry: Entry) -> ContentReader:
        """Random access to an entry's bytes."""
        return ContentReader(
            entry,
            self.blobs,
            virtual_fetch=self.virtual.fetch,
            concurrency=self.partial_concurrency,
        )

    def read_ahead(self) -> ReadAhead:
        """Sequential read-ahead state for one more reading handle (see
        :mod:`sapwood.engine.read_ahead`); configured by ``caching.read_ahead_max_*``."""
        ahead = ReadAhead(
            self.blobs,
            max_objects=self._read_ahead_objects,
            max_bytes=self._read_ahead_bytes,
            metrics=self.layer.metrics,
            metrics_tags=self.layer.metrics_tags,
        )
        self._read_aheads.add(ahead)
        return ahead

    async def close(self) -> None:
        """Cancel reads ahead, wait for writes behind, close the virtual containers' stores
        (the repository closes the layer)."""
        for ahead in list(self._read_aheads):
            ahead.close()
        await self.blobs.close()
        await self.virtual.close()

    async def save_config(self) -> None:
        """Store :attr:`config` in the repository's document (credentials are never stored)."""
        document = msgspec.structs.replace(self.document, config=self.config)
        await write_document(self.layer, document, create=False)
        self.document = document
