"""Entry point of sapwood-memory: registers the ``memory`` storage backend."""

from __future__ import annotations

from collections.abc import Callable

from sapwood.config import ObjectStoreConfig
from sapwood.credentials import CredentialProvider
from sapwood.extensions import StorageBackend
from sapwood.hookspecs import hookimpl
from sapwood.kit.fields import refuse_unused_fields
from sapwood.storage import Storage


def open_memory_storage(
    config: ObjectStoreConfig, _credentials: CredentialProvider | None = None
) -> Storage:
    """The memory store ``config.bucket`` names, under ``config.prefix``."""
    from sapwood_memory.storage import MemoryStorage

    refuse_unused_fields(config, "memory", ("bucket", "prefix"))
    return MemoryStorage(config.bucket or "", config.prefix)


@hookimpl
def sapwood_register_storage_backends(register: Callable[[StorageBackend], None]) -> None:
    """Register ``memory`` (URLs ``memory://NAME/optional/prefix``)."""
    register(
        StorageBackend(
            name="memory",
            factory=open_memory_storage,
            url_schemes=("memory",),
            description="objects in the memory of this process; memory://NAME",
        )
    )
