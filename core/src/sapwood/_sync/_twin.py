"""What every sync class shares: the link to its async twin, and iterators that pull the
twin's async iterators across the background loop."""

from __future__ import annotations

import threading
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from sapwood import _loop

__all__ = ["Twin", "iterate"]

A = TypeVar("A")
T = TypeVar("T")
S = TypeVar("S")

_lock = threading.Lock()
# Keyed by id() of the async object: a sync object keeps its twin alive, so the id cannot be
# reused while the entry exists, and the entry goes when the sync object does.
_wrappers: weakref.WeakValueDictionary[int, Twin[Any]] = weakref.WeakValueDictionary()


class Twin(Generic[A]):
    """Base of the sync classes: ``aio`` is the async object doing the work."""

    aio: A
    """The async twin, for code that runs in an event loop of its own."""

    def __init__(self, aio: A) -> None:
        self.aio = aio

    if not TYPE_CHECKING:  # hidden from type checkers, which then still flag unknown names

        def __setattr__(self, name: str, value: object) -> None:
            # A misspelt or unknown setting (``manager.message = ...``) would otherwise be
            # stored on the sync object and ignored by the async one doing the work.
            if name == "aio" or name.startswith("_") or hasattr(type(self), name):
                super().__setattr__(name, value)
                return
            raise AttributeError(
                f"{type(self).__name__} has no setting {name!r}; it would be ignored, so it "
                f"is refused (see help({type(self).__name__}) for what it has)"
            )

    @classmethod
    def wrap(cls, aio: A) -> Self:
        """The sync twin of ``aio``: the same object for as long as one is in use, so a
        handle the async side hands out once (``repo.branch("main")``) stays one handle."""
        with _lock:
            found = _wrappers.get(id(aio))
            if type(found) is cls and found.aio is aio:
                return found
            made = cls(aio)
            _wrappers[id(aio)] = made
            return made


def iterate(source: AsyncIterator[T], wrap: Callable[[T], S]) -> Iterator[S]:
    """A lazy sync iterator over ``source``'s items, each passed through ``wrap``."""
    items = _loop.iterate(source)
    try:
        for item in items:
            yield wrap(item)
    finally:
        items.close()
