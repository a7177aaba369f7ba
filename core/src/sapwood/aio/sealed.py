"""Objects whose public settings are fixed: assigning a name they do not have (a misspelt
``manager.comit_message = ...``) raises instead of being stored and ignored."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Sealed"]


class Sealed:
    """Refuses new public attributes once ``__init__`` has run (it sets ``_sealed``).

    Properties with setters, attributes set during ``__init__`` and private names (``_x``)
    stay assignable."""

    _sealed = False

    if not TYPE_CHECKING:  # hidden from type checkers, which then still flag unknown names

        def __setattr__(self, name: str, value: Any) -> None:
            if (
                self._sealed
                and not name.startswith("_")
                and name not in self.__dict__
                and not hasattr(type(self), name)
            ):
                raise AttributeError(
                    f"{type(self).__name__} has no setting {name!r}; it would be ignored, so "
                    f"it is refused (see help({type(self).__name__}) for what it has)"
                )
            super().__setattr__(name, value)
