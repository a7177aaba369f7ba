"""Errors only the fsspec filesystem raises (the rest are sapwood's own)."""

from __future__ import annotations

from sapwood.errors import SapwoodError

__all__ = ["FolderNotEmptyError", "ReadOnlyReferenceError"]


class ReadOnlyReferenceError(SapwoodError, PermissionError):
    """A write named a tag, a commit or a ref expression (``main~2``): only branches take
    writes. Create a branch at that ref and write there."""


class FolderNotEmptyError(SapwoodError, OSError):
    """``rmdir`` named a folder that still holds objects; ``rm(path, recursive=True)``
    removes them."""
