"""Checks of arguments the listing calls share (``max_amount``), so a bad value is refused
where it is passed instead of quietly listing nothing."""

from __future__ import annotations

__all__ = ["check_max_amount"]


def check_max_amount(max_amount: object) -> int | None:
    """``max_amount`` if it is None (no limit) or an int of at least 0; TypeError or
    ValueError saying what is wrong otherwise."""
    if max_amount is None:
        return None
    if isinstance(max_amount, bool) or not isinstance(max_amount, int):
        raise TypeError(f"max_amount is an int or None (no limit), not {type(max_amount).__name__}")
    if max_amount < 0:
        raise ValueError(
            f"max_amount must not be negative (got {max_amount}); pass None for no limit"
        )
    return max_amount
