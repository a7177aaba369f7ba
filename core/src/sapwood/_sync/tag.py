"""Tag: a name fixed to one commit forever (sync twin of :class:`sapwood.aio.AsyncTag`)."""

from __future__ import annotations

from sapwood import _loop
from sapwood._sync.reference import Reference, ref_arg
from sapwood.aio.reference import RefLike
from sapwood.aio.tag import AsyncTag

__all__ = ["Tag"]


class Tag(Reference):
    """A tag: created once, never moved; a deleted tag's name is never reused."""

    aio: AsyncTag

    def resolve(self) -> bytes:
        """The raw id of the tagged commit (RefNotFoundError if the tag does not exist)."""
        return _loop.run(self.aio.resolve())

    def create(self, source_reference: RefLike) -> Tag:
        """Create the tag at the commit ``source_reference`` names now; RefExistsError if
        the tag exists or once existed. Returns this tag."""
        return Tag.wrap(_loop.run(self.aio.create(ref_arg(source_reference))))

    def delete(self) -> None:
        """Delete the tag (its name stays reserved)."""
        _loop.run(self.aio.delete())
