"""Every error sapwood raises, under one root, :class:`SapwoodError`.

Storage plugins raise the storage-level types (:class:`NotFoundError`,
:class:`PreconditionFailedError`, :class:`AlreadyExistsError`,
:class:`PermissionDeniedError`, :class:`StorageError`); the engine and public API raise the
repository-level ones. Every message says what was wrong and what to do about it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sapwood.str_tuple import StrTuple

__all__ = [
    "AlreadyExistsError",
    "ConfigError",
    "ConflictError",
    "CredentialsError",
    "IntegrityError",
    "InvalidPathError",
    "InvalidRefError",
    "NotFoundError",
    "NothingToCommitError",
    "ObjectExistsError",
    "ObjectNotFoundError",
    "PermissionDeniedError",
    "PluginError",
    "PreconditionFailedError",
    "RefExistsError",
    "RefNotFoundError",
    "RepositoryExistsError",
    "RepositoryNotFoundError",
    "SapwoodError",
    "StorageError",
]


class SapwoodError(Exception):
    """Root of every error sapwood raises."""


class StorageError(SapwoodError):
    """A storage backend failed.

    ``retryable`` tells the object layer whether the same request may succeed if tried
    again (throttling, a timeout, a dropped connection, a 5xx answer).
    """

    def __init__(self, message: str, *, retryable: bool = False, key: str | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.key = key


class NotFoundError(StorageError, FileNotFoundError):
    """The key does not exist in the store."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message, retryable=False, key=key)


class PreconditionFailedError(StorageError):
    """A conditional write lost: the object changed since its etag was read."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message, retryable=False, key=key)


class AlreadyExistsError(PreconditionFailedError, FileExistsError):
    """A create-only write found the key already present."""


class PermissionDeniedError(StorageError, PermissionError):
    """The credentials in use may not perform this operation."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message, retryable=False, key=key)


class RepositoryNotFoundError(SapwoodError):
    """No sapwood repository exists at the given store location."""


class RepositoryExistsError(SapwoodError):
    """A repository already exists where one was to be created."""


class ObjectNotFoundError(SapwoodError, FileNotFoundError):
    """A path does not exist at the given reference."""


class ObjectExistsError(SapwoodError, FileExistsError):
    """A create-only write (``exclusive=True``, mode ``"xb"``/``"x"``) found the path
    already present, when staged or when committed."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class NothingToCommitError(SapwoodError):
    """A commit was asked for with nothing staged (pass ``allow_empty=True`` to make an
    empty commit anyway)."""


class RefNotFoundError(SapwoodError):
    """A branch, tag or commit does not exist."""


class RefExistsError(SapwoodError):
    """A branch or tag with that name already exists."""


class ConflictError(SapwoodError):
    """Changes could not be combined; ``conflicts`` lists the paths that collide (a
    :class:`~sapwood.str_tuple.StrTuple`, which equals a list of the same paths too)."""

    def __init__(self, message: str, conflicts: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.conflicts: tuple[str, ...] = StrTuple(conflicts)


class InvalidPathError(SapwoodError, ValueError):
    """An object path or storage key is malformed or escapes where it must stay."""


class InvalidRefError(SapwoodError, ValueError):
    """A branch, tag or ref expression is malformed."""


class ConfigError(SapwoodError, ValueError):
    """A configuration value is wrong; ``field`` names where (``limits.requests_per_second``)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class CredentialsError(SapwoodError):
    """Credentials are missing, invalid, expired, or could not be fetched or refreshed."""


class PluginError(SapwoodError):
    """A plugin is missing, broken or conflicts with another; says what to install."""


class IntegrityError(SapwoodError):
    """Stored bytes do not match their recorded checksum."""
