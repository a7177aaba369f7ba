"""AsyncTag: a name fixed to one commit forever."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sapwood.aio.reference import AsyncReference, RefLike, resolve_ref

if TYPE_CHECKING:
    from sapwood.aio.repository import AsyncRepository

__all__ = ["AsyncTag"]


class AsyncTag(AsyncReference):
    """A tag: created once, never moved; a deleted tag's name is never reused."""

    def __init__(self, repository: AsyncRepository, tag_id: str) -> None:
        super().__init__(repository, tag_id)

    async def resolve(self) -> bytes:
        """The raw id of the tagged commit (RefNotFoundError if the tag does not exist)."""
        return await self.repository.engine.refs.read_tag(self.id)

    async def create(self, source_reference: RefLike) -> AsyncTag:
        """Create the tag at the commit ``source_reference`` names now; RefExistsError if
        the tag exists or once existed. Returns this tag."""
        raw = await resolve_ref(self.repository, source_reference)
        await self.repository.engine.refs.create_tag(self.id, raw)
        return self

    async def delete(self) -> None:
        """Delete the tag (its name stays reserved)."""
        await self.repository.engine.refs.delete_tag(self.id)
