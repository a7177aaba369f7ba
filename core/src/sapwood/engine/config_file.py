"""The persistent repository document, ``config.json``, stored beside the refs.

It records the format version, how refs move (see :mod:`sapwood.engine.refs`) and the
:class:`~sapwood.config.RepositoryConfig` saved with the repository. Only the fields a user
set are stored, so later sapwood defaults still apply to the rest. Credentials are never
stored: a config whose virtual chunk containers carry secret-looking settings is refused.
"""

from __future__ import annotations

import re
from typing import Final

import msgspec

from sapwood.config import RepositoryConfig, mask_text
from sapwood.engine.format import RepositoryDocument, decode_document, encode_document
from sapwood.engine.keys import CONFIG_KEY
from sapwood.errors import AlreadyExistsError, ConfigError, NotFoundError, RepositoryExistsError
from sapwood.layer import ObjectLayer

__all__ = ["check_no_credentials", "read_document", "write_document"]

_SECRET: Final = re.compile(
    r"secret|token|password|passwd|credential|sas|account_key|access_key|private_key|"
    r"signature|authori[sz]ation|connection_?string|(?:^|[^a-z])sig(?:$|[^a-z])",
    re.IGNORECASE,
)
_REFUSAL: Final = (
    "credentials are never stored with a repository: pass them as virtual_chunk_credentials "
    "(or store credentials) when opening it"
)


def _secrets_in(value: object, path: str) -> str | None:
    """The path of the first secret-looking key or value at or below ``value``."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            if _SECRET.search(str(key)):
                return where
            found = _secrets_in(item, where)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _secrets_in(item, f"{path}[{index}]")
            if found is not None:
                return found
    elif isinstance(value, str) and mask_text(value) != value:
        return path
    return None


def check_no_credentials(config: RepositoryConfig) -> None:
    """Refuse a config that would write something secret-looking to storage: a setting
    named like a credential at any depth, or a value carrying one (user info in a URL, a
    SAS ``sig=``, a connection string's ``AccountKey=``, a ``Bearer`` token)."""
    for name, container in (config.virtual_chunk_containers or {}).items():
        stored = msgspec.to_builtins(container)
        for key, value in stored.items():
            found = _secrets_in(value, f"virtual_chunk_containers.{name}.{key}")
            if found is not None:
                raise ConfigError(
                    f"virtual chunk container {name!r} has a setting ({found}) that looks like "
                    f"or carries a credential; {_REFUSAL}",
                    field=found,
                )


async def read_document(layer: ObjectLayer) -> RepositoryDocument | None:
    """The repository document, or None where there is no repository."""
    try:
        data = await layer.get(CONFIG_KEY)
    except NotFoundError:
        return None
    return decode_document(data, RepositoryDocument, CONFIG_KEY)


async def write_document(layer: ObjectLayer, document: RepositoryDocument, *, create: bool) -> None:
    """Store the document; with ``create``, fail with RepositoryExistsError if one exists."""
    check_no_credentials(document.config)
    data = encode_document(document)
    if not create:
        await layer.put(CONFIG_KEY, data, content_type="application/json")
        return
    exists = RepositoryExistsError(
        "a sapwood repository already exists at this location; open it with "
        "Repository.open (or open_or_create), or choose another prefix"
    )
    if not layer.capabilities.conditional_create:
        try:
            await layer.head(CONFIG_KEY)
        except NotFoundError:
            await layer.put(CONFIG_KEY, data, content_type="application/json")
            return
        raise exists
    try:
        await layer.put(CONFIG_KEY, data, mode="create", content_type="application/json")
    except AlreadyExistsError:
        raise exists from None
