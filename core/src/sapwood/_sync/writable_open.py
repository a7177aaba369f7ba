"""``open`` with write modes, written once for :class:`Branch` and :class:`Session`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, overload

from sapwood import _loop
from sapwood._sync._bind import documented_by
from sapwood._sync._twin import Twin
from sapwood._sync.files import ObjectReader, ObjectWriter, TextReader, file_twin, opener
from sapwood.aio.writable_open import AsyncOpensForWriting, OpenMode

__all__ = ["OpensForWriting"]


class OpensForWriting(Twin[Any]):
    """Opening objects to read or to write: runs the twin of
    :meth:`sapwood.aio.writable_open.AsyncOpensForWriting.open` on the object's async twin
    and hands out the sync file object."""

    @overload
    def open(
        self, path: str, mode: Literal["rb"] = "rb", *, encoding: str | None = ...
    ) -> ObjectReader: ...

    @overload
    def open(self, path: str, mode: Literal["r"], *, encoding: str | None = ...) -> TextReader: ...

    @overload
    def open(
        self,
        path: str,
        mode: Literal["wb", "w", "xb", "x"],
        *,
        encoding: str | None = ...,
        content_type: str | None = ...,
        metadata: Mapping[str, str] | None = ...,
    ) -> ObjectWriter: ...

    @documented_by(AsyncOpensForWriting.open)
    def open(
        self,
        path: str,
        mode: OpenMode = "rb",
        *,
        encoding: str | None = None,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectReader | TextReader | ObjectWriter:
        return file_twin(
            _loop.run(
                opener(self.aio.open)(
                    path, mode, encoding=encoding, content_type=content_type, metadata=metadata
                )
            )
        )
