"""Settings only the local backend knows, read from ``ObjectStoreConfig.extra``."""

from __future__ import annotations

import msgspec

__all__ = ["LocalExtra"]


class LocalExtra(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``fsync`` (default true) flushes every write to the disk before it counts as done;
    turn it off (``file:///path?fsync=false``) for scratch data that may be lost on a
    power cut, in exchange for much faster small writes."""

    fsync: bool = True
