"""The values the public API hands back: commits, objects, changes and maintenance summaries.

They are immutable msgspec Structs, so they compare by value, pickle, and encode to JSON or
msgpack with ``msgspec.json.encode``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, TypeAlias

import msgspec

from sapwood.str_tuple import StrTuple

__all__ = [
    "Change",
    "ChangeType",
    "Commit",
    "GarbageCollectionSummary",
    "ObjectInfo",
    "PathType",
    "Problem",
    "ProblemObject",
    "VerificationReport",
]

ChangeType: TypeAlias = Literal["added", "removed", "changed", "conflict"]
"""What happened to a path between two states."""

PathType: TypeAlias = Literal["object", "common_prefix"]
"""Whether a change names one object or a folder-like group of them."""


class Commit(msgspec.Struct, frozen=True):
    """One commit (a snapshot of the whole repository) and what describes it.

    ``id`` is the hex SHA-256 of the stored snapshot; ``parents`` lists the commits it was
    made on (two for a merge, none for the first commit of a repository), as a
    :class:`~sapwood.str_tuple.StrTuple`, which equals a list of the same ids too.
    """

    id: str
    parents: tuple[str, ...]
    message: str
    metadata: dict[str, str]
    author: str
    committed_at: datetime

    def __post_init__(self) -> None:
        if type(self.parents) is not StrTuple:
            msgspec.structs.force_setattr(self, "parents", StrTuple(self.parents))


class ObjectInfo(msgspec.Struct, frozen=True):
    """What is known about one object at a reference.

    ``checksum`` is the hex SHA-256 of the content (for a virtual object, the etag it was
    recorded with, or ``""``); ``physical_address`` is where the bytes live: the storage key
    of the blob for a file kept in one piece, the external URL of a virtual object, and
    ``None`` for a file inlined in its manifest or split into chunks.
    """

    path: str
    size_bytes: int
    checksum: str
    content_type: str
    metadata: dict[str, str]
    modified_time: datetime
    physical_address: str | None = None


class Change(msgspec.Struct, frozen=True):
    """One difference between two states of a repository.

    ``size_bytes`` is the object's size on the side that has it (the new side for
    ``added`` and ``changed``, the old side for ``removed``), or ``None`` for a common prefix.
    """

    type: ChangeType
    path: str
    path_type: PathType = "object"
    size_bytes: int | None = None


class GarbageCollectionSummary(msgspec.Struct, frozen=True, kw_only=True):
    """What :meth:`~sapwood.aio.AsyncRepository.garbage_collect` deleted (or, with
    ``dry_run``, would delete), and what it spared because it was younger than the grace
    period."""

    dry_run: bool
    snapshots_deleted: int = 0
    manifests_deleted: int = 0
    blobs_deleted: int = 0
    refs_deleted: int = 0
    bytes_deleted: int = 0
    objects_spared: int = 0

    @property
    def objects_deleted(self) -> int:
        """Snapshots, manifests, blobs and ref files together."""
        return (
            self.snapshots_deleted + self.manifests_deleted + self.blobs_deleted + self.refs_deleted
        )


ProblemObject: TypeAlias = Literal["ref", "snapshot", "index", "pack", "range", "blob"]
"""What kind of stored object a :class:`Problem` is about."""


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    """One missing or damaged object found by ``repo.verify()``.

    ``commits`` are the commits that refer to the object (for a commit: its children),
    ``refs`` the branches and tags (``"branch main"``, ``"tag v1"``) whose histories reach
    it, so what is affected can be told at a glance.
    """

    kind: Literal["missing", "damaged"]
    object_type: ProblemObject
    key: str
    detail: str
    commits: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()


class VerificationReport(msgspec.Struct, frozen=True, kw_only=True):
    """What ``repo.verify()`` checked and found."""

    commits_checked: int
    objects_checked: int
    bytes_checked: int
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        """True when nothing is missing or damaged."""
        return not self.problems
