"""Operating-system errors turned into sapwood's storage errors, naming the path."""

from __future__ import annotations

import errno

from sapwood.errors import InvalidPathError, PermissionDeniedError, SapwoodError, StorageError

__all__ = ["translate"]

_RETRYABLE = {errno.EAGAIN, errno.EINTR, errno.EBUSY, errno.EMFILE, errno.ENFILE, errno.ETIMEDOUT}
_DENIED = {errno.EACCES, errno.EPERM, errno.EROFS}
_FULL = {errno.ENOSPC, errno.EDQUOT}


def translate(exc: OSError, action: str, path: str, key: str | None = None) -> SapwoodError:
    """The sapwood error for ``exc``, raised while trying to ``action`` ``path``."""
    reason = exc.strerror or type(exc).__name__
    if isinstance(exc, PermissionError) or exc.errno in _DENIED:
        return PermissionDeniedError(
            f"cannot {action} {path!r}: {reason}; give this process write access to the "
            "folder or choose another one",
            key=key,
        )
    if exc.errno == errno.ENAMETOOLONG:
        return InvalidPathError(
            f"cannot {action} {path!r}: {reason} (most file systems allow 255 bytes per "
            "path segment); use a shorter key"
        )
    if exc.errno in _FULL:
        return StorageError(f"cannot {action} {path!r}: {reason}; free some space", key=key)
    return StorageError(
        f"cannot {action} {path!r}: {reason}", retryable=exc.errno in _RETRYABLE, key=key
    )
