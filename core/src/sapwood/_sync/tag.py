"""Tag: a name fixed to one commit forever (sync twin of :class:`sapwood.aio.AsyncTag`)."""

from __future__ import annotations

from sapwood._sync._bind import awaited
from sapwood._sync._convert import as_tag
from sapwood._sync.reference import Reference
from sapwood.aio.tag import AsyncTag

__all__ = ["Tag"]


class Tag(Reference):
    """A tag: created once, never moved; a deleted tag's name is never reused."""

    aio: AsyncTag

    resolve = awaited(AsyncTag.resolve)
    create = awaited(AsyncTag.create, as_tag)
    delete = awaited(AsyncTag.delete)
