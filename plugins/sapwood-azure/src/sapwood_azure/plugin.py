"""Entry point of sapwood-azure: registers the ``azure`` storage backend.

Import-light: the Azure SDK is imported only when a store is opened, so ``sapwood plugins``
and URL parsing work without it, and a missing SDK says what to install.
"""

from __future__ import annotations

from collections.abc import Callable

from sapwood.config import ObjectStoreConfig, convert_config
from sapwood.credentials import CredentialProvider
from sapwood.errors import PluginError
from sapwood.extensions import StorageBackend
from sapwood.hookspecs import hookimpl
from sapwood.storage import Storage
from sapwood_azure.settings import AzureExtra

__all__ = ["open_azure_storage", "sapwood_register_storage_backends"]


def open_azure_storage(
    config: ObjectStoreConfig, credentials: CredentialProvider | None = None
) -> Storage:
    """The Azure Blob store ``config`` names (``az://CONTAINER/prefix``). No I/O happens."""
    extra = convert_config(dict(config.extra), AzureExtra, what="ObjectStoreConfig.extra")
    try:
        from sapwood_azure.storage import AzureStorage
    except ImportError as exc:
        raise PluginError(
            f"the azure storage backend needs the Azure SDK, which failed to import ({exc}); "
            "install it with: pip install sapwood-azure"
        ) from exc
    return AzureStorage(config, credentials, extra=extra)


@hookimpl
def sapwood_register_storage_backends(register: Callable[[StorageBackend], None]) -> None:
    """Register ``azure`` (URLs ``az://``, ``azure://`` and ``abfs://``)."""
    register(
        StorageBackend(
            name="azure",
            factory=open_azure_storage,
            url_schemes=("az", "azure", "abfs"),
            extra_type=AzureExtra,
            description="Azure Blob Storage (and Azurite); az://CONTAINER/prefix",
        )
    )
