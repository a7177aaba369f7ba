"""sapwood-tigris: the Tigris storage backend for sapwood (the S3 backend, Tigris defaults).

Import-light: ``TigrisStorage`` (which imports boto3) is loaded on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sapwood_tigris.settings import TigrisExtra

if TYPE_CHECKING:
    from sapwood_tigris.storage import TigrisStorage

__all__ = ["TigrisExtra", "TigrisStorage"]


def __getattr__(name: str) -> Any:
    if name == "TigrisStorage":
        from sapwood_tigris.plugin import load_storage_class

        return load_storage_class()
    raise AttributeError(f"module 'sapwood_tigris' has no attribute {name!r}")
