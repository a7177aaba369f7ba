"""Where an integration test's repository lives: one backend, one fresh location, and what a
worker process needs to open the same repository again.

A :class:`Target` pickles (an ObjectStoreConfig or URL plus credentials), so it crosses into
spawned worker processes unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import sapwood
from sapwood.config import ObjectStoreConfig, RepositoryConfig
from sapwood.credentials import AnonymousCredentials, StaticCredentials

__all__ = ["ALL_BACKENDS", "Credentials", "Target"]

ALL_BACKENDS: Final = ("memory", "local", "s3", "tigris", "gcs", "azure")
"""Every backend the integration tests run on; each test is parametrized over them."""

Credentials = StaticCredentials | AnonymousCredentials | None


@dataclass(frozen=True)
class Target:
    """A fresh, empty location on one backend.

    ``multiprocess`` is False for the memory backend, whose stores live inside one process:
    its "workers" are threads of the test process instead.
    """

    backend: str
    store: ObjectStoreConfig | str
    credentials: Credentials = None

    @property
    def multiprocess(self) -> bool:
        """Whether separate processes can share this location."""
        return self.backend != "memory"

    def create(self, config: RepositoryConfig | None = None) -> sapwood.Repository:
        """Create the repository here."""
        return sapwood.Repository.create(self.store, self.credentials, config)

    def open(self) -> sapwood.Repository:
        """Open the repository here (as a worker process does)."""
        return sapwood.Repository.open(self.store, self.credentials)
