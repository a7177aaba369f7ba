"""ImportManager: bring existing objects into a branch as one commit (sync twin of
:class:`sapwood.aio.AsyncImportManager`)."""

from __future__ import annotations

from typing import Self

from sapwood import _loop
from sapwood._sync._twin import Twin
from sapwood.aio.importer import AsyncImportManager, ImportStatus

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

    @property
    def sources(self) -> tuple[tuple[str, str], ...]:
        """The (uri, destination) pairs to import."""
        return self.aio.sources

    def prefix(self, uri: str, destination: str) -> Self:
        """Add a source: every object under ``uri`` goes under ``destination``."""
        self.aio.prefix(uri, destination)
        return self

    def start(self) -> None:
        """Start importing in the background (see :meth:`status` and :meth:`wait`)."""
        _loop.run(self.aio.start())

    def status(self) -> ImportStatus:
        """Where the import stands now."""
        return _loop.run(self.aio.status())

    def wait(self) -> ImportStatus:
        """Wait for the import to end; its final status (its error re-raised if it failed)."""
        return _loop.run(self.aio.wait())

    def run(self) -> ImportStatus:
        """Import every source and commit; the final status."""
        return _loop.run(self.aio.run())

    def cancel(self) -> None:
        """Stop the import; nothing is committed."""
        _loop.run(self.aio.cancel())
