"""Virtual objects: manifest entries whose bytes stay in an external store.

Each location must fall under one of the repository's virtual chunk containers
(``RepositoryConfig.virtual_chunk_containers``); the part of the URL after the container's
prefix is the key in the container's store. The engine never opens a store itself: the
composition root hands it a :data:`ContainerOpener`, which holds the containers'
credentials (passed when the repository is opened, by container name, and never stored).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeAlias

from sapwood.config import RepositoryConfig, VirtualChunkContainer
from sapwood.engine.format import VirtualRef
from sapwood.errors import ConfigError, IntegrityError
from sapwood.layer import ObjectLayer
from sapwood.storage import ByteRange

__all__ = ["ContainerOpener", "VirtualResolver"]

ContainerOpener: TypeAlias = Callable[[VirtualChunkContainer, RepositoryConfig], ObjectLayer]
"""Builds the object layer over a virtual chunk container's store, with the repository's
resolved config (made by the composition root, which knows backends and credentials)."""


class VirtualResolver:
    """Finds the container of a virtual location and reads byte ranges from it."""

    def __init__(
        self,
        config: RepositoryConfig,
        open_container: ContainerOpener | None = None,
    ) -> None:
        self.config = config
        self.containers: dict[str, VirtualChunkContainer] = dict(
            config.virtual_chunk_containers or {}
        )
        self._open_container = open_container
        self._layers: dict[str, ObjectLayer] = {}
        self._checked: dict[str, str | None] = {}
        self._lock = asyncio.Lock()

    def container_for(self, location: str) -> tuple[VirtualChunkContainer, str]:
        """The container holding ``location`` (longest prefix wins) and the key in it."""
        best: VirtualChunkContainer | None = None
        for container in self.containers.values():
            if location.startswith(container.prefix) and (
                best is None or len(container.prefix) > len(best.prefix)
            ):
                best = container
        if best is None:
            known = ", ".join(sorted(c.prefix for c in self.containers.values())) or "none"
            raise ConfigError(
                f"no virtual chunk container covers {location!r} (containers: {known}); add "
                "one to RepositoryConfig.virtual_chunk_containers and save the config",
                field="virtual_chunk_containers",
            )
        return best, location[len(best.prefix) :]

    async def _layer(self, container: VirtualChunkContainer) -> ObjectLayer:
        async with self._lock:
            layer = self._layers.get(container.name)
            if layer is None:
                if self._open_container is None:
                    raise ConfigError(
                        f"virtual chunk container {container.name!r} cannot be read: this "
                        "engine was built without a way to open stores; open the repository "
                        "through sapwood.Repository or sapwood.aio.AsyncRepository",
                        field="virtual_chunk_containers",
                    )
                layer = self._open_container(container, self.config)
                self._layers[container.name] = layer
            return layer

    async def fetch(self, ref: VirtualRef, start: int, stop: int) -> bytes:
        """Bytes ``[start, stop)`` of the virtual object (relative to its own offset)."""
        container, key = self.container_for(ref.location)
        layer = await self._layer(container)
        if ref.etag is not None and ref.location not in self._checked:
            meta = await layer.head(key)
            self._checked[ref.location] = meta.etag
        if ref.etag is not None and self._checked.get(ref.location) != ref.etag:
            raise IntegrityError(
                f"virtual object {ref.location} changed since it was recorded (etag "
                f"{self._checked.get(ref.location)!r}, expected {ref.etag!r})"
            )
        begin = ref.offset + start
        return await layer.get(key, ByteRange(begin, ref.offset + stop))

    async def close(self) -> None:
        """Close the container stores opened so far."""
        layers, self._layers = list(self._layers.values()), {}
        for layer in layers:
            await layer.close()
