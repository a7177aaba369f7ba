"""StrTuple: the immutable sequence of strings sapwood's values and errors hand back
(``Commit.parents``, ``ConflictError.conflicts``)."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["StrTuple"]


class StrTuple(tuple[str, ...]):
    """A tuple of strings (immutable, hashable) that also compares equal to a list holding
    the same strings, so ``commit.parents == [first.id]`` and ``== (first.id,)`` both
    hold, whichever a caller finds natural."""

    __slots__ = ()

    def __new__(cls, items: Iterable[str] = ()) -> StrTuple:
        return super().__new__(cls, items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, list):
            return list(self) == other
        return tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = tuple.__hash__
