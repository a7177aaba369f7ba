"""How a file's bytes are laid out: inline, one blob, or content-defined chunks.

Files above ``chunk_threshold_bytes`` are cut with FastCDC (pyfastcdc), so an edit inside a
large file changes only the chunks around it and a new version re-uploads only those.
Chunk boundaries depend only on the bytes since the previous boundary, which is what lets
:class:`StreamingChunker` cut a stream piece by piece and get the same chunks as cutting the
whole file at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from pyfastcdc import Chunk, FastCDC

from sapwood.config import ChunkingConfig, RepositoryConfig
from sapwood.errors import ConfigError

__all__ = ["ChunkingPolicy", "StreamingChunker"]

_MIN_AVG: Final = 256
_MAX_AVG: Final = 4 * 1024 * 1024


@dataclass(frozen=True)
class ChunkingPolicy:
    """Thresholds that decide a file's layout, and the chunk size parameters."""

    inline_threshold: int
    chunk_threshold: int
    average_chunk: int

    @classmethod
    def from_config(cls, config: RepositoryConfig) -> ChunkingPolicy:
        """The policy of a (resolved) repository config."""
        resolved = config.resolved()
        chunking = resolved.chunking or ChunkingConfig()
        average = chunking.average_chunk_bytes or 1024 * 1024
        if not _MIN_AVG <= average <= _MAX_AVG:
            raise ConfigError(
                f"chunking.average_chunk_bytes is {average}; it must be between {_MIN_AVG} "
                f"and {_MAX_AVG}",
                field="chunking.average_chunk_bytes",
            )
        return cls(
            inline_threshold=resolved.inline_chunk_threshold_bytes or 0,
            chunk_threshold=chunking.chunk_threshold_bytes or 4 * 1024 * 1024,
            average_chunk=average,
        )

    @property
    def min_chunk(self) -> int:
        """The smallest chunk FastCDC cuts (except a file's last)."""
        return max(64, min(self.average_chunk // 4, 1024 * 1024))

    @property
    def max_chunk(self) -> int:
        """The largest chunk FastCDC cuts."""
        return max(1024, min(self.average_chunk * 4, 16 * 1024 * 1024))

    def cutter(self) -> FastCDC:
        """A FastCDC instance for this policy (not safe to share between threads)."""
        return FastCDC(self.average_chunk, min_size=self.min_chunk, max_size=self.max_chunk)

    def split(self, data: bytes | memoryview) -> list[memoryview]:
        """All chunks of ``data`` as views into it."""
        return [chunk.data for chunk in self.cutter().cut_buf(data)]


class StreamingChunker:
    """Cuts a stream fed in pieces into the same chunks as cutting it whole.

    :meth:`feed` yields the chunks that are final (it must be consumed); the tail that might
    still grow waits in the buffer. A large piece is cut in place, without copying it, so
    memory stays about twice the maximum chunk size plus the chunks being handed out.
    """

    def __init__(self, policy: ChunkingPolicy) -> None:
        self.policy = policy
        self._cutter = policy.cutter()
        self._buffer = bytearray()

    def feed(self, data: bytes | bytearray | memoryview) -> Iterator[bytes]:
        """Add ``data``; yield the chunks no later byte can change."""
        window = 2 * self.policy.max_chunk
        view = memoryview(data).cast("B")
        while True:
            if not self._buffer:
                if len(view) < window:
                    self._buffer = bytearray(view)
                    return
                consumed = 0
                previous: Chunk | None = None
                for chunk in self._cutter.cut_buf(view):
                    if previous is not None:
                        yield bytes(previous.data)
                        consumed += previous.length
                    previous = chunk
                self._buffer = bytearray(view[consumed:])
                return
            missing = window - len(self._buffer)
            if len(view) < missing:
                self._buffer += view
                return
            old = len(self._buffer)
            joined = bytes(self._buffer) + bytes(view[:missing])
            lengths = [chunk.length for chunk in self._cutter.cut_buf(joined)]
            position = 0
            for length in lengths[:-1]:
                yield joined[position : position + length]
                position += length
            if position >= old:
                view = view[position - old :]
                self._buffer = bytearray()
            else:
                self._buffer = bytearray(joined[position:old])

    def finish(self) -> list[bytes]:
        """The remaining chunks, once the stream has ended."""
        if not self._buffer:
            return []
        data = bytes(self._buffer)
        self._buffer = bytearray()
        return [bytes(c.data) for c in self._cutter.cut_buf(data)]
