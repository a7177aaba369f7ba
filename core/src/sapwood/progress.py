"""Progress of long transfers: a caller's callback, a rich bar on a terminal, or nothing.

``progress=`` arguments (``upload_folder``, ``download_folder``, the command line) take
``None`` (no report), ``True`` (a rich bar on stderr when stderr is a terminal, nothing
otherwise, so logs and pipes stay clean) or a callable receiving ``(done_bytes,
total_bytes, done_objects, total_objects)``. The callable runs in the thread that runs the
transfer (sapwood's background loop thread for the sync API), so it should return quickly.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self, TypeAlias

__all__ = ["ProgressCallback", "ProgressOption", "TransferProgress"]

ProgressCallback: TypeAlias = Callable[[int, int, int, int], Any]
"""Called with ``(done_bytes, total_bytes, done_objects, total_objects)``."""

ProgressOption: TypeAlias = "bool | ProgressCallback | None"
"""What a ``progress=`` argument takes: None, True (a bar on a terminal) or a callback."""


class TransferProgress:
    """Counts bytes and objects done out of a total and reports them as ``progress`` asks.

    Use it as a context manager: a rich bar is drawn between enter and exit.
    """

    def __init__(self, progress: ProgressOption, description: str) -> None:
        if progress is not None and not isinstance(progress, bool) and not callable(progress):
            raise TypeError(
                "progress is None, True (a bar on a terminal) or a callable taking "
                f"(done_bytes, total_bytes, done_objects, total_objects), not {progress!r}"
            )
        self._callback: ProgressCallback | None = progress if callable(progress) else None
        self._wants_bar = progress is True and sys.stderr.isatty()
        self._description = description
        self._bar: Any = None
        self._task: Any = None
        self.total_bytes = 0
        self.total_objects = 0
        self.done_bytes = 0
        self.done_objects = 0

    def __enter__(self) -> Self:
        if self._wants_bar:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TextColumn("{task.fields[objects]}"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(self._description, total=None, objects="")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def set_total(self, total_bytes: int, total_objects: int) -> None:
        """Fix the totals, once the work is known."""
        self.total_bytes = total_bytes
        self.total_objects = total_objects
        self._report()

    def advance(self, done_bytes: int = 0, done_objects: int = 0) -> None:
        """Add finished work."""
        self.done_bytes += done_bytes
        self.done_objects += done_objects
        self._report()

    def _report(self) -> None:
        if self._callback is not None:
            self._callback(self.done_bytes, self.total_bytes, self.done_objects, self.total_objects)
        if self._bar is not None:
            self._bar.update(
                self._task,
                completed=self.done_bytes,
                total=self.total_bytes,
                objects=f"{self.done_objects}/{self.total_objects} objects",
            )
