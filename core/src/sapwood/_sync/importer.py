"""ImportManager: bring existing objects into a branch as one commit (sync twin of
:class:`sapwood.aio.AsyncImportManager`)."""

from __future__ import annotations

from typing import Self

from sapwood._sync._bind import awaited, documented_by, forwarded
from sapwood._sync._twin import Twin
from sapwood.aio.importer import AsyncImportManager

__all__ = ["ImportManager"]


class ImportManager(Twin[AsyncImportManager]):
    """An import of one or more sources into a branch, committed as one commit.

    ``manager.run()`` imports and waits; ``start()``, ``status()``, ``wait()`` and
    ``cancel()`` run it in the background. A failed or cancelled import commits nothing.
    Objects under one of the repository's virtual chunk containers are imported by
    reference; others are copied in.
    """

    def __repr__(self) -> str:
        return repr(self.aio).removeprefix("Async")

    sources = forwarded(AsyncImportManager.sources)

    @documented_by(AsyncImportManager.prefix)
    def prefix(self, uri: str, destination: str) -> Self:
        self.aio.prefix(uri, destination)
        return self

    start = awaited(AsyncImportManager.start)
    status = awaited(AsyncImportManager.status)
    wait = awaited(AsyncImportManager.wait)
    run = awaited(AsyncImportManager.run)
    cancel = awaited(AsyncImportManager.cancel)
