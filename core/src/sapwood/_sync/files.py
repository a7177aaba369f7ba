"""Sync file objects over repository objects: twins of :mod:`sapwood.aio.files`.

They behave like Python's own file objects (``with``, iteration over lines, ``seek``), so
they can be handed to code that expects a file.
"""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from types import TracebackType
from typing import Any, Generic, Self, TypeAlias, TypeVar, overload

from sapwood import _loop
from sapwood._sync._twin import Twin
from sapwood.aio.files import AsyncObjectReader, AsyncObjectWriter, AsyncTextReader
from sapwood.models import ObjectInfo

__all__ = [
    "AsyncFile",
    "FileTwin",
    "LineReader",
    "ObjectReader",
    "ObjectWriter",
    "TextReader",
    "file_twin",
    "opener",
    "reader_opener",
]

AsyncFile: TypeAlias = AsyncObjectReader | AsyncTextReader | AsyncObjectWriter
"""Any of the async file objects."""


def opener(
    open_method: Callable[..., Awaitable[Any]],
) -> Callable[..., Coroutine[Any, Any, AsyncFile]]:
    """An async ``open`` seen through its implementation's signature, as a coroutine the
    background loop can run: its overloads pick the file type from a literal mode, but a
    sync twin passes the mode on unchanged."""

    async def opened(*args: Any, **kwargs: Any) -> AsyncFile:
        file: AsyncFile = await open_method(*args, **kwargs)
        return file

    return opened


def reader_opener(
    open_method: Callable[..., Awaitable[Any]],
) -> Callable[..., Coroutine[Any, Any, AsyncObjectReader | AsyncTextReader]]:
    """:func:`opener` for an ``open`` that only reads."""

    async def opened(*args: Any, **kwargs: Any) -> AsyncObjectReader | AsyncTextReader:
        file: AsyncObjectReader | AsyncTextReader = await open_method(*args, **kwargs)
        return file

    return opened


_LINE_BATCH_BYTES = 64 * 1024
_LINE_BATCH_COUNT = 1000


async def _next_lines(reader: AsyncObjectReader | AsyncTextReader) -> list[Any]:
    """Whole lines, up to about 64 KiB of them, in one trip to the loop: iterating a big
    object line by line would otherwise pay a thread hand-off per line."""
    lines: list[Any] = []
    taken = 0
    while taken < _LINE_BATCH_BYTES and len(lines) < _LINE_BATCH_COUNT:
        line = await reader.readline()
        if not line:
            break
        lines.append(line)
        taken += len(line)
    return lines


F = TypeVar("F", AsyncObjectReader, AsyncTextReader, AsyncObjectWriter)


class FileTwin(Twin[F]):
    """What every sapwood file object answers the same way, or by asking its async twin."""

    @property
    def name(self) -> str:
        """The object's path."""
        return self.aio.name

    @property
    def mode(self) -> str:
        """The mode it was opened with (``"rb"``, ``"r"``, ``"wb"``, ``"w"``, ``"xb"`` or
        ``"x"``)."""
        return self.aio.mode

    @property
    def closed(self) -> bool:
        """True once closed (or, for a writer, aborted)."""
        return self.aio.closed

    def readable(self) -> bool:
        """True for readers."""
        return self.aio.readable()

    def seekable(self) -> bool:
        """True for readers (text readers seek to positions from ``tell``, the start and
        the end); writers only append."""
        return self.aio.seekable()

    def isatty(self) -> bool:
        """Never a terminal."""
        return False

    def writable(self) -> bool:
        """True for writers."""
        return self.aio.writable()

    def fileno(self) -> int:
        """There is no operating-system file underneath."""
        raise io.UnsupportedOperation("sapwood file objects have no file descriptor")

    def flush(self) -> None:
        """Nothing to flush: data is handed over as it is written (ValueError once
        closed, as Python's files do)."""
        if self.aio.closed:
            raise ValueError(f"I/O operation on closed file {self.name!r}")

    def truncate(self, size: int | None = None) -> int:
        """sapwood files are not resized in place: io.UnsupportedOperation."""
        if self.aio.closed:
            raise ValueError(f"I/O operation on closed file {self.name!r}")
        raise io.UnsupportedOperation(f"{self.name!r} cannot be truncated")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _loop.run(self.aio.__aexit__(exc_type, exc, tb))


R = TypeVar("R", AsyncObjectReader, AsyncTextReader)
L = TypeVar("L", bytes, str)


class LineReader(FileTwin[R], Generic[R, L]):
    """What the binary and the text reader share: closing, and iteration over lines that
    fetches them in batches (handed back by ``_settle`` before any other call reads)."""

    _ahead: deque[L]

    def __init__(self, aio: R) -> None:
        self.aio = aio  # Twin.__init__'s one line: mypy rejects super() with constrained R
        self._ahead = deque()

    def close(self) -> None:
        """Close the reader."""
        _loop.run(self.aio.close())

    def readlines(self, hint: int = -1) -> list[L]:
        """The remaining lines (stopping once ``hint`` bytes or characters were read, if
        given)."""
        lines: list[L] = []
        taken = 0
        for line in self:
            lines.append(line)
            taken += len(line)
            if 0 < hint <= taken:
                break
        return lines

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> L:
        if not self._ahead:
            self._ahead.extend(_loop.run(_next_lines(self.aio)))
            if not self._ahead:
                raise StopIteration
        return self._ahead.popleft()


class ObjectReader(LineReader[AsyncObjectReader, bytes]):
    """A read-only, seekable binary file over one object (``mode="rb"``), fetching only the
    chunks each read needs. Iterating yields lines. Sync twin of
    :class:`~sapwood.aio.AsyncObjectReader`."""

    def __repr__(self) -> str:
        return f"<ObjectReader {self.name!r} size={self.size}>"

    def _settle(self) -> None:
        """Hand back lines read ahead by iteration, so other calls see the true position."""
        if self._ahead:
            unread = sum(len(line) for line in self._ahead)
            self._ahead.clear()
            self.aio.seek(-unread, io.SEEK_CUR)

    @property
    def info(self) -> ObjectInfo:
        """What is known about the object being read."""
        return self.aio.info

    @property
    def size(self) -> int:
        """The object's size in bytes."""
        return self.aio.size

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Readers do not write: io.UnsupportedOperation."""
        return _loop.run(self.aio.write(data))

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes from the current position (all the rest if negative)."""
        self._settle()
        return _loop.run(self.aio.read(size))

    def read1(self, size: int = -1) -> bytes:
        """The same as :meth:`read` (there is no buffer to drain first)."""
        return self.read(size)

    def readall(self) -> bytes:
        """Everything from the current position to the end."""
        return self.read()

    def readinto(self, buffer: bytearray | memoryview) -> int:
        """Fill ``buffer`` from the current position; the number of bytes read."""
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def readline(self, size: int = -1) -> bytes:
        """The next line including its ``\\n`` (at most ``size`` bytes if given)."""
        self._settle()
        return _loop.run(self.aio.readline(size))

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move the position (SEEK_SET, SEEK_CUR or SEEK_END); no I/O happens."""
        self._settle()
        return int(self.aio.seek(offset, whence))

    def tell(self) -> int:
        """The current position."""
        self._settle()
        return int(self.aio.tell())


class TextReader(LineReader[AsyncTextReader, str]):
    """A read-only text file over one object (``mode="r"``), decoded incrementally; it
    seeks to positions from :meth:`tell`, the start or the end. Sync twin of
    :class:`~sapwood.aio.AsyncTextReader`."""

    def __repr__(self) -> str:
        return f"<TextReader {self.name!r} encoding={self.encoding!r}>"

    def _settle(self) -> None:
        """Hand back lines read ahead by iteration, so other calls read on from there."""
        if self._ahead:
            self.aio._unread("".join(self._ahead))
            self._ahead.clear()

    @property
    def binary(self) -> ObjectReader:
        """The binary reader underneath."""
        return ObjectReader.wrap(self.aio.binary)

    buffer = binary

    @property
    def encoding(self) -> str:
        """The text encoding."""
        return self.aio.encoding

    @property
    def errors(self) -> str:
        """How decoding errors are handled (``"strict"``...)."""
        return self.aio.errors

    def read(self, size: int = -1) -> str:
        """Up to ``size`` characters (all the rest if negative)."""
        self._settle()
        return _loop.run(self.aio.read(size))

    def readline(self, size: int = -1) -> str:
        """The next line including its ``\\n``."""
        self._settle()
        return _loop.run(self.aio.readline(size))

    def tell(self) -> int:
        """An opaque cookie for the current position, which :meth:`seek` takes back (as
        with :class:`io.TextIOWrapper`, not a character count)."""
        self._settle()
        return int(self.aio.tell())

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Seek to a cookie from :meth:`tell`, to the start (``seek(0)``), to the end
        (``seek(0, 2)``), or nowhere (``seek(0, 1)``, which returns :meth:`tell`)."""
        if whence == io.SEEK_CUR:
            self._settle()
        else:
            self._ahead.clear()
        return int(self.aio.seek(offset, whence))

    def write(self, text: str) -> int:
        """Readers do not write: io.UnsupportedOperation."""
        return _loop.run(self.aio.write(text))


class ObjectWriter(FileTwin[AsyncObjectWriter]):
    """A streaming writer (``mode="wb"``, ``"w"``, or create-only ``"xb"``, ``"x"``) that
    stages the object when closed; :attr:`content_type` and :attr:`metadata` may be set
    until then.

    Data goes to storage as it is written, so memory stays bounded. Leaving a ``with``
    block by an exception, or calling :meth:`abort`, stages nothing. Sync twin of
    :class:`~sapwood.aio.AsyncObjectWriter`.
    """

    def __repr__(self) -> str:
        return f"<ObjectWriter {self.name!r} mode={self.mode!r}>"

    @property
    def path(self) -> str:
        """The path the object is staged at."""
        return self.aio.path

    @property
    def info(self) -> ObjectInfo | None:
        """The staged object's info, once closed."""
        return self.aio.info

    @property
    def content_type(self) -> str | None:
        """The content type the object is staged with (guessed from the path if None);
        settable until the writer is closed."""
        return self.aio.content_type

    @content_type.setter
    def content_type(self, value: str | None) -> None:
        self.aio.content_type = value

    @property
    def metadata(self) -> dict[str, str]:
        """A copy of the user metadata the object is staged with; assign a new mapping
        (settable until the writer is closed) to change it."""
        return self.aio.metadata

    @metadata.setter
    def metadata(self, value: Mapping[str, str] | None) -> None:
        self.aio.metadata = value

    def tell(self) -> int:
        """Bytes written so far."""
        return int(self.aio.tell())

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Writers only append: io.UnsupportedOperation."""
        return int(self.aio.seek(offset, whence))

    def read(self, size: int = -1) -> bytes:
        """Writers do not read: io.UnsupportedOperation."""
        return _loop.run(self.aio.read(size))

    def write(self, data: bytes | bytearray | memoryview | str) -> int:
        """Append ``data`` (str in text mode, bytes otherwise); returns its length."""
        return _loop.run(self.aio.write(data))

    def writelines(self, lines: Iterable[bytes | bytearray | memoryview | str]) -> None:
        """Write each of ``lines`` (no separators are added, as with any file)."""
        for line in lines:
            self.write(line)

    def close(self) -> ObjectInfo | None:
        """Finish uploading and stage the object; its info."""
        return _loop.run(self.aio.close())

    def abort(self) -> None:
        """Stop without staging anything."""
        _loop.run(self.aio.abort())


@overload
def file_twin(opened: AsyncObjectReader) -> ObjectReader: ...


@overload
def file_twin(opened: AsyncTextReader) -> TextReader: ...


@overload
def file_twin(opened: AsyncObjectWriter) -> ObjectWriter: ...


@overload
def file_twin(opened: AsyncObjectReader | AsyncTextReader) -> ObjectReader | TextReader: ...


@overload
def file_twin(
    opened: AsyncObjectReader | AsyncTextReader | AsyncObjectWriter,
) -> ObjectReader | TextReader | ObjectWriter: ...


def file_twin(
    opened: AsyncObjectReader | AsyncTextReader | AsyncObjectWriter,
) -> ObjectReader | TextReader | ObjectWriter:
    """The sync twin of an async file object."""
    if isinstance(opened, AsyncObjectReader):
        return ObjectReader.wrap(opened)
    if isinstance(opened, AsyncTextReader):
        return TextReader.wrap(opened)
    return ObjectWriter.wrap(opened)
