"""AsyncTag: a name fixed to one commit forever."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sapwood.aio.reference import AsyncReference, RefLike, resolve_ref
from sapwood.errors import RefExistsError

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

    async def create(self, source_reference: RefLike, exist_ok: bool = False) -> AsyncTag:
        """Create the tag at the commit ``source_reference`` names now; RefExistsError if
        the tag exists or once existed. With ``exist_ok``, a tag that already names that
        same commit is accepted (one naming another commit is still RefExistsError: tags
        never move). Returns this tag."""
        raw = await resolve_ref(self.repository, source_reference)
        refs = self.repository.engine.refs
        try:
            await refs.create_tag(self.id, raw)
        except RefExistsError:
            if not exist_ok:
                raise
            current = await refs.find_tag(self.id)
            if current != raw:
                where = "was deleted" if current is None else f"names commit {current.hex()}"
                raise RefExistsError(
                    f"tag {self.id!r} {where}, not {raw.hex()}; tags never move and deleted "
                    "tag names are never reused, so exist_ok accepts only the same commit"
                ) from None
        return self

    async def delete(self) -> None:
        """Delete the tag (its name stays reserved)."""
        await self.repository.engine.refs.delete_tag(self.id)
