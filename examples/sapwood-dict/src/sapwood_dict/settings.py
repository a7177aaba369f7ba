"""What users pass to sapwood-dict: the backend's settings and the vault credentials value.

The plugin module registers these types, so they are kept apart from the implementations,
which are imported on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import msgspec


class DictExtra(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The settings the ``dict`` backend accepts in ``ObjectStoreConfig.extra``."""

    max_objects: Annotated[int, msgspec.Meta(ge=1)] = 10_000
    """How many objects a store holds at most; a put of a new key beyond it is refused."""


@dataclass(frozen=True)
class VaultCredentials:
    """What a user passes to use the ``vault`` provider: where the secret lives, never the
    secret itself."""

    path: str
