"""Parsing the command line's own notations: ``REF:PATH`` names and durations."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sapwood.cli.context import UsageError

__all__ = ["RefPath", "parse_older_than", "parse_ref_path"]

_DURATION: Final = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$")
_NOW: Final = frozenset({"0", "0.0", "now"})
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True)
class RefPath:
    """An object (or prefix) named ``REF:PATH``: ``main:data/a.csv``, ``v1:``, ``main~2:x``."""

    ref: str
    path: str

    def __str__(self) -> str:
        return f"{self.ref}:{self.path}"


def parse_ref_path(text: str) -> RefPath:
    """Split ``REF:PATH`` at its first ``:`` (ref names never hold one); UsageError if the
    ``:`` or the ref is missing."""
    ref, colon, path = text.partition(":")
    if not colon or not ref:
        raise UsageError(
            f"{text!r} does not name an object: write REF:PATH, such as main:data/a.csv, "
            "v1: (the whole tree) or main~2:data/"
        )
    return RefPath(ref, path)


def parse_older_than(text: str, now: datetime | None = None) -> datetime:
    """A point in time from ``7d``, ``12h``, ``30m``, ``45s``, ``2w`` (that long ago), ``0``
    or ``now``, or an ISO date or time (``2026-01-31``, ``2026-01-31T12:00:00+01:00``; UTC
    when no zone)."""
    now = now or datetime.now(UTC)
    # A bare 0 (or "now") is that long ago in any unit; another bare number is ambiguous
    # (seconds? days?), so it is refused below, asking for a unit.
    if text.strip().lower() in _NOW:
        return now
    match = _DURATION.match(text.strip().lower())
    if match:
        amount, unit = match.groups()
        return now - timedelta(seconds=float(amount) * _UNIT_SECONDS[unit])
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"{text!r} is not a duration or a date: write 7d, 12h, 30m, 45s, 2w, 0 (now), "
            "or an ISO date such as 2026-01-31 or 2026-01-31T12:00:00Z"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
