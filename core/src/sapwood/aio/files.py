"""File objects over repository objects: seekable readers and streaming writers.

A reader fetches only the chunks a read needs (see :class:`~sapwood.engine.content.
ContentReader`); a writer streams into blobs as data arrives and stages the object when
closed, or nothing at all if it is aborted or left by an exception.
"""

from __future__ import annotations

import codecs
import io
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator
from types import TracebackType
from typing import Any, Final, Generic, Self, TypeVar

from sapwood.engine.content import ContentReader, ContentWriter, WrittenContent
from sapwood.models import ObjectInfo

__all__ = ["AsyncObjectReader", "AsyncObjectWriter", "AsyncOpening", "AsyncTextReader"]

BLOCK: Final = 64 * 1024
COOKIE_SHIFT: Final = 64
COOKIE_OFFSET_MASK: Final = (1 << COOKIE_SHIFT) - 1


class AsyncObjectReader:
    """A read-only, seekable binary file over one object (``mode="rb"``)."""

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
        """Readers read."""
        return True

    def seekable(self) -> bool:
        """Readers seek."""
        return True

    def writable(self) -> bool:
        """Readers do not write."""
        return False

    def _check(self) -> None:
        if self._closed:
            raise ValueError(f"I/O operation on closed file {self.info.path!r}")

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

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move the position (SEEK_SET, SEEK_CUR or SEEK_END); no I/O happens."""
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
            raise ValueError(f"negative seek position {target}")
        self._position = target
        return target

    def tell(self) -> int:
        """The current position."""
        self._check()
        return self._position

    async def close(self) -> None:
        """Close the reader, releasing the bytes it kept for the next read (a closed
        handle that is still referenced holds no data)."""
        self._closed = True
        self._block = b""
        self._content.close()

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

    async def __anext__(self) -> bytes:
        line = await self.readline()
        if not line:
            raise StopAsyncIteration
        return line


class AsyncTextReader:
    """A read-only text file over one object (``mode="r"``), decoded incrementally.

    As with :class:`io.TextIOWrapper`, :meth:`tell` returns an opaque cookie (not a
    character count) that :meth:`seek` takes back; otherwise it seeks only to the start
    or the end.
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

    def tell(self) -> int:
        """An opaque cookie for the current position, which :meth:`seek` takes back."""
        if self.binary.closed:
            raise ValueError(f"I/O operation on closed file {self.name!r}")
        returned = self._prune_checkpoints()
        offset, before = self._checkpoints[0]
        return offset | ((returned - before + self._skip) << COOKIE_SHIFT)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Seek to a cookie from :meth:`tell`, to the start (``seek(0)``), to the end
        (``seek(0, 2)``), or nowhere (``seek(0, 1)``, which returns :meth:`tell`)."""
        if whence == io.SEEK_CUR and offset == 0:
            return self.tell()
        if whence == io.SEEK_END and offset == 0:
            start = self.binary.seek(0, io.SEEK_END)
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
        return offset if whence == io.SEEK_SET else start

    def seekable(self) -> bool:
        """Text readers seek (to positions from :meth:`tell`, the start and the end)."""
        return True

    def readable(self) -> bool:
        """Readers read."""
        return True

    async def close(self) -> None:
        """Close the reader, releasing what it buffered."""
        self._buffer = ""
        await self.binary.close()

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

    async def __anext__(self) -> str:
        line = await self.readline()
        if not line:
            raise StopAsyncIteration
        return line


class AsyncObjectWriter:
    """A streaming writer (``mode="wb"`` or ``"w"``) that stages the object when closed.

    Bytes go to blobs as they arrive (memory stays bounded by the chunk sizes); leaving an
    ``async with`` block by an exception, or calling :meth:`abort`, stages nothing.
    """

    def __init__(
        self,
        path: str,
        content: ContentWriter,
        stage: Callable[[WrittenContent], Awaitable[ObjectInfo]],
        *,
        text: bool = False,
        encoding: str = "utf-8",
    ) -> None:
        self.path = path
        self._content = content
        self._stage = stage
        self._text = text
        self._encoder = codecs.getincrementalencoder(encoding)() if text else None
        self._closed = False
        self.info: ObjectInfo | None = None

    @property
    def name(self) -> str:
        """The object's path."""
        return self.path

    @property
    def mode(self) -> str:
        """``"w"`` or ``"wb"``."""
        return "w" if self._text else "wb"

    @property
    def closed(self) -> bool:
        """True once closed or aborted."""
        return self._closed

    def writable(self) -> bool:
        """Writers write."""
        return True

    def readable(self) -> bool:
        """Writers do not read."""
        return False

    def seekable(self) -> bool:
        """Writers only append."""
        return False

    def tell(self) -> int:
        """Bytes written so far."""
        return self._content.size

    async def write(self, data: bytes | bytearray | memoryview | str) -> int:
        """Append ``data`` (str in text mode, bytes otherwise); returns its length."""
        if self._closed:
            raise ValueError(f"write to closed file {self.path!r}")
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
        self.info = await self._stage(written)
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
