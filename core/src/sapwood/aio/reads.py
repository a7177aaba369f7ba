"""The read API, written once for :class:`AsyncReference`, :class:`AsyncBranch` and
:class:`AsyncSession`: each names the session its reads go through, the session does them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Literal, overload

from sapwood.aio.files import AsyncObjectReader, AsyncOpening, AsyncTextReader, checked_encoding
from sapwood.engine.arguments import check_max_amount
from sapwood.engine.paths import validate_prefix
from sapwood.models import ObjectInfo
from sapwood.storage import CommonPrefix

if TYPE_CHECKING:
    from sapwood.aio.session import AsyncSession

__all__ = ["AsyncReads"]


class AsyncReads(ABC):
    """Reading objects at one commit (plus, for a session or a branch, what is staged)."""

    @abstractmethod
    async def _reading_session(self) -> AsyncSession:
        """The session reads go through now."""

    async def download(self, path: str) -> bytes:
        """The whole content of the object at ``path`` (ObjectNotFoundError if none)."""
        return await (await self._reading_session())._download(path)

    async def stat_object(self, path: str) -> ObjectInfo:
        """What is known about the object at ``path`` (ObjectNotFoundError if none)."""
        return await (await self._reading_session())._stat_object(path)

    async def exists(self, path: str) -> bool:
        """True if an object exists at ``path``."""
        return await (await self._reading_session())._exists(path)

    def list_objects(
        self,
        max_amount: int | None = None,
        after: str = "",
        prefix: str = "",
        delimiter: str = "",
    ) -> AsyncIterator[ObjectInfo | CommonPrefix]:
        """Objects in path order under ``prefix`` and after ``after``; with a ``delimiter``
        (``"/"``), deeper paths fold into :class:`~sapwood.CommonPrefix` entries (as S3
        listings do)."""
        validate_prefix(prefix)
        check_max_amount(max_amount)
        return self._list_objects(max_amount, after, prefix, delimiter)

    async def _list_objects(
        self, max_amount: int | None, after: str, prefix: str, delimiter: str
    ) -> AsyncIterator[ObjectInfo | CommonPrefix]:
        session = await self._reading_session()
        async for item in session._list(max_amount, after, prefix, delimiter):
            yield item

    @overload
    def open(
        self, path: str, mode: Literal["rb"] = "rb", *, encoding: str | None = ...
    ) -> AsyncOpening[AsyncObjectReader]: ...

    @overload
    def open(
        self, path: str, mode: Literal["r"], *, encoding: str | None = ...
    ) -> AsyncOpening[AsyncTextReader]: ...

    def open(
        self, path: str, mode: Literal["rb", "r"] = "rb", *, encoding: str | None = None
    ) -> AsyncOpening[AsyncObjectReader | AsyncTextReader]:
        """A seekable binary reader (``"rb"``) or a text reader (``"r"``) over the object;
        only the chunks a read needs are fetched.

        Await it for the file (``f = await ref.open(p)``) or use it directly in
        ``async with ref.open(p) as f:``, which closes the file at the end."""
        return AsyncOpening(self._open_for_reading(path, mode, encoding))

    async def _open_for_reading(
        self, path: str, mode: str, encoding: str | None
    ) -> AsyncObjectReader | AsyncTextReader:
        if mode not in ("rb", "r"):
            raise ValueError(f"objects open for reading here: mode 'rb' or 'r', not {mode!r}")
        chosen = checked_encoding(mode, encoding)
        return await (await self._reading_session())._open_reader(path, mode == "r", chosen)
