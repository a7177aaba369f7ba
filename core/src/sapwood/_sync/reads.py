"""The read API, written once for :class:`Reference`, :class:`Branch` and :class:`Session`."""

from __future__ import annotations

from typing import Any, Literal, overload

from sapwood import _loop
from sapwood._sync._bind import awaited, documented_by, iterated
from sapwood._sync._twin import Twin
from sapwood._sync.files import ObjectReader, TextReader, file_twin, reader_opener
from sapwood.aio.reads import AsyncReads

__all__ = ["Reads"]


class Reads(Twin[Any]):
    """Reading objects at a commit: every method runs its
    twin (of :class:`sapwood.aio.reads.AsyncReads`) on the object's async twin."""

    download = awaited(AsyncReads.download)
    stat_object = awaited(AsyncReads.stat_object)
    exists = awaited(AsyncReads.exists)
    list_objects = iterated(AsyncReads.list_objects)

    @overload
    def open(
        self, path: str, mode: Literal["rb"] = "rb", *, encoding: str | None = ...
    ) -> ObjectReader: ...

    @overload
    def open(self, path: str, mode: Literal["r"], *, encoding: str | None = ...) -> TextReader: ...

    @documented_by(AsyncReads.open)
    def open(
        self, path: str, mode: Literal["rb", "r"] = "rb", *, encoding: str | None = None
    ) -> ObjectReader | TextReader:
        return file_twin(_loop.run(reader_opener(self.aio.open)(path, mode, encoding=encoding)))
