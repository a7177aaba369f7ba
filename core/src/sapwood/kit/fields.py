"""Refusing the :class:`~sapwood.config.ObjectStoreConfig` fields a backend does not use,
so a region or endpoint given to a store that has none is an error, not silently ignored."""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from sapwood.config import ObjectStoreConfig
from sapwood.errors import ConfigError

__all__ = ["refuse_unused_fields"]

_OPTIONAL: Final = ("bucket", "prefix", "region", "endpoint_url", "anonymous", "allow_http")
"""The fields a backend may do without (``object_store`` and ``extra`` always count)."""


def refuse_unused_fields(config: ObjectStoreConfig, backend: str, uses: Collection[str]) -> None:
    """ConfigError naming the first field of ``config`` that is set although the backend
    ``backend`` does not use it (only the fields in ``uses`` may be set)."""
    for name in _OPTIONAL:
        if name in uses:
            continue
        value = getattr(config, name)
        if value not in (None, False, ""):
            raise ConfigError(
                f"the {backend} backend has no use for {name}={value!r}; it would be "
                f"ignored, so leave it out (the {backend} backend uses: "
                f"{', '.join(sorted(uses)) or 'no optional field'})",
                field=name,
            )
