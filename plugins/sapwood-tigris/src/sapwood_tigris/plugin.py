"""The ``tigris`` entry point: registers the Tigris backend without importing boto3."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sapwood.config import ObjectStoreConfig
from sapwood.credentials import CredentialProvider
from sapwood.errors import PluginError
from sapwood.extensions import StorageBackend
from sapwood.hookspecs import hookimpl
from sapwood_tigris.settings import TigrisExtra

if TYPE_CHECKING:
    from sapwood_tigris.storage import TigrisStorage

__all__ = ["make_storage", "sapwood_register_storage_backends"]


def load_storage_class() -> type[TigrisStorage]:
    """The TigrisStorage class, importing boto3; PluginError says what to install."""
    try:
        from sapwood_tigris.storage import TigrisStorage
    except ImportError as exc:
        raise PluginError(
            f"the tigris storage backend needs boto3 and sapwood-s3, which could not be "
            f"imported ({exc}); install them with: pip install sapwood-tigris sapwood-s3"
        ) from None
    return TigrisStorage


def make_storage(
    config: ObjectStoreConfig, credentials: CredentialProvider | None
) -> TigrisStorage:
    """Build a Tigris store from its config (no I/O: connections open on first use)."""
    return load_storage_class().from_config(config, credentials)


@hookimpl
def sapwood_register_storage_backends(register: Callable[[StorageBackend], None]) -> None:
    """Register the ``tigris`` backend for ``tigris://bucket/prefix`` URLs."""
    register(
        StorageBackend(
            name="tigris",
            factory=make_storage,
            url_schemes=("tigris",),
            extra_type=TigrisExtra,
            description="Tigris object storage (the S3 API with Tigris defaults)",
        )
    )
