"""The one table of URL schemes: which storage backend a ``scheme://`` URL names.

Its content comes from the storage backends' registrations
(``StorageBackend(url_schemes=...)``). This module sits at the bottom of the core, below the
registry, so it cannot ask the registry itself: the composition root installs a *loader*
(:meth:`SchemeTable.install`) that reads the registrations when a scheme is looked up.
That keeps :class:`~sapwood.config.ObjectStoreConfig` free of upward imports while
``from_url`` still sees every installed plugin, including one added at run time.

:data:`FIRST_PARTY` is the only other place schemes are written down: the catalogue of the
project's own plugin distributions, so a URL for a backend that is not installed
(``s3://`` without sapwood-s3) still parses, and opening it can say which distribution to
``pip install``. A registration always wins over the catalogue.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

__all__ = [
    "FIRST_PARTY",
    "URL_SCHEMES",
    "FirstPartyPlugin",
    "SchemeTable",
    "first_party_dist",
    "with_catalogue",
]


@dataclass(frozen=True)
class FirstPartyPlugin:
    """One of the project's own plugin distributions and what it provides."""

    name: str
    """The storage backend (or importer) name it registers."""
    dist: str
    """The distribution to ``pip install``."""
    url_schemes: tuple[str, ...] = ()
    """URL schemes its storage backend registers (empty for an importer)."""


FIRST_PARTY: tuple[FirstPartyPlugin, ...] = (
    FirstPartyPlugin("memory", "sapwood-memory", ("memory",)),
    FirstPartyPlugin("local", "sapwood-local", ("file",)),
    FirstPartyPlugin("s3", "sapwood-s3", ("s3",)),
    FirstPartyPlugin("gcs", "sapwood-gcs", ("gs", "gcs")),
    FirstPartyPlugin("azure", "sapwood-azure", ("az", "azure", "abfs")),
    FirstPartyPlugin("tigris", "sapwood-tigris", ("tigris",)),
    FirstPartyPlugin("lakefs", "sapwood-lakefs-import"),
)
"""The project's own plugins. Each installed one registers the same schemes itself (a test
checks that); the catalogue only answers for the ones that are not installed."""


def first_party_dist(name: str) -> str | None:
    """The first-party distribution providing backend or importer ``name``, if any."""
    for plugin in FIRST_PARTY:
        if plugin.name == name:
            return plugin.dist
    return None


def with_catalogue(
    registered: Mapping[str, str], catalogue: tuple[FirstPartyPlugin, ...] = FIRST_PARTY
) -> dict[str, str]:
    """``registered`` (scheme -> backend), then the catalogue's schemes it does not cover."""
    merged = dict(registered)
    for plugin in catalogue:
        for scheme in plugin.url_schemes:
            merged.setdefault(scheme, plugin.name)
    return merged


RegisteredSchemes = Callable[[], Mapping[str, str]]
"""Returns scheme -> backend name for every registered storage backend."""


class SchemeTable(Mapping[str, str]):
    """URL scheme -> storage backend name: the registered schemes, then the first-party
    catalogue's for backends that are not installed.

    A read-only, live mapping: each lookup asks the installed loader again (a registry
    lookup is a dict walk), so a plugin registered later is seen at once. Without a loader
    (code that never imported the composition root) only the catalogue answers.
    """

    def __init__(self, catalogue: tuple[FirstPartyPlugin, ...] = FIRST_PARTY) -> None:
        self._catalogue = catalogue
        self._loader: RegisteredSchemes | None = None
        self._lock = threading.Lock()

    def install(self, loader: RegisteredSchemes | None) -> None:
        """Read registrations through ``loader`` from now on (None: catalogue only)."""
        with self._lock:
            self._loader = loader

    def registered(self) -> dict[str, str]:
        """Scheme -> backend name from the registrations alone."""
        loader = self._loader
        return dict(loader()) if loader is not None else {}

    def _merged(self) -> dict[str, str]:
        return with_catalogue(self.registered(), self._catalogue)

    def backend_for(self, scheme: str) -> str | None:
        """The backend a URL scheme names, or None when nothing knows the scheme."""
        return self._merged().get(scheme.lower())

    def scheme_for(self, backend: str) -> str:
        """The canonical scheme of ``backend`` (its first registered one; the backend name
        itself when nothing registered a scheme for it)."""
        for scheme, name in self._merged().items():
            if name == backend:
                return scheme
        return backend

    def __getitem__(self, scheme: str) -> str:
        found = self.backend_for(scheme)
        if found is None:
            raise KeyError(scheme)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._merged())

    def __len__(self) -> int:
        return len(self._merged())

    def __repr__(self) -> str:
        return f"SchemeTable({self._merged()!r})"


URL_SCHEMES = SchemeTable()
"""The process-wide scheme table ``ObjectStoreConfig.from_url`` and ``to_url`` use."""
