"""sapwood-s3: the Amazon S3 (and S3-compatible) storage backend for sapwood.

Import-light: ``S3Storage`` (which imports boto3) is loaded on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sapwood_s3.settings import S3Extra

if TYPE_CHECKING:
    from sapwood_s3.storage import S3Storage

__all__ = ["S3Extra", "S3Storage"]


def __getattr__(name: str) -> Any:
    if name == "S3Storage":
        from sapwood_s3.plugin import load_storage_class

        return load_storage_class()
    raise AttributeError(f"module 'sapwood_s3' has no attribute {name!r}")
