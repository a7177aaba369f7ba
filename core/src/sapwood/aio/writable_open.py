"""``open`` with write modes, written once for :class:`AsyncBranch` and
:class:`AsyncSession` (readers of a plain reference use :class:`~sapwood.aio.reads.AsyncReads`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Final, Literal, overload

from sapwood.aio.files import AsyncObjectReader, AsyncObjectWriter, AsyncOpening, AsyncTextReader

__all__ = ["WRITE_MODES", "AsyncOpensForWriting", "OpenMode"]

OpenMode = Literal["rb", "r", "wb", "w", "xb", "x"]
"""The modes ``open()`` takes: read (``"rb"``, ``"r"``), write (``"wb"``, ``"w"``) and
create-only write (``"xb"``, ``"x"``), binary or text, as Python's own ``open``."""

WRITE_MODES: Final = ("wb", "w", "xb", "x")


class AsyncOpensForWriting(ABC):
    """Opening objects to read or to write (staged when the writer closes)."""

    @abstractmethod
    async def _open_any(
        self,
        path: str,
        mode: OpenMode,
        *,
        encoding: str | None,
        content_type: str | None,
        metadata: Mapping[str, str] | None,
    ) -> AsyncObjectReader | AsyncTextReader | AsyncObjectWriter:
        """The file ``open`` hands out (ValueError for a mode not in :data:`OpenMode`)."""

    @overload
    def open(
        self, path: str, mode: Literal["rb"] = "rb", *, encoding: str | None = ...
    ) -> AsyncOpening[AsyncObjectReader]: ...

    @overload
    def open(
        self, path: str, mode: Literal["r"], *, encoding: str | None = ...
    ) -> AsyncOpening[AsyncTextReader]: ...

    @overload
    def open(
        self,
        path: str,
        mode: Literal["wb", "w", "xb", "x"],
        *,
        encoding: str | None = ...,
        content_type: str | None = ...,
        metadata: Mapping[str, str] | None = ...,
    ) -> AsyncOpening[AsyncObjectWriter]: ...

    def open(
        self,
        path: str,
        mode: OpenMode = "rb",
        *,
        encoding: str | None = None,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> AsyncOpening[AsyncObjectReader | AsyncTextReader | AsyncObjectWriter]:
        """A file object: ``"rb"``/``"r"`` read the object (seekable, fetching only the
        chunks a read needs); ``"wb"``/``"w"`` stream a new version that is staged on
        close; ``"xb"``/``"x"`` do the same but create only (ObjectExistsError if the path
        exists, when opened, closed or committed).

        Await it for the file (``f = await ref.open(p)``) or use it directly in
        ``async with ref.open(p) as f:``, which closes the file at the end."""
        return AsyncOpening(
            self._open_any(
                path, mode, encoding=encoding, content_type=content_type, metadata=metadata
            )
        )
