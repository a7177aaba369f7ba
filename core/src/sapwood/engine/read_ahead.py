"""Sequential read-ahead: a plain ``for path in paths: ref.download(path)`` loop that walks
a snapshot's paths in order gets its next objects fetched while it works on this one.

One :class:`ReadAhead` belongs to one reading handle (a reference, a branch, a session).
It watches the paths that handle downloads. When a download is the successor, in the
snapshot's path order, of the previous one, the handle is reading sequentially: the
blobs of the next few paths are fetched concurrently, the window doubling on each
further sequential download up to ``caching.read_ahead_max_objects`` and bounded by
``caching.read_ahead_max_bytes`` of fetched-but-unread data, as an operating system
reads ahead in a file. Any other access (another path, another snapshot) cancels what is
in flight and starts over with no window. Downloads made concurrently on one handle
(``asyncio.gather``, a folder download) already overlap their requests: while one
download runs, others on the same handle read directly and leave the sequence alone.

What a read returns never changes: a prefetched blob is used only for the download of an
entry naming that exact blob id, and its bytes were verified against the id like any
read. A prefetch that failed is forgotten, and the download that wanted it reads the blob
itself, so an error surfaces only from that read, as it would without read-ahead.
Prefetches go through the object layer, so its limiter, retries and cache apply to them;
the ``readahead.*`` metrics (see :data:`sapwood.layer.METRIC_NAMES`) count them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Final

from sapwood.engine.blobs import BlobStore
from sapwood.engine.format import Entry
from sapwood.engine.manifests import Tree
from sapwood.extensions import MetricsBackend

__all__ = ["ReadAhead", "single_blob"]

log = logging.getLogger(__name__)

_FIRST_WINDOW: Final = 2
_LOOK_AHEAD_BATCH: Final = 64
"""Paths taken from the manifest at a time to know which come next."""


def single_blob(entry: Entry) -> bytes | None:
    """The id of the one blob holding ``entry``'s bytes, or None (inline, virtual or
    chunked entries are not fetched ahead)."""
    chunks = entry.chunks
    if chunks is not None and len(chunks) == 1 and entry.inline is None:
        return chunks[0].id
    return None


class ReadAhead:
    """Read-ahead state of one reading handle; see the module docstring."""

    def __init__(
        self,
        blobs: BlobStore,
        *,
        max_objects: int,
        max_bytes: int,
        metrics: MetricsBackend,
        metrics_tags: Mapping[str, str],
    ) -> None:
        self._blobs = blobs
        self.max_objects = max(0, max_objects)
        self.max_bytes = max(0, max_bytes)
        self._metrics = metrics
        self._tags = {"operation": "get", **metrics_tags}
        self._snapshot: bytes | None = None
        self._upcoming: deque[Entry] = deque()
        """Entries after the last download, in path order, as far as looked ahead."""
        self._walked_to: str | None = None
        """The last path taken from the manifest into ``_upcoming`` (None: not looked)."""
        self._exhausted = False
        self._window = 0
        self._considered = 0
        """How many of ``_upcoming``'s first entries were fetched ahead or need no fetch."""
        self._fetched: dict[bytes, tuple[asyncio.Task[bytes], int]] = {}
        self._bytes = 0
        self._closed = False
        self._active = False

    @property
    def enabled(self) -> bool:
        """False when configured off (``read_ahead_max_objects`` or ``_max_bytes`` is 0)."""
        return self.max_objects > 0 and self.max_bytes > 0 and not self._closed

    @property
    def window(self) -> int:
        """How many upcoming objects are fetched ahead now (0 until reads are sequential)."""
        return self._window

    @property
    def in_flight(self) -> int:
        """Blobs fetched ahead and not yet read (running or done)."""
        return len(self._fetched)

    async def download(
        self, snapshot: bytes, tree: Tree, entry: Entry, read: Callable[[], Awaitable[bytes]]
    ) -> bytes:
        """The bytes of ``entry`` (read by ``read`` unless fetched ahead), after noting the
        download of ``entry.path`` at ``snapshot`` (whose manifest is ``tree``)."""
        if not self.enabled or self._active:
            # Downloads running concurrently on one handle already overlap their requests:
            # read-ahead is for a loop that waits for each one.
            return await read()
        self._active = True
        try:
            return await self._download(snapshot, tree, entry, read)
        finally:
            self._active = False

    async def _download(
        self, snapshot: bytes, tree: Tree, entry: Entry, read: Callable[[], Awaitable[bytes]]
    ) -> bytes:
        sequential = self._observe(snapshot, entry.path)
        blob_id = single_blob(entry)
        ready = self._fetched.pop(blob_id, None) if blob_id is not None else None
        if ready is not None:
            self._bytes -= ready[1]
        if sequential:
            await self._plan(tree, issue=True)
        if ready is not None:
            data = await self._prefetched(ready[0])
            if data is not None:
                self._count("readahead.used")
                return data
        data = await read()
        if not sequential:
            await self._plan(tree, issue=False)
        return data

    def close(self) -> None:
        """Cancel every fetch ahead; later downloads read as if read-ahead were off."""
        self._closed = True
        self._drop()

    # -- the sequence -----------------------------------------------------------------------

    def _observe(self, snapshot: bytes, path: str) -> bool:
        """True if ``path`` is the successor of the previous download at the same snapshot
        (then the window grows); otherwise everything fetched ahead is dropped."""
        if snapshot == self._snapshot and self._upcoming and self._upcoming[0].path == path:
            self._upcoming.popleft()
            self._considered = max(0, self._considered - 1)
            self._window = min(self.max_objects, max(_FIRST_WINDOW, self._window * 2))
            return True
        self._drop()
        self._snapshot = snapshot
        self._upcoming.clear()
        self._considered = 0
        self._walked_to = path
        self._exhausted = False
        self._window = 0
        return False

    async def _plan(self, tree: Tree, *, issue: bool) -> None:
        """Know the paths that come next and, if ``issue``, fetch the window's blobs. A
        failure here (a manifest range that cannot be read) only stops reading ahead."""
        try:
            await self._look_ahead(tree, max(1, self._window))
        except Exception as error:  # read-ahead is an optimisation: never fail a read
            log.debug("read-ahead stopped: the manifest could not be walked: %s", error)
            self._upcoming.clear()
            self._considered = 0
            self._exhausted = True
            return
        if issue:
            self._issue()

    async def _look_ahead(self, tree: Tree, wanted: int) -> None:
        if len(self._upcoming) >= wanted or self._exhausted or self._walked_to is None:
            return
        # Until reads are sequential only the successor is needed (usually in the range
        # the download's own lookup loaded): random access loads no extra manifest range.
        limit = _LOOK_AHEAD_BATCH if self._window else 1
        batch = await tree.following(self._walked_to, max(wanted, limit))
        if not batch:
            self._exhausted = True
            return
        self._upcoming.extend(batch)
        self._walked_to = batch[-1].path

    def _issue(self) -> None:
        upcoming = self._upcoming
        for index in range(self._considered, min(self._window, len(upcoming))):
            entry = upcoming[index]
            blob_id = single_blob(entry)
            if blob_id is not None and blob_id not in self._fetched:
                if self._bytes + entry.size > self.max_bytes:
                    return  # fetched when earlier ones are read and bytes free up
                task = asyncio.ensure_future(self._blobs.get(blob_id, cache=True))
                task.add_done_callback(self._settled)
                self._fetched[blob_id] = (task, entry.size)
                self._bytes += entry.size
                self._count("readahead.issued")
            self._considered = index + 1

    # -- fetched blobs ----------------------------------------------------------------------

    async def _prefetched(self, task: asyncio.Task[bytes]) -> bytes | None:
        """The blob ``task`` fetched, or None if the fetch failed or was cancelled (the
        download then reads it itself)."""
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled():
                return None
            raise  # the download itself was cancelled
        except Exception:
            return None

    def _settled(self, task: asyncio.Task[bytes]) -> None:
        # Retrieve a failure so asyncio does not log it: it belongs to a later read only.
        if not task.cancelled() and task.exception() is not None:
            self._count("readahead.failed")

    def _drop(self) -> None:
        for task, _ in self._fetched.values():
            if not task.done():
                task.cancel()
            self._count("readahead.dropped")
        self._fetched.clear()
        self._bytes = 0

    def _count(self, name: str) -> None:
        with contextlib.suppress(Exception):  # a metrics backend never fails a read
            self._metrics.record(name, 1, self._tags)
