"""The ``s3`` entry point: registers the S3 backend without importing boto3.

boto3 is imported only when a store is built, so ``import sapwood`` and plugin discovery
stay fast; without boto3 the factory raises a PluginError naming the dist to install.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sapwood.config import ObjectStoreConfig
from sapwood.credentials import CredentialProvider
from sapwood.errors import PluginError
from sapwood.extensions import StorageBackend
from sapwood.hookspecs import hookimpl
from sapwood_s3.settings import S3Extra

if TYPE_CHECKING:
    from sapwood_s3.storage import S3Storage

__all__ = ["make_storage", "sapwood_register_storage_backends"]


def load_storage_class() -> type[S3Storage]:
    """The S3Storage class, importing boto3; PluginError says how to install it if missing."""
    try:
        from sapwood_s3.storage import S3Storage
    except ImportError as exc:
        raise PluginError(
            f"the s3 storage backend needs boto3, which could not be imported ({exc}); "
            "install it with: pip install sapwood-s3"
        ) from None
    return S3Storage


def make_storage(config: ObjectStoreConfig, credentials: CredentialProvider | None) -> S3Storage:
    """Build an S3 store from its config (no I/O: connections open on first use)."""
    return load_storage_class().from_config(config, credentials)


@hookimpl
def sapwood_register_storage_backends(register: Callable[[StorageBackend], None]) -> None:
    """Register the ``s3`` backend for ``s3://bucket/prefix`` URLs."""
    register(
        StorageBackend(
            name="s3",
            factory=make_storage,
            url_schemes=("s3",),
            extra_type=S3Extra,
            description="Amazon S3 and S3-compatible services (boto3)",
        )
    )
