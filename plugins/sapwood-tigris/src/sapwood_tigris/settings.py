"""The Tigris backend's own settings: the S3 ones plus the consistency mode.

Import-light (msgspec only), like :mod:`sapwood_s3.settings`.
"""

from __future__ import annotations

from typing import Literal

from sapwood_s3.settings import S3Extra

__all__ = ["Consistency", "TigrisExtra"]

Consistency = Literal["conditional", "all", "off"]


class TigrisExtra(S3Extra, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``ObjectStoreConfig.extra`` for ``tigris``: every S3 setting, and ``consistency``.

    ``consistency`` says which requests carry ``X-Tigris-Consistent: true``, which makes
    Tigris serve them from the bucket's leader with global strong consistency:
    ``conditional`` (the default): writes with ``If-Match`` / ``If-None-Match``, so a
    compare-and-swap or create-only write is decided against the latest state wherever it
    is sent from; ``all``: every request (reads too: global read-after-write, at the cost of
    a round trip to the leader); ``off``: none (the bucket's own setting applies).
    """

    consistency: Consistency = "conditional"
