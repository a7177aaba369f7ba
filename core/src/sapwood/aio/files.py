"""File objects over repository objects: seekable readers and streaming writers.

A reader fetches only the chunks a read needs (see :class:`~sapwood.engine.content.
ContentReader`); a writer streams into blobs as data arrives and stages the object when
closed, or nothing at all if it is aborted or left by an exception.
"""

from __future__ import annotations

import codecs
import errno
import io
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator, Mapping
from types import TracebackType
from typing import Any, Final, Generic, Self, TypeVar

from sapwood.engine.content import ContentReader, ContentWriter, WrittenContent
from sapwood.engine.staging import check_content_type, check_metadata
from sapwood.models import ObjectInfo

__all__ = [
    "AsyncLineReader",
    "AsyncObjectReader",
    "AsyncObjectWriter",
    "AsyncOpening",
    "AsyncTextReader",
    "Offset",
    "checked_encoding",
]

BLOCK: Final = 64 * 1024
COOKIE_SHIFT: Final = 64
COOKIE_OFFSET_MASK: Final = (1 << COOKIE_SHIFT) - 1


def checked_encoding(
    mode: str,
    encoding: str | None,
    content_type: str | None = None,
    metadata: Mapping[str, str] | None = None,
) -> str:
    """The text encoding for ``open(path, mode, ...)`` (UTF-8 unless given); ValueError for
    options the mode would ignore: an encoding in binary mode (as Python's ``open``), a
    content type or metadata when reading."""
    if encoding is not None:
        if "b" in mode:
            raise ValueError(f"binary mode {mode!r} takes no encoding; open with mode 'r' or 'w'")
        codecs.lookup(encoding)  # LookupError for an unknown encoding, as Python's open
    if "r" in mode and (content_type is not None or metadata is not None):
        raise ValueError(
            f"content_type and metadata describe what is written; mode {mode!r} only reads"
        )
    return encoding or "utf-8"


class Offset(int):
    """A file position, as ``seek()`` and ``tell()`` of the async file objects return it.

    No I/O happens in either, so they are plain methods; the position may still be
    awaited (``await f.seek(0)``), so code written for file objects whose ``seek`` is a
    coroutine works unchanged.
    """

    __slots__ = ()

    def __await__(self) -> Generator[None, None, int]:
        yield from ()
        return int(self)


L = TypeVar("L", bytes, str)


class AsyncLineReader(ABC, Generic[L]):
    """What both readers share: ``async with`` closes them, ``async for`` yields lines."""

    @abstractmethod
    async def readline(self, size: int = -1) -> L:
        """The next line including its newline; empty at the end."""

    @abstractmethod
    async def close(self) -> None:
        """Close the reader."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> L:
        line = await self.readline()
        if not line:
            raise StopAsyncIteration
        return line


class AsyncObjectReader(AsyncLineReader[bytes]):
    """A read-only, seekable binary file over one object (``mode="rb"``).

    Only what does I/O is awaited: ``await f.read()``, ``await f.readline()``,
    ``await f.close()``. :meth:`seek` and :meth:`tell` only move or report the position
    (no I/O happens until the next read), so they are plain calls: ``f.seek(10)``, not
    ``await f.seek(10)``. Errors follow Python's own files: io.UnsupportedOperation for
    writing, OSError for a negative seek, ValueError for any use once closed.
    """

    def __init__(self, info: ObjectInfo, content: ContentReader) -> None:
        self.info = info
        self._content = content
        self._position = 0
        self._closed = False
        self._block = b""
        self._block_start = 0

    @property
    def name(self) -> str:
        """The object's path."""
        return self.info.path

    @property
    def mode(self) -> str:
        """Always ``"rb"``."""
        return "rb"

    @property
    def size(self) -> int:
        """The object's size in bytes."""
        return self._content.size

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    def readable(self) -> bool:
        """Readers read (ValueError once closed, as Python's files do)."""
        self._check()
        return True

    def seekable(self) -> bool:
        """Readers seek."""
        self._check()
        return True

    def writable(self) -> bool:
        """Readers do not write (answered even once closed, as Python's readers do)."""
        return False

    def _check(self) -> None:
        if self._closed:
            raise ValueError(f"I/O operation on closed file {self.info.path!r}")

    async def write(self, data: bytes | bytearray | memoryview) -> int:
        """Readers do not write: io.UnsupportedOperation."""
        self._check()
        raise io.UnsupportedOperation(f"{self.info.path!r} is open for reading; write")

    def truncate(self, size: int | None = None) -> int:
        """Readers do not write: io.UnsupportedOperation."""
        self._check()
        raise io.UnsupportedOperation(f"{self.info.path!r} is open for reading; truncate")

    async def flush(self) -> None:
        """Nothing to flush (ValueError once closed, as Python's files do)."""
        self._check()

    async def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes from the current position (all the rest if negative)."""
        self._check()
        stop = None if size is None or size < 0 else self._position + size
        data = await self._content.read(self._position, stop)
        self._position += len(data)
        return data

    async def readline(self, size: int = -1) -> bytes:
        """The next line including its ``\\n`` (at most ``size`` bytes if given)."""
        self._check()
        parts: list[bytes] = []
        taken = 0
        while size < 0 or taken < size:
            # Lines are served from one block read ahead, not one block read per line.
            if not self._block_start <= self._position < self._block_start + len(self._block):
                self._block = await self._content.read(self._position, self._position + BLOCK)
                self._block_start = self._position
                if not self._block:
                    break
            begin = self._position - self._block_start
            end = len(self._block) if size < 0 else min(len(self._block), begin + size - taken)
            cut = self._block.find(b"\n", begin, end)
            stop = end if cut < 0 else cut + 1
            parts.append(self._block[begin:stop])
            taken += stop - begin
            self._position += stop - begin
            if cut >= 0:
                break
        return b"".join(parts)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> Offset:
        """Move the position (SEEK_SET, SEEK_CUR or SEEK_END); no I/O happens. The new
        position (which may be awaited, see :class:`Offset`)."""
        self._check()
        if whence == io.SEEK_SET:
            target = offset
        elif whence == io.SEEK_CUR:
            target = self._position + offset
        elif whence == io.SEEK_END:
            target = self.size + offset
        else:
            raise ValueError(f"invalid whence {whence!r}; use 0, 1 or 2")
        if target < 0:
            # As Python's own files: OSError (EINVAL), not ValueError.
            raise OSError(errno.EINVAL, f"negative seek position {target} in {self.name!r}")
        self._position = target
        return Offset(target)

    def tell(self) -> Offset:
        """The current position (which may be awaited, see :class:`Offset`)."""
        self._check()
        return Offset(self._position)

    async def close(self) -> None:
        """Close the reader, releasing the bytes it kept for the next read (a closed
        handle that is still referenced holds no data)."""
        self._closed = True
        self._block = b""
        self._content.close()


class AsyncTextReader(AsyncLineReader[str]):
    """A read-only text file over one object (``mode="r"``), decoded incrementally.

    As with :class:`io.TextIOWrapper`, :meth:`tell` returns an opaque cookie (not a
    character count) that :meth:`seek` takes back; otherwise it seeks only to the start
    or the end. As with :class:`AsyncObjectReader`, reads are awaited while :meth:`seek`
    and :meth:`tell` (no I/O) are plain calls.
    """

    def __init__(self, binary: AsyncObjectReader, encoding: str = "utf-8", errors: str = "strict"):
        self.binary = binary
        self.encoding = encoding
        self.errors = errors
        self._decoder = codecs.getincrementaldecoder(encoding)(errors)
        self._clean_state = self._decoder.getstate()
        self._buffer = ""
        self._eof = False
        # Restart points for tell(): (byte offset where the decoder was in its initial
        # state, characters decoded before that offset), oldest first.
        self._checkpoints: deque[tuple[int, int]] = deque([(0, 0)])
        self._decoded = 0
        self._skip = 0

    @property
    def name(self) -> str:
        """The object's path."""
        return self.binary.name

    @property
    def mode(self) -> str:
        """Always ``"r"``."""
        return "r"

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self.binary.closed

    def _take_decoded(self, text: str) -> None:
        self._buffer += text
        self._decoded += len(text)

    def _prune_checkpoints(self) -> int:
        """Keep the newest restart point at or before the position (and the later ones);
        the number of characters returned so far."""
        returned = self._decoded - len(self._buffer)
        while len(self._checkpoints) > 1 and self._checkpoints[1][1] <= returned:
            self._checkpoints.popleft()
        return returned

    async def _fill(self) -> bool:
        if self._eof:
            return False
        if self._decoder.getstate() == self._clean_state:
            self._prune_checkpoints()
            self._checkpoints.append((self.binary.tell(), self._decoded))
        block = await self.binary.read(BLOCK)
        self._eof = not block
        self._take_decoded(self._decoder.decode(block, final=self._eof))
        return True

    async def _skip_to_cookie(self) -> None:
        """Finish a :meth:`seek` to a cookie: drop the characters between its restart
        point and its position."""
        if self._skip:
            count, self._skip = self._skip, 0
            await self.read(count)

    async def read(self, size: int = -1) -> str:
        """Up to ``size`` characters (all the rest if negative)."""
        self.binary._check()
        await self._skip_to_cookie()
        if size is None or size < 0:
            if self._decoder.getstate() == self._clean_state:
                self._checkpoints.append((self.binary.tell(), self._decoded))
            rest = await self.binary.read()
            self._take_decoded(self._decoder.decode(rest, final=True))
            text, self._buffer = self._buffer, ""
            self._eof = True
            return text
        while len(self._buffer) < size and await self._fill():
            pass
        text, self._buffer = self._buffer[:size], self._buffer[size:]
        return text

    async def readline(self, size: int = -1) -> str:
        """The next line including its ``\\n``."""
        self.binary._check()
        await self._skip_to_cookie()
        while "\n" not in self._buffer and (size < 0 or len(self._buffer) < size):
            if not await self._fill():
                break
        cut = self._buffer.find("\n")
        end = len(self._buffer) if cut < 0 else cut + 1
        if size >= 0:
            end = min(end, size)
        line, self._buffer = self._buffer[:end], self._buffer[end:]
        return line

    def _unread(self, text: str) -> None:
        # For the sync twin, which reads lines ahead in batches and hands back the unused.
        self._buffer = text + self._buffer

    def tell(self) -> Offset:
        """An opaque cookie for the current position, which :meth:`seek` takes back (it
        may be awaited, see :class:`Offset`)."""
        if self.binary.closed:
            raise ValueError(f"I/O operation on closed file {self.name!r}")
        returned = self._prune_checkpoints()
        offset, before = self._checkpoints[0]
        return Offset(offset | ((returned - before + self._skip) << COOKIE_SHIFT))

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> Offset:
        """Seek to a cookie from :meth:`tell`, to the start (``seek(0)``), to the end
        (``seek(0, 2)``), or nowhere (``seek(0, 1)``, which returns :meth:`tell`)."""
        self.binary._check()
        if whence == io.SEEK_CUR and offset == 0:
            return self.tell()
        if whence == io.SEEK_END and offset == 0:
            start = int(self.binary.seek(0, io.SEEK_END))
            skip = 0
        elif whence == io.SEEK_SET and offset >= 0:
            start, skip = offset & COOKIE_OFFSET_MASK, offset >> COOKIE_SHIFT
            self.binary.seek(start)
        else:
            raise io.UnsupportedOperation(
                "text readers seek to a position from tell(), to the start (seek(0)) or to "
                "the end (seek(0, 2))"
            )
        self._decoder.reset()
        self._buffer = ""
        self._eof = False
        self._checkpoints = deque([(start, 0)])
        self._decoded = 0
        self._skip = skip
        return Offset(offset if whence == io.SEEK_SET else start)

    def seekable(self) -> bool:
        """Text readers seek (to positions from :meth:`tell`, the start and the end)."""
        return self.binary.seekable()

    def readable(self) -> bool:
        """Readers read."""
        return self.binary.readable()

    def writable(self) -> bool:
        """Readers do not write."""
        return self.binary.writable()

    async def write(self, text: str) -> int:
        """Readers do not write: io.UnsupportedOperation."""
        self.binary._check()
        raise io.UnsupportedOperation(f"{self.name!r} is open for reading; write")

    async def flush(self) -> None:
        """Nothing to flush (ValueError once closed)."""
        await self.binary.flush()

    async def close(self) -> None:
        """Close the reader, releasing what it buffered."""
        self._buffer = ""
        await self.binary.close()


Stage = Callable[[WrittenContent, str | None, dict[str, str] | None], Awaitable[ObjectInfo]]
"""Stages a writer's content with its content type and metadata; the object's info."""


class AsyncObjectWriter:
    """A streaming writer (``mode="wb"``, ``"w"``, or create-only ``"xb"``, ``"x"``) that
    stages the object when closed.

    Bytes go to blobs as they arrive (memory stays bounded by the chunk sizes); leaving an
    ``async with`` block by an exception, or calling :meth:`abort`, stages nothing.
    :attr:`content_type` and :attr:`metadata` may be set until the writer is closed.
    """

    def __init__(
        self,
        path: str,
        content: ContentWriter,
        stage: Stage,
        *,
        text: bool = False,
        encoding: str = "utf-8",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        exclusive: bool = False,
    ) -> None:
        self.path = path
        self._content = content
        self._stage = stage
        self._text = text
        self._exclusive = exclusive
        self._encoder = codecs.getincrementalencoder(encoding)() if text else None
        self._closed = False
        check_content_type(content_type)
        self._content_type = content_type
        self._metadata = check_metadata(metadata, "object metadata")
        self.info: ObjectInfo | None = None

    def _check_open(self, what: str) -> None:
        if self._closed:
            raise ValueError(f"cannot {what}: the writer for {self.path!r} is closed")

    @property
    def content_type(self) -> str | None:
        """The content type the object is staged with (guessed from the path if None);
        settable until the writer is closed."""
        return self._content_type

    @content_type.setter
    def content_type(self, value: str | None) -> None:
        self._check_open("set content_type")
        check_content_type(value)
        self._content_type = value

    @property
    def metadata(self) -> dict[str, str]:
        """A copy of the user metadata the object is staged with; assign a new mapping
        (settable until the writer is closed) to change it."""
        return dict(self._metadata or {})

    @metadata.setter
    def metadata(self, value: Mapping[str, str] | None) -> None:
        self._check_open("set metadata")
        self._metadata = check_metadata(value, "object metadata")

    @property
    def name(self) -> str:
        """The object's path."""
        return self.path

    @property
    def mode(self) -> str:
        """``"wb"``, ``"w"``, ``"xb"`` or ``"x"``, as opened."""
        return ("x" if self._exclusive else "w") + ("" if self._text else "b")

    @property
    def closed(self) -> bool:
        """True once closed or aborted."""
        return self._closed

    def writable(self) -> bool:
        """Writers write (ValueError once closed, as Python's files do)."""
        self._check_open("ask writable()")
        return True

    def readable(self) -> bool:
        """Writers do not read (answered even once closed, as Python's writers do)."""
        return False

    def seekable(self) -> bool:
        """Writers only append."""
        self._check_open("ask seekable()")
        return False

    def tell(self) -> Offset:
        """Bytes written so far (which may be awaited, see :class:`Offset`)."""
        self._check_open("tell()")
        return Offset(self._content.size)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> Offset:
        """Writers only append: io.UnsupportedOperation."""
        self._check_open("seek()")
        raise io.UnsupportedOperation(f"the writer for {self.path!r} only appends; seek")

    def truncate(self, size: int | None = None) -> int:
        """Writers only append: io.UnsupportedOperation."""
        self._check_open("truncate()")
        raise io.UnsupportedOperation(f"the writer for {self.path!r} only appends; truncate")

    async def read(self, size: int = -1) -> bytes:
        """Writers do not read: io.UnsupportedOperation."""
        self._check_open("read()")
        raise io.UnsupportedOperation(f"the writer for {self.path!r} is not readable; read")

    async def flush(self) -> None:
        """Nothing to do: data goes to storage as chunks fill (ValueError once closed)."""
        self._check_open("flush()")

    async def write(self, data: bytes | bytearray | memoryview | str) -> int:
        """Append ``data`` (str in text mode, bytes otherwise); returns its length."""
        if self._closed:
            raise ValueError(f"I/O operation on closed file {self.path!r}")
        if self._encoder is not None:
            if not isinstance(data, str):
                raise TypeError(f"write() argument must be str in text mode, not {type(data)}")
            await self._content.write(self._encoder.encode(data))
            return len(data)
        if isinstance(data, str):
            raise TypeError("write() argument must be bytes-like in binary mode, not str")
        await self._content.write(data)
        return len(data)

    async def close(self) -> ObjectInfo | None:
        """Finish uploading and stage the object; its info."""
        if self._closed:
            return self.info
        self._closed = True
        if self._encoder is not None:
            await self._content.write(self._encoder.encode("", final=True))
        written = await self._content.finish()
        self.info = await self._stage(written, self._content_type, self._metadata)
        return self.info

    async def abort(self) -> None:
        """Stop without staging anything."""
        if self._closed:
            return
        self._closed = True
        await self._content.abort()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:
            await self.abort()
        else:
            await self.close()


F = TypeVar("F", bound=AsyncObjectReader | AsyncTextReader | AsyncObjectWriter, covariant=True)


class AsyncOpening(Generic[F]):
    """What ``open()`` returns on the async side: await it for the file object, or use it
    directly in ``async with`` (which closes the file at the end), as with aiohttp's
    requests. Both ``f = await ref.open(p)`` and ``async with ref.open(p) as f:`` work."""

    def __init__(self, opening: Coroutine[Any, Any, F]) -> None:
        self._opening = opening
        self._file: F | None = None

    def __await__(self) -> Generator[Any, None, F]:
        return self._opening.__await__()

    async def __aenter__(self) -> F:
        self._file = await self._opening
        return self._file

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._file is not None:
            await self._file.__aexit__(exc_type, exc, tb)
