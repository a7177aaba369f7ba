"""Manifests: the sorted path -> entry map of a snapshot, cut into bounded ranges.

A snapshot lists its ranges (first path, last path, manifest id, count). A commit rewrites
only the ranges that contain changed paths and reuses every other range by id, so its cost
follows the number of changes, not the size of the repository. Ranges hold between a quarter
of and twice ``manifest_range_entries`` entries (except in tiny trees): an overfull range is
split, an underfull one merged with its neighbour.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Final, cast

import msgspec
import zstandard

from sapwood.engine.cache import DecodedCache
from sapwood.engine.format import (
    KIND_INDEX,
    KIND_RANGE,
    Entry,
    RangeRef,
    RangeTable,
    decode_encoded_range,
    decode_object,
    encode_object,
)
from sapwood.engine.ids import content_id
from sapwood.engine.keys import manifest_key
from sapwood.engine.paths import prefix_successor
from sapwood.errors import IntegrityError, NotFoundError
from sapwood.layer import ObjectLayer
from sapwood.layer.compression import frame_size
from sapwood.storage import ByteRange

__all__ = ["ManifestStore", "Tree", "merge_changes"]

PREFETCH: Final = 8
PACK_LIMIT: Final = 8 * 1024 * 1024
"""A pack holds at most about this many (compressed) bytes of ranges."""
COALESCE_GAP: Final = 64 * 1024
SPAN_LIMIT: Final = 16 * 1024 * 1024
COMPRESS_FROM: Final = 256
ZSTD_MAGIC: Final = b"\x28\xb5\x2f\xfd"


def _entry_path(entry: Entry) -> str:
    return entry.path


class ManifestStore:
    """Reads (verified, cached decoded) and writes manifest ranges and range indexes.

    The ranges a commit writes go into one pack object (or a few, past ``PACK_LIMIT``), so
    a commit costs one manifest write however many ranges it touches; each range is read
    back with a ranged read of its pack (neighbouring ranges in one request) and verified
    against its own id. Ranges are zstd-compressed individually, so packs are stored
    as-is and stay readable by range.
    """

    def __init__(
        self,
        layer: ObjectLayer,
        cache: DecodedCache[object],
        *,
        range_entries: int,
        concurrency: int = 16,
        compression_level: int | None = 3,
    ) -> None:
        self.layer = layer
        self.cache = cache
        self.range_entries = range_entries
        self._semaphore = asyncio.Semaphore(max(1, concurrency))
        self._compressor = (
            zstandard.ZstdCompressor(level=compression_level)
            if compression_level is not None
            else None
        )
        self._decompressor = zstandard.ZstdDecompressor()
        self._loading: dict[
            tuple[asyncio.AbstractEventLoop, bytes], asyncio.Future[list[Entry]]
        ] = {}

    # -- ranges -----------------------------------------------------------------------------

    def _encode_range(self, entries: list[Entry]) -> tuple[bytes, bytes]:
        data = encode_object(KIND_RANGE, entries)
        raw = content_id(data)
        if self._compressor is not None and len(data) >= COMPRESS_FROM:
            packed = self._compressor.compress(data)
            if len(packed) < len(data):
                return raw, packed
        return raw, data

    def decode_range(self, ref: RangeRef, stored: bytes) -> list[Entry]:
        """The entries of range ``ref`` from its stored bytes, verified against its id
        (IntegrityError if they do not match or do not decode)."""
        return self._decode_range(ref, stored)

    def _verified(self, ref: RangeRef, stored: bytes) -> tuple[bytes, str]:
        """The encoded range (decompressed) from its stored bytes, checked against its id,
        and how to name it in errors."""
        what = f"manifest range {ref.id.hex()} (in pack {ref.pack.hex()})"
        data = stored
        if stored[:4] == ZSTD_MAGIC:
            frame_size(stored, len(stored), what)  # a damaged header claiming terabytes
            try:
                data = self._decompressor.decompress(stored)
            except zstandard.ZstdError as exc:
                raise IntegrityError(f"{what} does not decompress: {exc}") from None
        if content_id(data) != ref.id:
            raise IntegrityError(
                f"{what} is damaged: its content does not hash to its id; restore the pack "
                "from a backup"
            )
        return data, what

    def _decode_range(self, ref: RangeRef, stored: bytes) -> list[Entry]:
        data, what = self._verified(ref, stored)
        value = decode_object(KIND_RANGE, data, what)
        assert isinstance(value, list)
        return value

    async def load_range(self, ref: RangeRef) -> list[Entry]:
        """The entries of one range, sorted by path."""
        cached = self.cache.get(ref.id)
        if cached is not None:
            return cast(list[Entry], cached)
        return (await self.load_ranges([ref]))[0]

    def cached_ranges(self, ids: Sequence[bytes]) -> list[list[Entry]] | None:
        """The entries of every range in ``ids`` if all of them are decoded in memory,
        else None (a shortcut that schedules no task)."""
        found = self.cache.get_many(ids)
        if None in found:
            return None
        return cast(list[list[Entry]], found)

    async def load_encoded_ranges(
        self, refs: Sequence[RangeRef]
    ) -> list[list[Entry] | list[msgspec.Raw]]:
        """Several ranges at once, for a caller that compares them before it reads them:
        the decoded entries of a range held in memory, else its entries' msgpack bytes
        (verified against the range id, not decoded, and not kept: decoding every entry
        costs more than reading them when only a few are wanted)."""
        cached = self.cache.get_many([ref.id for ref in refs])
        missing = {ref.id: ref for ref, value in zip(refs, cached, strict=True) if value is None}
        encoded: dict[bytes, list[msgspec.Raw]] = {}
        if missing:
            spans = _coalesce(sorted(missing.values(), key=lambda r: (r.pack, r.offset)))
            fetched = await asyncio.gather(*(self._fetch_span(span) for span in spans))
            for span, data in zip(spans, fetched, strict=True):
                begin = span[0].offset
                for ref in span:
                    start = ref.offset - begin
                    raw, what = self._verified(ref, data[start : start + ref.length])
                    encoded[ref.id] = decode_encoded_range(raw, what)
        return [
            cast(list[Entry], value) if value is not None else encoded[ref.id]
            for ref, value in zip(refs, cached, strict=True)
        ]

    async def load_ranges(self, refs: Sequence[RangeRef]) -> list[list[Entry]]:
        """Several ranges at once; ranges close together in one pack share a request, and
        a range another task is already loading is awaited rather than loaded again."""
        found: dict[bytes, list[Entry]] = {}
        waiting: dict[bytes, asyncio.Future[list[Entry]]] = {}
        mine: dict[bytes, RangeRef] = {}
        loop = asyncio.get_running_loop()
        for ref in refs:
            if ref.id in found or ref.id in waiting or ref.id in mine:
                continue
            cached = self.cache.get(ref.id)
            if cached is not None:
                found[ref.id] = cast(list[Entry], cached)
                continue
            pending = self._loading.get((loop, ref.id))
            if pending is not None:
                waiting[ref.id] = pending
            else:
                mine[ref.id] = ref
                self._loading[(loop, ref.id)] = loop.create_future()
        if mine:
            await self._load_mine(loop, list(mine.values()), found)
        for raw, pending in waiting.items():
            found[raw] = await asyncio.shield(pending)
        return [found[ref.id] for ref in refs]

    async def _load_mine(
        self,
        loop: asyncio.AbstractEventLoop,
        refs: list[RangeRef],
        found: dict[bytes, list[Entry]],
    ) -> None:
        try:
            spans = _coalesce(sorted(refs, key=lambda r: (r.pack, r.offset)))
            fetched = await asyncio.gather(*(self._fetch_span(span) for span in spans))
            for span, data in zip(spans, fetched, strict=True):
                begin = span[0].offset
                for ref in span:
                    start = ref.offset - begin
                    entries = self._decode_range(ref, data[start : start + ref.length])
                    self.cache.put(ref.id, entries, len(entries))
                    found[ref.id] = entries
        except BaseException as exc:
            for ref in refs:
                future = self._loading.pop((loop, ref.id), None)
                if future is not None and not future.done():
                    future.set_exception(exc)
                    future.exception()  # nobody may be waiting: mark it retrieved
            raise
        for ref in refs:
            future = self._loading.pop((loop, ref.id), None)
            if future is not None and not future.done():
                future.set_result(found[ref.id])

    async def _fetch_span(self, span: list[RangeRef]) -> bytes:
        pack = span[0].pack
        start = span[0].offset
        stop = max(ref.offset + ref.length for ref in span)
        key = manifest_key(pack)
        try:
            async with self._semaphore:
                if self.layer.capabilities.byte_ranges:
                    data = await self.layer.get(key, ByteRange(start, stop), immutable=True)
                else:
                    data = (await self.layer.get(key, immutable=True))[start:stop]
        except NotFoundError:
            raise IntegrityError(
                f"manifest pack {pack.hex()} is missing from the store although a snapshot "
                "refers to it; it was deleted outside sapwood"
            ) from None
        if len(data) != stop - start:
            raise IntegrityError(f"manifest pack {pack.hex()} is shorter than its ranges say")
        return data

    async def write_ranges(
        self, pieces: Sequence[list[Entry]], deferred: list[tuple[bytes, bytes]] | None = None
    ) -> list[RangeRef]:
        """Store lists of entries as ranges, packed into as few objects as possible; their
        refs, in order. With ``deferred``, the packs are appended there for the caller to
        write (with :meth:`write_packs`) instead of being written now."""
        packs: list[list[tuple[list[Entry], bytes, bytes]]] = [[]]
        size = 0
        for entries in pieces:
            raw, stored = self._encode_range(entries)
            if size and size + len(stored) > PACK_LIMIT:
                packs.append([])
                size = 0
            packs[-1].append((entries, raw, stored))
            size += len(stored)
        refs: list[RangeRef] = []
        writes: list[tuple[bytes, bytes]] = []
        for members in packs:
            if not members:
                continue
            data = b"".join(stored for _, _, stored in members)
            pack = content_id(data)
            writes.append((pack, data))
            offset = 0
            for entries, raw, stored in members:
                self.cache.put(raw, entries, len(entries))
                refs.append(
                    RangeRef(
                        entries[0].path,
                        entries[-1].path,
                        raw,
                        len(entries),
                        pack,
                        offset,
                        len(stored),
                    )
                )
                offset += len(stored)
        if deferred is not None:
            deferred.extend(writes)
        else:
            await self.write_packs(writes)
        return refs

    async def write_packs(self, packs: Sequence[tuple[bytes, bytes]]) -> None:
        """Write packs prepared by :meth:`write_ranges` (stored uncompressed: their ranges
        are compressed one by one so that each can be read by range)."""
        await asyncio.gather(*(self._put(pack, data, compress=False) for pack, data in packs))

    # -- indexes ----------------------------------------------------------------------------

    async def load_index(self, raw: bytes) -> RangeTable:
        """A snapshot's range table kept in its own object."""
        cached = self.cache.get(raw)
        if isinstance(cached, RangeTable):
            return cached
        key = manifest_key(raw)
        try:
            async with self._semaphore:
                data = await self.layer.get(key, immutable=True)
        except NotFoundError:
            raise IntegrityError(
                f"range index {raw.hex()} is missing from the store although a snapshot "
                "refers to it; it was deleted outside sapwood"
            ) from None
        if content_id(data) != raw:
            raise IntegrityError(
                f"range index {key} is damaged: its content does not hash to its name"
            )
        value = decode_object(KIND_INDEX, data, f"range index {key}")
        assert isinstance(value, RangeTable)
        self.cache.put(raw, value, 1 + len(value) // 8)
        return value

    async def write_index(self, table: RangeTable) -> bytes:
        """Store a range table as an index object; its id. It is stored uncompressed:
        compressing it would cost more time than the bytes it saves."""
        data = encode_object(KIND_INDEX, table)
        raw = content_id(data)
        await self._put(raw, data, compress=False)
        self.cache.put(raw, table, 1 + len(table) // 8)
        return raw

    async def _put(self, raw: bytes, data: bytes, *, compress: bool) -> None:
        async with self._semaphore:
            await self.layer.put(
                manifest_key(raw),
                data,
                immutable=True,
                compress=compress,
            )

    def cut(self, entries: list[Entry]) -> list[list[Entry]]:
        """Split a sorted run of entries into pieces of about ``range_entries`` each."""
        size = self.range_entries
        count = len(entries)
        if count <= 2 * size:
            return [entries] if entries else []
        pieces = -(-count // size)
        bounds = [count * k // pieces for k in range(pieces + 1)]
        return [entries[bounds[k] : bounds[k + 1]] for k in range(pieces)]


def _coalesce(refs: list[RangeRef]) -> list[list[RangeRef]]:
    """Group ranges (sorted by pack and offset) into spans worth one ranged read each."""
    spans: list[list[RangeRef]] = []
    for ref in refs:
        if spans:
            span = spans[-1]
            first, last = span[0], span[-1]
            end = last.offset + last.length
            if (
                ref.pack == first.pack
                and ref.offset - end <= COALESCE_GAP
                and ref.offset + ref.length - first.offset <= SPAN_LIMIT
            ):
                span.append(ref)
                continue
        spans.append([ref])
    return spans


def merge_changes(
    entries: list[Entry], changes: Iterable[tuple[str, Entry | None]]
) -> tuple[list[Entry], bool]:
    """Apply sorted ``(path, entry or None for delete)`` changes to sorted entries.

    A change to identical content keeps the old entry. Returns the new list and whether
    anything changed.
    """
    out: list[Entry] = []
    position = 0
    changed = False
    for path, new in changes:
        found = bisect.bisect_left(entries, path, lo=position, key=_entry_path)
        out.extend(entries[position:found])
        position = found
        old: Entry | None = None
        if position < len(entries) and entries[position].path == path:
            old = entries[position]
            position += 1
        if new is None:
            changed = changed or old is not None
        elif old is not None and old.same_content(new):
            out.append(old)
        else:
            out.append(new)
            changed = True
    out.extend(entries[position:])
    return out, changed


class Tree:
    """A snapshot's manifest: lookups, ordered iteration and copy-on-write changes."""

    def __init__(self, store: ManifestStore, table: RangeTable) -> None:
        self.store = store
        self.table = table
        self._firsts = table.firsts
        self._lasts = table.lasts

    def __len__(self) -> int:
        return len(self.table)

    @property
    def count(self) -> int:
        """The number of objects."""
        return sum(self.table.counts)

    def locate(self, path: str) -> int:
        """The index of the range that holds (or would hold) ``path``."""
        return max(0, bisect.bisect_right(self._firsts, path) - 1)

    def span(self, prefix: str) -> range:
        """Indexes of the ranges that may hold paths starting with ``prefix``."""
        if not prefix:
            return range(len(self.table))
        low = bisect.bisect_left(self._lasts, prefix)
        end = prefix_successor(prefix)
        high = len(self.table) if end is None else bisect.bisect_left(self._firsts, end)
        return range(low, max(low, high))

    async def get(self, path: str) -> Entry | None:
        """The entry at ``path``, or None."""
        if not self._firsts:
            return None
        index = self.locate(path)
        if path < self._firsts[index] or path > self._lasts[index]:
            return None
        entries = await self.store.load_range(self.table.ref(index))
        found = bisect.bisect_left(entries, path, key=_entry_path)
        if found < len(entries) and entries[found].path == path:
            return entries[found]
        return None

    async def get_many(self, paths: Iterable[str]) -> dict[str, Entry]:
        """The entries at ``paths`` that exist, loading each needed range once."""
        wanted: dict[int, list[str]] = {}
        if self._firsts:
            for path in paths:
                index = self.locate(path)
                if self._firsts[index] <= path <= self._lasts[index]:
                    wanted.setdefault(index, []).append(path)
        indexes = sorted(wanted)
        loaded = await self.store.load_ranges([self.table.ref(i) for i in indexes])
        found: dict[str, Entry] = {}
        for index, entries in zip(indexes, loaded, strict=True):
            for path in wanted[index]:
                at = bisect.bisect_left(entries, path, key=_entry_path)
                if at < len(entries) and entries[at].path == path:
                    found[path] = entries[at]
        return found

    async def entries(self, prefix: str = "", start: str = "") -> AsyncIterator[Entry]:
        """Entries in path order whose path starts with ``prefix`` and is >= ``start``."""
        low = max(prefix, start)
        span = self.span(prefix)
        index = max(span.start, bisect.bisect_left(self._lasts, low))
        end = prefix_successor(prefix) if prefix else None
        while index < span.stop:
            batch = [self.table.ref(i) for i in range(index, min(span.stop, index + PREFETCH))]
            loaded = await self.store.load_ranges(batch)
            for entries in loaded:
                begin = bisect.bisect_left(entries, low, key=_entry_path)
                for entry in entries[begin:]:
                    if end is not None and entry.path >= end:
                        return
                    yield entry
            index += len(batch)

    async def following(self, path: str, limit: int) -> list[Entry]:
        """Up to ``limit`` entries whose paths come after ``path``, in path order, loading
        one range at a time (what a sequential reader needs next, and no more)."""
        found: list[Entry] = []
        index = bisect.bisect_right(self._lasts, path)  # the first range ending after path
        while index < len(self._lasts) and len(found) < limit:
            entries = await self.store.load_range(self.table.ref(index))
            at = bisect.bisect_right(entries, path, key=_entry_path)
            found.extend(entries[at : at + limit - len(found)])
            index += 1
        return found

    async def first_at_or_after(self, path: str) -> Entry | None:
        """The first entry whose path is >= ``path`` (a seek for listings)."""
        index = bisect.bisect_left(self._lasts, path)
        if index >= len(self._lasts):
            return None
        entries = await self.store.load_range(self.table.ref(index))
        at = bisect.bisect_left(entries, path, key=_entry_path)
        return entries[at] if at < len(entries) else None

    async def apply(
        self,
        changes: Mapping[str, Entry | None],
        deferred: list[tuple[bytes, bytes]] | None = None,
    ) -> RangeTable:
        """This tree's range table with ``changes`` applied (None deletes a path).

        Only ranges holding a changed path are rewritten (all into one pack); the others
        are reused by id, and the work done is proportional to the ranges touched. With
        ``deferred``, the new packs are left there for the caller to write.
        """
        store = self.store
        table = self.table
        items = sorted(changes.items())
        if not items:
            return table
        if not len(table):
            created = [entry for _, entry in items if entry is not None]
            return RangeTable.from_refs(await store.write_ranges(store.cut(created), deferred))
        by_range: dict[int, list[tuple[str, Entry | None]]] = {}
        for path, entry in items:
            by_range.setdefault(self.locate(path), []).append((path, entry))
        touched = sorted(by_range)
        loaded = await store.load_ranges([table.ref(i) for i in touched])
        replaced: dict[int, list[Entry]] = {}
        for index, entries in zip(touched, loaded, strict=True):
            merged, changed = merge_changes(entries, by_range[index])
            if changed:
                replaced[index] = merged
        if not replaced:
            return table
        await self._merge_small(replaced)
        order = sorted(replaced)
        pieces: list[list[Entry]] = []
        counts: list[int] = []
        for index in order:
            cut = store.cut(replaced[index])
            pieces.extend(cut)
            counts.append(len(cut))
        written = await store.write_ranges(pieces, deferred)
        return _splice(table, order, counts, written)

    async def _merge_small(self, replaced: dict[int, list[Entry]]) -> None:
        """Join rewritten ranges that became too small with a neighbour (emptied ones are
        simply dropped)."""
        size = len(self.table)
        small = max(1, self.store.range_entries // 4)
        pending = sorted(i for i, e in replaced.items() if 0 < len(e) < small)
        while pending:
            index = pending.pop(0)
            own = replaced.get(index)
            if own is None or not 0 < len(own) < small:
                continue
            neighbour = index + 1
            while neighbour < size and replaced.get(neighbour) == []:
                neighbour += 1
            if neighbour >= size:
                neighbour = index - 1
                while neighbour >= 0 and replaced.get(neighbour) == []:
                    neighbour -= 1
                if neighbour < 0:
                    continue
            theirs = replaced.get(neighbour)
            if theirs is None:
                theirs = await self.store.load_range(self.table.ref(neighbour))
            low, high = sorted((index, neighbour))
            joined = own + theirs if neighbour > index else theirs + own
            replaced[low] = joined
            replaced[high] = []
            if len(joined) < small:
                pending.insert(0, low)


def _splice(
    table: RangeTable, order: list[int], counts: list[int], written: list[RangeRef]
) -> RangeTable:
    """``table`` with range ``order[k]`` replaced by the next ``counts[k]`` refs of
    ``written``."""
    firsts: list[str] = []
    lasts: list[str] = []
    ids: list[bytes] = []
    sizes: list[int] = []
    pack_of: list[int] = []
    offsets: list[int] = []
    lengths: list[int] = []
    packs = list(table.packs)
    pack_index = {pack: k for k, pack in enumerate(packs)}
    previous = 0
    taken = 0
    for index, count in zip(order, counts, strict=True):
        firsts += table.firsts[previous:index]
        lasts += table.lasts[previous:index]
        ids.append(table.ids[32 * previous : 32 * index])
        sizes += table.counts[previous:index]
        pack_of += table.pack_of[previous:index]
        offsets += table.offsets[previous:index]
        lengths += table.lengths[previous:index]
        for ref in written[taken : taken + count]:
            firsts.append(ref.first)
            lasts.append(ref.last)
            ids.append(ref.id)
            sizes.append(ref.count)
            if ref.pack not in pack_index:
                pack_index[ref.pack] = len(packs)
                packs.append(ref.pack)
            pack_of.append(pack_index[ref.pack])
            offsets.append(ref.offset)
            lengths.append(ref.length)
        taken += count
        previous = index + 1
    end = len(table)
    firsts += table.firsts[previous:end]
    lasts += table.lasts[previous:end]
    ids.append(table.ids[32 * previous :])
    sizes += table.counts[previous:end]
    pack_of += table.pack_of[previous:end]
    offsets += table.offsets[previous:end]
    lengths += table.lengths[previous:end]
    used = set(pack_of)
    if len(used) < len(packs):
        remap = {old: new for new, old in enumerate(sorted(used))}
        packs = [packs[old] for old in sorted(used)]
        pack_of = [remap[p] for p in pack_of]
    return RangeTable(firsts, lasts, b"".join(ids), sizes, packs, pack_of, offsets, lengths)
