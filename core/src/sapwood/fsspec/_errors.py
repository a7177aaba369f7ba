"""Errors only the fsspec filesystem raises (the rest are sapwood's own)."""

from __future__ import annotations

import errno

from sapwood.errors import SapwoodError

__all__ = ["FolderNotEmptyError", "ReadOnlyReferenceError"]


class ReadOnlyReferenceError(SapwoodError, OSError):
    """A write named a tag, a commit or a ref expression (``main~2``): only branches take
    writes. Create a branch at that ref and write there.

    An OSError with ``errno.EROFS``, as writing to a read-only file system is; not a
    PermissionError, which pandas answers by retrying anonymously."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EROFS, message)

    def __str__(self) -> str:
        return str(self.strerror)


class FolderNotEmptyError(SapwoodError, OSError):
    """``rmdir`` named a folder that still holds objects; ``rm(path, recursive=True)``
    removes them."""
