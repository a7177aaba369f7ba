"""File objects of ``sapwood://`` paths: ranged reads at one commit, and writes streamed into
a session that stage (and, outside a transaction, commit) when the file closes."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from fsspec.spec import AbstractBufferedFile

from sapwood import InvalidPathError, ObjectWriter, Session
from sapwood.fsspec._paths import split
from sapwood.fsspec._staging import Staging

if TYPE_CHECKING:
    from sapwood.fsspec._filesystem import SapwoodFileSystem

__all__ = ["SapwoodFile"]

_MODES = ("rb", "wb", "xb", "ab")
_APPEND_PIECE = 8 * 1024 * 1024


class SapwoodFile(AbstractBufferedFile):  # type: ignore[misc]  # fsspec is untyped
    """A binary file at a ``sapwood://`` path, made by :meth:`SapwoodFileSystem.open`.

    ``"rb"`` reads the object as it is at the ref when the file opens (a branch moving
    afterwards does not change what the file reads), fetching only the ranges read.
    ``"wb"`` streams a new version; ``"xb"`` does the same only if the path does not exist
    yet (FileExistsError otherwise, checked again when committing); ``"ab"`` appends to
    the existing object. A written file is staged when it closes and, outside
    ``fs.transaction``, committed at once (one commit per file). If the ``with`` block
    around a written file raises, nothing is staged.

    ``content_type`` and ``metadata`` describe a written object.
    """

    closed: bool
    forced: bool
    mode: str

    def __init__(
        self,
        fs: SapwoodFileSystem,
        path: str,
        mode: str = "rb",
        block_size: int | str | None = "default",
        autocommit: bool = True,
        cache_type: str = "readahead",
        cache_options: dict[str, Any] | None = None,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        if mode not in _MODES:
            raise ValueError(f"sapwood files open in mode 'rb', 'wb', 'xb' or 'ab', not {mode!r}")
        unknown = sorted(set(kwargs) - {"size"})  # size: what fsspec passes on reopening
        if unknown:
            raise TypeError(f"open() got option(s) sapwood:// does not support: {unknown}")
        self.ref, self.key = split(path)
        if not self.key:
            raise InvalidPathError(
                f"{path!r} names a ref, not an object: add the object's path after the ref "
                "(sapwood://main/data.csv)"
            )
        self._reading: Session | None = None
        self._writer: ObjectWriter | None = None
        self._staging: Staging | None = None
        self._owns_staging = False
        self._session: Session | None = None
        if mode == "rb":
            if content_type is not None or metadata is not None:
                raise ValueError("content_type and metadata describe written files, not read ones")
            # The session is pinned to the commit the ref names now; each fetch opens a
            # reader of its own, so an unclosed file holds nothing open (pyarrow leaves
            # files to the garbage collector, which may run in sapwood's loop thread).
            self._reading = fs._read_session(self.ref)
            info = self._reading.stat_object(self.key)
            self._details = fs._file_entry(self.ref, info)
            kwargs["size"] = info.size_bytes
        else:
            self._content_type = content_type
            self._metadata = metadata
            self._staging, self._owns_staging = fs._write_staging()
            staging = self._staging
            self._session = (
                staging.claim(self.ref, self.key) if mode == "xb" else staging.session(self.ref)
            )
        super().__init__(
            fs, path, mode, block_size, autocommit, cache_type, cache_options, **kwargs
        )

    # -- reading ----------------------------------------------------------------------------

    def _fetch_range(self, start: int, end: int) -> bytes:
        session = self._reading
        if session is None:
            raise ValueError("this file is not open for reading")
        if end <= start:
            return b""
        with session.open(self.key, "rb") as reader:
            reader.seek(start)
            return reader.read(end - start)

    # -- writing ----------------------------------------------------------------------------

    def _initiate_upload(self) -> None:
        assert self._session is not None
        session = self._session
        # "xb" reaches the session too, so the create-only check is made again inside the
        # commit's compare-and-swap loop, where racing writers cannot both pass it.
        writer = session.open(
            self.key,
            "xb" if self.mode == "xb" else "wb",
            content_type=self._content_type,
            metadata=self._metadata,
        )
        self._writer = writer
        if self.mode == "ab" and session.exists(self.key):
            with session.open(self.key, "rb") as existing:
                while piece := existing.read(_APPEND_PIECE):
                    writer.write(piece)

    def _upload_chunk(self, final: bool = False) -> bool:
        writer = self._writer
        assert writer is not None
        writer.write(self.buffer.getvalue())
        if final:
            writer.close()
            if self.autocommit:
                self.commit()
        return True

    def commit(self) -> None:
        """Finish the file: close it if it is still open (which stages it), then commit it
        if this file staged it on its own; inside a transaction, the transaction commits."""
        if "r" in self.mode:
            return
        if not self.closed and not self.forced:
            self.close()  # with autocommit, closing commits already
        staging = self._staging
        if self._owns_staging and staging is not None:
            self._staging = None
            staging.commit(f"Write {self.key}")

    def discard(self) -> None:
        """Throw away what was written (nothing is staged or committed) and close the
        file."""
        if "r" in self.mode:
            return
        writer, self._writer = self._writer, None
        if writer is not None and not writer.closed:
            writer.abort()
        staging, self._staging = self._staging, None
        if self._owns_staging and staging is not None:
            staging.discard()
        self.closed = True

    # -- closing ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the file: a written file is staged (and committed outside a
        transaction)."""
        if self.closed:
            return
        self._reading = None
        try:
            super().close()
        except BaseException:
            self.discard()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None and not self.closed:
            self.discard()
        self.close()
