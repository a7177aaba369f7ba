"""sapwood-gcs: a Google Cloud Storage backend for sapwood (``gs://`` and ``gcs://`` URLs).

Importing this package is cheap: google-cloud-storage is imported only when a store is
opened. :class:`GcsStorage` is loaded on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sapwood_gcs.settings import GcsExtra

if TYPE_CHECKING:
    from sapwood_gcs.storage import GcsStorage

__all__ = ["GcsExtra", "GcsStorage"]


def __getattr__(name: str) -> Any:
    if name == "GcsStorage":
        from sapwood_gcs.storage import GcsStorage

        return GcsStorage
    raise AttributeError(f"module 'sapwood_gcs' has no attribute {name!r}")
