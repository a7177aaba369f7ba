"""Entry point of sapwood-local: registers the ``local`` storage backend (``file://``)."""

from __future__ import annotations

from collections.abc import Callable

from sapwood.config import ObjectStoreConfig, convert_config
from sapwood.credentials import CredentialProvider
from sapwood.errors import ConfigError
from sapwood.extensions import StorageBackend
from sapwood.hookspecs import hookimpl
from sapwood.kit.fields import refuse_unused_fields
from sapwood.storage import Storage
from sapwood_local.config import LocalExtra


def open_local_storage(
    config: ObjectStoreConfig, _credentials: CredentialProvider | None = None
) -> Storage:
    """The folder ``config.prefix`` names (relative paths use the working directory)."""
    from sapwood_local.storage import LocalStorage

    if not config.prefix:
        raise ConfigError(
            "a local store needs a folder: write file:///absolute/path or set prefix",
            field="prefix",
        )
    refuse_unused_fields(config, "local", ("prefix",))
    extra = convert_config(config.extra, LocalExtra, what="ObjectStoreConfig.extra")
    return LocalStorage(config.prefix, fsync=extra.fsync)


@hookimpl
def sapwood_register_storage_backends(register: Callable[[StorageBackend], None]) -> None:
    """Register ``local`` (URLs ``file:///path``)."""
    register(
        StorageBackend(
            name="local",
            factory=open_local_storage,
            url_schemes=("file",),
            extra_type=LocalExtra,
            description="plain files in a local folder; file:///path",
        )
    )
