"""ImportManager: bring existing objects into a branch as one commit (sync twin of
:class:`sapwood.aio.AsyncImportManager`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Self

from sapwood._sync._bind import awaited, documented_by, forwarded
from sapwood._sync._twin import Twin
from sapwood.aio.importer import AsyncImportManager

__all__ = ["ImportManager"]


class ImportManager(Twin[AsyncImportManager]):
    """An import of one or more sources into a branch, committed as one commit.

    ``manager.run()`` imports and waits; ``start()`` (returning the import's id),
    ``status()``, ``wait()`` and ``cancel()`` run it in the background. A failed or
    cancelled import commits nothing, nor does one whose sources hold nothing.
    Objects under one of the repository's virtual chunk containers are imported by
    reference; others are copied in.
    """

    def __repr__(self) -> str:
        return repr(self.aio).removeprefix("Async")

    id = forwarded(AsyncImportManager.id)
    sources = forwarded(AsyncImportManager.sources)

    @property
    def commit_message(self) -> str:
        """The message of the import's commit; settable until the import starts."""
        return self.aio.commit_message

    @commit_message.setter
    def commit_message(self, message: str) -> None:
        self.aio.commit_message = message

    @property
    def metadata(self) -> dict[str, str]:
        """A copy of the import commit's metadata; assign a new mapping (until the import
        starts) to change it."""
        return self.aio.metadata

    @metadata.setter
    def metadata(self, metadata: Mapping[str, str] | None) -> None:
        self.aio.metadata = metadata

    @documented_by(AsyncImportManager.prefix)
    def prefix(self, uri: str, destination: str) -> Self:
        self.aio.prefix(uri, destination)
        return self

    @documented_by(AsyncImportManager.object)
    def object(self, uri: str, destination: str) -> Self:
        self.aio.object(uri, destination)
        return self

    start = awaited(AsyncImportManager.start)
    status = awaited(AsyncImportManager.status)
    wait = awaited(AsyncImportManager.wait)
    run = awaited(AsyncImportManager.run)
    cancel = awaited(AsyncImportManager.cancel)
