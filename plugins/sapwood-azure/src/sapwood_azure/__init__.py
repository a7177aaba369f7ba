"""sapwood-azure: a sapwood storage backend for Azure Blob Storage.

``az://CONTAINER/prefix`` (also ``azure://`` and ``abfs://CONTAINER@ACCOUNT.dfs.core.windows.net/``)
names a container and a folder in it. The Azure SDK is imported only when a store opens;
import :class:`sapwood_azure.storage.AzureStorage` for direct use.
"""

from __future__ import annotations

from sapwood_azure.settings import AzureExtra

__all__ = ["AzureExtra"]
