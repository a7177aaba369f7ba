"""Entry point of sapwood-gcs: registers the ``gcs`` storage backend (``gs://``, ``gcs://``).

Import-light: google-cloud-storage is imported inside :func:`open_gcs_storage`, so
discovering plugins never pays for the SDK, and a missing SDK is reported when a GCS store
is opened, naming the distribution to install.
"""

from __future__ import annotations

from collections.abc import Callable

from sapwood.config import ObjectStoreConfig, convert_config
from sapwood.credentials import CredentialProvider
from sapwood.errors import PluginError
from sapwood.extensions import StorageBackend
from sapwood.hookspecs import hookimpl
from sapwood.storage import Storage
from sapwood_gcs.settings import GcsExtra

INSTALL_HINT = "pip install sapwood-gcs"


def open_gcs_storage(
    config: ObjectStoreConfig, credentials: CredentialProvider | None = None
) -> Storage:
    """The GCS store ``config`` describes. Opens no connection: that happens on first use."""
    extra = convert_config(config.extra, GcsExtra, what="ObjectStoreConfig.extra")
    try:
        from sapwood_gcs.storage import GcsStorage
    except ImportError as exc:
        raise PluginError(
            f"the gcs storage backend needs google-cloud-storage, which could not be imported "
            f"({exc}); install it with: {INSTALL_HINT}"
        ) from exc
    return GcsStorage(config, credentials, extra)


@hookimpl
def sapwood_register_storage_backends(register: Callable[[StorageBackend], None]) -> None:
    """Register ``gcs`` (URLs ``gs://BUCKET/prefix`` and ``gcs://BUCKET/prefix``)."""
    register(
        StorageBackend(
            name="gcs",
            factory=open_gcs_storage,
            url_schemes=("gs", "gcs"),
            extra_type=GcsExtra,
            description="Google Cloud Storage (and fake-gcs-server); gs://BUCKET/prefix",
        )
    )
