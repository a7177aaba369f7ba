"""The typed registry: discovers plugins, calls their hooks, and answers "who provides X?".

This is the only module that touches ``pm.hook``. Discovery happens on the first call to
:func:`registry`, never at import time. stevedore lists and loads the modules named in the
``sapwood`` entry-point group, isolating failures: a plugin that fails to import is recorded
with its error (``sapwood plugins`` shows it) and never breaks ``import sapwood``.

``SAPWOOD_DISABLE_PLUGINS`` and ``SAPWOOD_LOAD_PLUGINS`` (comma-separated entry-point or
distribution names) block or allow plugins; the core's own built-ins are always loaded.
"""

from __future__ import annotations

import importlib.metadata
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Generic, TypeVar

import pluggy
from stevedore import NamedExtensionManager

from sapwood import hookspecs
from sapwood.errors import PluginError
from sapwood.extensions import (
    CacheType,
    CredentialProviderType,
    ImporterType,
    LimiterType,
    MetricsBackendType,
    StorageBackend,
    valid_extension_name,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "FIRST_PARTY_DISTS",
    "PluginInfo",
    "Registry",
    "registry",
    "reset_registry",
]

ENTRY_POINT_GROUP = "sapwood"
CORE_ENTRY_POINT = "builtins"

FIRST_PARTY_DISTS: dict[str, str] = {
    "memory": "sapwood-memory",
    "local": "sapwood-local",
    "s3": "sapwood-s3",
    "gcs": "sapwood-gcs",
    "azure": "sapwood-azure",
    "tigris": "sapwood-tigris",
    "lakefs": "sapwood-lakefs-import",
}
"""Which first-party distribution provides each backend or importer name."""

R = TypeVar("R")


@dataclass
class PluginInfo:
    """One discovered plugin, as ``sapwood plugins`` shows it."""

    name: str
    dist: str
    version: str
    registers: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class Provided(Generic[R]):
    """A registered record and the plugin and distribution that provided it."""

    record: R
    plugin: str
    dist: str


class _Kind(Generic[R]):
    """Records of one extension point, keyed by name, with duplicates set aside."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.items: dict[str, Provided[R]] = {}
        self.conflicts: dict[str, list[str]] = {}

    def add(self, provided: Provided[R], name: str) -> str | None:
        if not valid_extension_name(name):
            return (
                f"{self.label} name {name!r} is invalid: use lowercase letters, digits, '_', "
                "'-' or '.', starting with a letter"
            )
        if name in self.conflicts:
            self.conflicts[name].append(provided.dist)
            return f"{self.label} {name!r} is also provided by {', '.join(self.conflicts[name])}"
        existing = self.items.get(name)
        if existing is not None:
            del self.items[name]
            self.conflicts[name] = [existing.dist, provided.dist]
            return (
                f"{self.label} {name!r} is provided by both {existing.dist} and {provided.dist}; "
                f"neither is used until one is removed or disabled with SAPWOOD_DISABLE_PLUGINS"
            )
        self.items[name] = provided
        return None

    def get(self, name: str) -> R:
        if name in self.conflicts:
            raise PluginError(
                f"{self.label} {name!r} is provided by more than one plugin "
                f"({', '.join(self.conflicts[name])}); uninstall one, or set "
                "SAPWOOD_DISABLE_PLUGINS to block one"
            )
        provided = self.items.get(name)
        if provided is None:
            installed = ", ".join(sorted(self.items)) or "none"
            dist = FIRST_PARTY_DISTS.get(name, f"a plugin that provides it (e.g. sapwood-{name})")
            raise PluginError(
                f"no {self.label} named {name!r} is installed (installed: {installed}); "
                f"install it with: pip install {dist}"
                if name in FIRST_PARTY_DISTS
                else f"no {self.label} named {name!r} is installed (installed: {installed}); "
                f"install {dist}"
            )
        return provided.record


def _split_env(name: str) -> set[str]:
    return {part.strip() for part in os.environ.get(name, "").split(",") if part.strip()}


class Registry:
    """Everything the installed plugins registered, queried by name."""

    def __init__(self) -> None:
        self.plugin_manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.plugin_manager.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self.storage_backends: _Kind[StorageBackend] = _Kind("storage backend")
        self.credential_providers: _Kind[CredentialProviderType] = _Kind("credential provider")
        self.caches: _Kind[CacheType] = _Kind("cache")
        self.limiters: _Kind[LimiterType] = _Kind("limiter")
        self.importers: _Kind[ImporterType] = _Kind("importer")
        self.metrics_backends: _Kind[MetricsBackendType] = _Kind("metrics backend")

    # discovery -----------------------------------------------------------------------

    def discover(self, entry_points: Iterable[importlib.metadata.EntryPoint] | None = None) -> None:
        """Load the allowed plugin modules and collect their registrations."""
        available = list(
            entry_points
            if entry_points is not None
            else importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
        )
        disabled = _split_env("SAPWOOD_DISABLE_PLUGINS")
        allowed = _split_env("SAPWOOD_LOAD_PLUGINS")
        names: list[str] = []
        by_name: dict[str, importlib.metadata.EntryPoint] = {}
        for ep in available:
            dist = _dist_name(ep)
            ids = {ep.name, dist}
            core = ep.name == CORE_ENTRY_POINT and dist == "sapwood"
            if not core and (ids & disabled or (allowed and not ids & allowed)):
                continue
            if ep.name in by_name:
                self._info(
                    ep
                ).error = (
                    f"entry point name {ep.name!r} is also used by {_dist_name(by_name[ep.name])}"
                )
                continue
            by_name[ep.name] = ep
            names.append(ep.name)
            self._info(ep)
        modules = self._load(names, by_name, entry_points is not None)
        for name, module in modules:
            try:
                self.plugin_manager.register(module, name=name)
            except Exception as exc:  # a malformed hookimpl must not break the others
                self.plugins[name].error = f"{type(exc).__name__}: {exc}"
        self._collect()

    def _info(self, ep: importlib.metadata.EntryPoint) -> PluginInfo:
        info = self.plugins.get(ep.name)
        if info is None:
            dist = _dist_name(ep)
            info = PluginInfo(name=ep.name, dist=dist, version=_dist_version(ep))
            self.plugins[ep.name] = info
        return info

    def _load(
        self,
        names: list[str],
        by_name: dict[str, importlib.metadata.EntryPoint],
        given: bool,
    ) -> list[tuple[str, ModuleType]]:
        def failed(_manager: Any, ep: importlib.metadata.EntryPoint, err: BaseException) -> None:
            self.plugins[ep.name].error = f"{type(err).__name__}: {err}"

        loaded: list[tuple[str, ModuleType]] = []
        if given:
            for name in names:
                try:
                    loaded.append((name, _as_module(by_name[name].load(), name)))
                except Exception as exc:
                    failed(None, by_name[name], exc)
            return loaded
        manager: NamedExtensionManager[Any] = NamedExtensionManager(
            namespace=ENTRY_POINT_GROUP,
            names=names,
            name_order=True,
            on_load_failure_callback=failed,
            on_missing_entrypoints_callback=None,
        )
        for ext in manager:
            try:
                loaded.append((ext.name, _as_module(ext.plugin, ext.name)))
            except PluginError as exc:
                self.plugins[ext.name].error = str(exc)
        return loaded

    def _collect(self) -> None:
        hooks: list[tuple[str, _Kind[Any], str]] = [
            ("sapwood_register_storage_backends", self.storage_backends, "storage"),
            ("sapwood_register_credential_providers", self.credential_providers, "credentials"),
            ("sapwood_register_caches", self.caches, "cache"),
            ("sapwood_register_limiters", self.limiters, "limiter"),
            ("sapwood_register_importers", self.importers, "importer"),
            ("sapwood_register_metrics_backends", self.metrics_backends, "metrics"),
        ]
        names = [n for n, _ in self.plugin_manager.list_name_plugin() if n is not None]
        for plugin_name in names:
            info = self.plugins[plugin_name]
            others = [p for n, p in self.plugin_manager.list_name_plugin() if n != plugin_name]
            for hook_name, kind, label in hooks:
                caller = self.plugin_manager.subset_hook_caller(hook_name, remove_plugins=others)
                register = self._register_into(kind, label, info)
                try:
                    caller(register=register)
                except Exception as exc:
                    info.error = f"{hook_name} failed: {type(exc).__name__}: {exc}"

    def _register_into(
        self, kind: _Kind[Any], label: str, info: PluginInfo
    ) -> Callable[[Any], None]:
        def register(record: Any) -> None:
            name = getattr(record, "name", None)
            if not isinstance(name, str):
                raise PluginError(f"{info.dist} registered a {kind.label} without a name")
            problem = kind.add(Provided(record, info.name, info.dist), name)
            if problem is not None:
                info.error = problem if info.error is None else f"{info.error}; {problem}"
                return
            info.registers.append(f"{label}:{name}")

        return register

    # queries -------------------------------------------------------------------------

    def storage_backend(self, name: str) -> StorageBackend:
        """The backend called ``name``; PluginError names what is installed and what to install."""
        return self.storage_backends.get(name)

    def backend_for_scheme(self, scheme: str) -> str | None:
        """The backend name a URL scheme maps to, if a plugin registered it."""
        for name, provided in self.storage_backends.items.items():
            if scheme in provided.record.url_schemes:
                return name
        return None

    def credential_provider_type(self, spec: object) -> CredentialProviderType:
        """The provider type registered for ``type(spec)`` (most specific class first)."""
        for cls in type(spec).__mro__:
            for provided in self.credential_providers.items.values():
                if provided.record.spec_type is cls:
                    return provided.record
        known = ", ".join(
            p.record.spec_type.__name__ for p in self.credential_providers.items.values()
        )
        raise PluginError(
            f"no credential provider accepts {type(spec).__name__}; known types: {known}"
        )

    def cache(self, name: str) -> CacheType:
        """The cache implementation called ``name``."""
        return self.caches.get(name)

    def limiter(self, name: str) -> LimiterType:
        """The limiter implementation called ``name``."""
        return self.limiters.get(name)

    def importer(self, name: str) -> ImporterType:
        """The importer called ``name``."""
        return self.importers.get(name)

    def importer_for_scheme(self, scheme: str) -> ImporterType:
        """The importer handling URIs of ``scheme``."""
        for provided in self.importers.items.values():
            if scheme in provided.record.url_schemes:
                return provided.record
        installed = ", ".join(sorted(self.importers.items)) or "none"
        raise PluginError(
            f"no importer handles {scheme}:// URIs (installed: {installed}); "
            "install one, e.g. pip install sapwood-lakefs-import"
        )

    def metrics_backend(self, name: str) -> MetricsBackendType:
        """The metrics backend called ``name``."""
        return self.metrics_backends.get(name)


def _dist_name(ep: importlib.metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return str(dist.name) if dist is not None else "unknown"


def _dist_version(ep: importlib.metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return str(dist.version) if dist is not None else "unknown"


def _as_module(obj: object, name: str) -> ModuleType:
    if not isinstance(obj, ModuleType):
        raise PluginError(
            f"entry point {name!r} must name a module (e.g. 'sapwood_s3.plugin'), "
            f"not {type(obj).__name__}"
        )
    return obj


_lock = threading.Lock()
_current: Registry | None = None


def registry() -> Registry:
    """The process-wide registry, discovering plugins on first use."""
    global _current
    with _lock:
        if _current is None:
            built = Registry()
            built.discover()
            _current = built
        return _current


def reset_registry() -> None:
    """Forget discovered plugins so the next :func:`registry` call discovers again
    (after changing ``SAPWOOD_*_PLUGINS`` or installing a plugin at run time)."""
    global _current
    with _lock:
        _current = None
