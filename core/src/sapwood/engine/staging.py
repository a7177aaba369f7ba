"""A session's staged changes: the entries it stages, what listing and diffing them shows
over the base commit's tree, folding forks together, and committing them to a branch."""

from __future__ import annotations

import bisect
import mimetypes
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Final, Literal

import msgspec

from sapwood.engine.commits import commit_to_branch, staged_preparer
from sapwood.engine.content import ContentWriter, WrittenContent
from sapwood.engine.format import Entry, VirtualRef, from_micros, to_micros
from sapwood.engine.keys import blob_key
from sapwood.engine.leases import StagingLease
from sapwood.engine.manifests import Tree
from sapwood.engine.merge import same
from sapwood.engine.paths import check_encodable, prefix_successor
from sapwood.engine.repo import Engine
from sapwood.engine.snapshots import commit_of
from sapwood.errors import ConflictError
from sapwood.models import Change, Commit, ObjectInfo
from sapwood.storage import CommonPrefix

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "Changes",
    "check_content_type",
    "check_metadata",
    "commit_changes",
    "content_writer",
    "copied_entry",
    "fold_forks",
    "list_objects",
    "list_uncommitted",
    "new_entry",
    "object_info",
    "virtual_entry",
]

DEFAULT_CONTENT_TYPE: Final = "application/octet-stream"

Changes = dict[str, Entry | None]
"""Staged changes by path: the new entry, or None for a deletion."""


def object_info(entry: Entry) -> ObjectInfo:
    """The public description of a manifest entry."""
    if entry.virtual is not None:
        checksum = entry.checksum.hex() if entry.checksum else (entry.virtual.etag or "")
        address: str | None = entry.virtual.location
    else:
        checksum = entry.checksum.hex()
        address = None
        if entry.chunks is not None and len(entry.chunks) == 1:
            address = blob_key(entry.chunks[0].id)
    return ObjectInfo(
        path=entry.path,
        size_bytes=entry.size,
        checksum=checksum,
        content_type=entry.content_type or DEFAULT_CONTENT_TYPE,
        metadata=dict(entry.metadata or {}),
        modified_time=from_micros(entry.modified_us),
        physical_address=address,
    )


def check_metadata(metadata: Mapping[str, str] | None, what: str) -> dict[str, str] | None:
    """``metadata`` checked to map str to str (TypeError otherwise); None if empty."""
    if metadata is None:
        return None
    if not isinstance(metadata, Mapping):
        raise TypeError(
            f"{what} is a mapping of str to str (a dict), not {type(metadata).__name__}"
        )
    checked: dict[str, str] = {}
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(
                f"{what} maps str to str; got {key!r}: {type(value).__name__} (convert values "
                "with str() or json.dumps())"
            )
        check_encodable(key, f"{what} key")
        check_encodable(value, f"{what} value of {key!r}")
        checked[key] = value
    return checked or None


def check_content_type(content_type: object) -> None:
    """TypeError unless ``content_type`` is a str or None."""
    if content_type is not None and not isinstance(content_type, str):
        raise TypeError(f"content_type is a str or None, not {type(content_type).__name__}")


def content_type_for(path: str, content_type: str | None) -> str:
    """``content_type``, or one guessed from the path (TypeError if it is not a str)."""
    check_content_type(content_type)
    return content_type or mimetypes.guess_type(path)[0] or DEFAULT_CONTENT_TYPE


def new_entry(
    engine: Engine,
    path: str,
    written: WrittenContent,
    content_type: str | None,
    metadata: dict[str, str] | None,
) -> Entry:
    """The entry staging ``written`` content at ``path``."""
    if content_type:
        check_encodable(content_type, "content type")
    return Entry(
        path=path,
        size=written.size,
        checksum=written.checksum,
        modified_us=to_micros(engine.clock()),
        content_type=content_type_for(path, content_type),
        metadata=metadata,
        inline=written.inline,
        chunks=written.chunks,
    )


def virtual_entry(
    engine: Engine,
    path: str,
    location: str,
    *,
    offset: int,
    length: int,
    etag: str | None,
    content_type: str | None,
    metadata: dict[str, str] | None,
) -> Entry:
    """The entry for ``length`` bytes at ``offset`` of ``location``, which must lie under
    one of the repository's virtual chunk containers."""
    engine.virtual.container_for(location)
    if offset < 0 or length < 0:
        raise ValueError("offset and length must be >= 0")
    return Entry(
        path=path,
        size=length,
        checksum=b"",
        modified_us=to_micros(engine.clock()),
        content_type=content_type_for(path, content_type),
        metadata=metadata,
        virtual=VirtualRef(location, offset, length, etag),
    )


def copied_entry(engine: Engine, source: Entry, path: str) -> Entry:
    """``source`` staged again at ``path``, sharing its stored content."""
    return msgspec.structs.replace(source, path=path, modified_us=to_micros(engine.clock()))


def content_writer(
    engine: Engine,
    load_known: Callable[[], Awaitable[list[bytes]]],
    *,
    write_behind: bool = False,
) -> ContentWriter:
    """A writer for new content; ``load_known`` gives the chunks the previous version had,
    so unchanged ones are not stored again; ``write_behind`` lets a one-blob file return
    before its blob lands (the commit waits for it)."""
    return ContentWriter(
        engine.blobs,
        engine.policy,
        load_known=load_known,
        max_in_flight=max(2, engine.concurrency // 4),
        write_behind=write_behind,
    )


async def list_objects(
    tree: Tree,
    changes: Changes,
    max_amount: int | None,
    after: str,
    prefix: str,
    delimiter: str,
) -> AsyncIterator[ObjectInfo | CommonPrefix]:
    """Objects of ``tree`` with ``changes`` laid over it, in path order (see
    ``list_objects`` in the public API)."""
    if max_amount is not None and max_amount <= 0:
        return
    staged = sorted(p for p in changes if p.startswith(prefix))
    position = prefix
    if after:
        following = after + "\x00"
        if delimiter and after.endswith(delimiter):
            following = prefix_successor(after) or following
        position = max(position, following)
    produced = 0
    if not delimiter and not staged:
        async for entry in tree.entries(prefix, position):
            yield object_info(entry)
            produced += 1
            if max_amount is not None and produced >= max_amount:
                return
        return
    while True:
        base = await tree.first_at_or_after(position)
        at = bisect.bisect_left(staged, position)
        candidates = [
            p
            for p in (base.path if base else None, staged[at] if at < len(staged) else None)
            if p is not None
        ]
        if not candidates:
            return
        path = min(candidates)
        if not path.startswith(prefix):
            return
        current = changes.get(path, base)
        if current is None:
            position = path + "\x00"
            continue
        if delimiter:
            cut = path.find(delimiter, len(prefix))
            if cut >= 0:
                common = path[: cut + len(delimiter)]
                yield CommonPrefix(common)
                produced += 1
                if max_amount is not None and produced >= max_amount:
                    return
                following_prefix = prefix_successor(common)
                if following_prefix is None:
                    return
                position = following_prefix
                continue
        yield object_info(current)
        produced += 1
        if max_amount is not None and produced >= max_amount:
            return
        position = path + "\x00"


async def list_uncommitted(
    tree: Tree, changes: Changes, max_amount: int | None, after: str, prefix: str
) -> AsyncIterator[Change]:
    """``changes`` against the base ``tree``, in path order (no-ops left out)."""
    paths = sorted(p for p in changes if p.startswith(prefix) and p > after)
    base = await tree.get_many(paths)
    produced = 0
    for path in paths:
        if max_amount is not None and produced >= max_amount:
            return
        old, new = base.get(path), changes[path]
        if same(old, new):
            continue
        if new is None:
            assert old is not None
            yield Change(type="removed", path=path, size_bytes=old.size)
        else:
            kind: Literal["added", "changed"] = "added" if old is None else "changed"
            yield Change(type=kind, path=path, size_bytes=new.size)
        produced += 1


def fold_forks(
    changes: Mapping[str, Entry | None], forks: Sequence[Mapping[str, Entry | None]]
) -> Changes:
    """What ``forks`` staged, checked against each other and ``changes``: ConflictError
    lists paths staged differently."""
    incoming: dict[str, Entry | None] = {}
    conflicts: list[str] = []
    for fork in forks:
        for path, entry in fork.items():
            if path in incoming:
                if not same(incoming[path], entry):
                    conflicts.append(path)
            elif path in changes and not same(changes[path], entry):
                conflicts.append(path)
            incoming[path] = entry
    if conflicts:
        raise ConflictError(
            f"forks staged different content at {len(conflicts)} path(s): "
            f"{', '.join(sorted(conflicts)[:10])}",
            sorted(conflicts),
        )
    return incoming


async def commit_changes(
    engine: Engine,
    branch: str,
    base: bytes,
    staged: Mapping[str, Entry | None],
    *,
    message: str,
    metadata: Mapping[str, str],
    author: str,
    exclusive: frozenset[str] = frozenset(),
    lease: StagingLease | None = None,
) -> tuple[bytes, Commit]:
    """Commit ``staged`` (made on commit ``base``) to ``branch``, rebased onto its head if
    it moved; the new commit's raw id and the commit. Paths in ``exclusive`` must not
    exist on the head the commit lands on (ObjectExistsError names them)."""
    await engine.blobs.settle(
        chunk.id for entry in staged.values() if entry is not None for chunk in entry.chunks or ()
    )
    raw, snapshot = await commit_to_branch(
        engine,
        branch,
        staged_preparer(engine, base, dict(staged), exclusive),
        message=message,
        metadata=metadata,
        author=author,
        lease=lease,
    )
    return raw, commit_of(raw, snapshot)
