"""Branch moves made in this process, counted, so a remembered branch head is trusted only
while no repository handle in the process has moved a branch since it was read.

Reads that follow a branch reuse its head for ``caching.branch_head_ttl_seconds`` (see
:mod:`sapwood.engine.refs`). Without this count, a second handle on the same store would
keep showing the old head for that long after the first one committed; with it, a commit
is visible to every handle of the process as soon as it returns. Only other processes'
moves are subject to the time bound. Any move invalidates every remembered head (the count
does not say which store or branch moved), which costs at most one ref read each.
"""

from __future__ import annotations

import itertools
import threading
from typing import Final

__all__ = ["HEAD_MOVES", "HeadMoves"]


class HeadMoves:
    """A process-wide count of branch moves (creations, updates and deletions)."""

    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._latest = 0

    @property
    def latest(self) -> int:
        """The number of the most recent move; take it before reading a head to remember
        it, so a move made during the read makes the remembered head stale."""
        return self._latest

    def note(self) -> int:
        """Record a move that has landed in the store; its number."""
        with self._lock:
            self._latest = next(self._numbers)
            return self._latest


HEAD_MOVES: Final = HeadMoves()
"""The count every RefStore of this process shares."""
