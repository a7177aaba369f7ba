"""The typed registry: discovers plugins, calls their hooks, and answers "who provides X?".

This is the only module that touches ``pm.hook``. Discovery happens on the first call to
:func:`registry`, never at import time. The modules named in the ``sapwood`` entry-point
group are listed with :mod:`importlib.metadata` and loaded by stevedore, which isolates
failures: a plugin that fails to import is recorded with its error (``sapwood plugins``
shows it) and never breaks ``import sapwood`` or the other plugins.

``SAPWOOD_DISABLE_PLUGINS`` and ``SAPWOOD_LOAD_PLUGINS`` (comma-separated entry-point or
distribution names) block or allow plugins; the core's own built-ins are always loaded.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import threading
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Generic, TypeVar

import msgspec
import pluggy

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
from sapwood.schemes import FIRST_PARTY, with_catalogue

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
CORE_DIST = "sapwood"

FIRST_PARTY_DISTS: dict[str, str] = {plugin.name: plugin.dist for plugin in FIRST_PARTY}
"""Which first-party distribution provides each backend or importer name (from
:data:`sapwood.schemes.FIRST_PARTY`, the one catalogue)."""

_FIRST_PARTY_SCHEMES: dict[str, str] = {
    scheme: plugin.name for plugin in FIRST_PARTY for scheme in plugin.url_schemes
}
"""Which first-party backend each of the project's own URL schemes belongs to: that backend
keeps the scheme when another backend claims it too."""

_URL_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*\Z")
"""A URL scheme (RFC 3986), compared in lowercase."""

R = TypeVar("R")


@dataclass
class PluginInfo:
    """One discovered plugin, as ``sapwood plugins`` shows it.

    ``disabled`` plugins were found but blocked by ``SAPWOOD_DISABLE_PLUGINS`` or left out by
    ``SAPWOOD_LOAD_PLUGINS``; their code was never imported.
    """

    name: str
    dist: str
    version: str
    registers: list[str] = field(default_factory=list)
    error: str | None = None
    disabled: bool = False


@dataclass(frozen=True)
class Provided(Generic[R]):
    """A registered record and the plugin and distribution that provided it."""

    record: R
    plugin: str
    dist: str


class _Kind(Generic[R]):
    """Records of one extension point, keyed by name, with duplicates set aside."""

    def __init__(self, label: str, record_type: type[R]) -> None:
        self.label = label
        self.record_type = record_type
        self.items: dict[str, Provided[R]] = {}
        self.conflicts: dict[str, list[str]] = {}
        self.claimants: dict[str, list[Provided[R]]] = {}

    def add(self, provided: Provided[R], name: str) -> str | None:
        """Keep ``provided`` under ``name``, or return why not (a bad or duplicate name)."""
        if not valid_extension_name(name):
            return (
                f"{self.label} name {name!r} is invalid: use 1 to 63 lowercase letters, digits, "
                "'_', '-' or '.', starting with a letter"
            )
        claimants = self.claimants.setdefault(name, [])
        claimants.append(provided)
        if len(claimants) == 1:
            self.items[name] = provided
            return None
        self.items.pop(name, None)
        dists = [c.dist for c in claimants]
        self.conflicts[name] = dists
        if len(set(dists)) == 1:
            return f"{self.label} {name!r} is registered {len(dists)} times by {dists[0]}"
        distinct = _unique(dists)
        both = (
            f"both {distinct[0]} and {distinct[1]}" if len(distinct) == 2 else ", ".join(distinct)
        )
        return (
            f"{self.label} {name!r} is provided by {both}; none is used until all but one are "
            "uninstalled or disabled with SAPWOOD_DISABLE_PLUGINS"
        )

    def get(self, name: str, hint: str | None = None) -> R:
        """The record called ``name``; PluginError says what is installed and what to do."""
        if name in self.conflicts:
            raise PluginError(
                f"{self.label} {name!r} is provided by more than one plugin "
                f"({', '.join(_unique(self.conflicts[name]))}); uninstall one, or set "
                "SAPWOOD_DISABLE_PLUGINS to block one"
            )
        provided = self.items.get(name)
        if provided is not None:
            return provided.record
        installed = ", ".join(sorted(self.items)) or "none"
        unavailable = f"no {self.label} named {name!r} is installed (installed: {installed})"
        if hint is not None:
            raise PluginError(f"{unavailable}; {hint}")
        if name in FIRST_PARTY_DISTS:
            raise PluginError(
                f"{unavailable}; install it with: pip install {FIRST_PARTY_DISTS[name]}"
            )
        raise PluginError(
            f"{unavailable}; no sapwood distribution provides it, so install the third-party "
            "plugin that does (`sapwood plugins` then lists it)"
        )


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


_HOOKS: tuple[tuple[str, str, str], ...] = (
    ("sapwood_register_storage_backends", "storage_backends", "storage"),
    ("sapwood_register_credential_providers", "credential_providers", "credentials"),
    ("sapwood_register_caches", "caches", "cache"),
    ("sapwood_register_limiters", "limiters", "limiter"),
    ("sapwood_register_importers", "importers", "importer"),
    ("sapwood_register_metrics_backends", "metrics_backends", "metrics"),
)
"""Each hook, the Registry attribute it fills, and the tag ``sapwood plugins`` shows."""


def normalize_dist_name(name: str) -> str:
    """A distribution name as PEP 503 compares it (``Sapwood_S3`` is ``sapwood-s3``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _env_names(variable: str) -> set[str]:
    raw = os.environ.get(variable, "")
    return {normalize_dist_name(part.strip()) for part in raw.split(",") if part.strip()}


def _warn_unmatched(
    available: list[importlib.metadata.EntryPoint], named: dict[str, set[str]]
) -> None:
    """Warn about names in the plugin variables that no installed plugin has: a typo there
    would otherwise block or allow nothing, silently."""
    known = {normalize_dist_name(ep.name) for ep in available}
    known |= {normalize_dist_name(_dist_name(ep)) for ep in available}
    for variable, names in named.items():
        unknown = sorted(names - known)
        if unknown:
            warnings.warn(
                f"{variable} names {', '.join(map(repr, unknown))}, which no installed plugin "
                f"is (plugins: {', '.join(sorted({ep.name for ep in available}))}); "
                "check the spelling (an entry-point name such as 's3' or a distribution "
                "name such as 'sapwood-s3')",
                UserWarning,
                stacklevel=2,
            )


class _GuardedEntryPoint(importlib.metadata.EntryPoint):
    """An entry point whose ``load()`` turns ``AssertionError`` and ``SystemExit`` into a
    PluginError, so stevedore's ``on_load_failure_callback`` reports them: stevedore lets
    those two escape, which would end discovery for every plugin."""

    def load(self) -> Any:
        try:
            return super().load()
        except (AssertionError, SystemExit) as exc:
            raise PluginError(f"{type(exc).__name__}: {exc}") from exc


def _load_with_stevedore(
    chosen: list[importlib.metadata.EntryPoint],
    on_failure: Callable[[Any, importlib.metadata.EntryPoint, BaseException], None],
) -> list[Any]:
    """Load ``chosen`` with stevedore's ExtensionManager; its extensions (failures go to
    ``on_failure``). stevedore is imported here, on first discovery, never by
    ``import sapwood``.

    Only the public ``list_entry_points`` is overridden, to hand stevedore the entry points
    sapwood listed itself (see ``docs/plugins.md``): stevedore's own listing is cached for
    the life of the process, so it would miss a plugin installed before
    :func:`reset_registry`, and it would import disabled plugins and every module of a
    duplicated entry-point name. Loading and failure isolation are stevedore's.
    """
    from stevedore import ExtensionManager

    guarded: list[importlib.metadata.EntryPoint] = [
        _GuardedEntryPoint(ep.name, ep.value, ep.group) for ep in chosen
    ]

    class ChosenEntryPoints(ExtensionManager[Any]):
        def list_entry_points(self) -> list[importlib.metadata.EntryPoint]:
            return guarded

    manager = ChosenEntryPoints(namespace=ENTRY_POINT_GROUP, on_load_failure_callback=on_failure)
    return list(manager.extensions)


class Registry:
    """Everything the installed plugins registered, queried by name.

    :func:`registry` builds the process-wide one. A fresh ``Registry()`` is empty: fill it
    with :meth:`discover` (entry points) or :meth:`add_plugin` (a module object), which is
    how tests and documentation examples use one without installing anything.
    """

    def __init__(self) -> None:
        self.plugin_manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.plugin_manager.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self._by_plugin: dict[str, PluginInfo] = {}
        self.storage_backends: _Kind[StorageBackend] = _Kind("storage backend", StorageBackend)
        self.credential_providers: _Kind[CredentialProviderType] = _Kind(
            "credential provider", CredentialProviderType
        )
        self.caches: _Kind[CacheType] = _Kind("cache", CacheType)
        self.limiters: _Kind[LimiterType] = _Kind("limiter", LimiterType)
        self.importers: _Kind[ImporterType] = _Kind("importer", ImporterType)
        self.metrics_backends: _Kind[MetricsBackendType] = _Kind(
            "metrics backend", MetricsBackendType
        )

    # discovery -----------------------------------------------------------------------

    def discover(self, entry_points: Iterable[importlib.metadata.EntryPoint] | None = None) -> None:
        """Load the allowed plugin modules and collect their registrations.

        ``entry_points`` defaults to the installed ``sapwood`` group; tests pass their own
        ``importlib.metadata.EntryPoint`` objects. Failures are recorded in :attr:`plugins`,
        never raised.
        """
        available = list(
            entry_points
            if entry_points is not None
            else importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
        )
        disabled = _env_names("SAPWOOD_DISABLE_PLUGINS")
        allowed = _env_names("SAPWOOD_LOAD_PLUGINS")
        _warn_unmatched(
            available, {"SAPWOOD_DISABLE_PLUGINS": disabled, "SAPWOOD_LOAD_PLUGINS": allowed}
        )
        chosen: list[importlib.metadata.EntryPoint] = []
        chosen_info: dict[str, PluginInfo] = dict(self._by_plugin)  # registered earlier
        for ep in available:
            dist = _dist_name(ep)
            info = PluginInfo(name=ep.name, dist=dist, version=_dist_version(ep))
            ids = {normalize_dist_name(ep.name), normalize_dist_name(dist)}
            core = ep.name == CORE_ENTRY_POINT and dist == CORE_DIST
            if not core and (ids & disabled or (allowed and not ids & allowed)):
                info.disabled = True
                self._remember(info)
                continue
            first = chosen_info.get(ep.name)
            if first is not None:
                info.error = (
                    f"entry point name {ep.name!r} is also used by {first.dist}, so this one "
                    f"was not loaded; uninstall one, or set SAPWOOD_DISABLE_PLUGINS={dist}"
                )
                self._remember(info)
                continue
            chosen_info[ep.name] = info
            self._remember(info)
            chosen.append(ep)

        def failed(_manager: Any, ep: importlib.metadata.EntryPoint, err: BaseException) -> None:
            chosen_info[ep.name].error = f"{type(err).__name__}: {err}"

        for ext in _load_with_stevedore(chosen, failed):
            info = chosen_info[ext.name]
            plugin: object = ext.plugin
            if not isinstance(plugin, ModuleType):
                info.error = (
                    f"entry point {ext.name!r} must name a module (e.g. 'sapwood_s3.plugin'), "
                    f"not {type(plugin).__name__}"
                )
                continue
            self._add(info, plugin)

    def add_plugin(
        self, plugin: object, *, name: str, dist: str = "unknown", version: str = "unknown"
    ) -> PluginInfo:
        """Register ``plugin`` (a module or any object with ``@hookimpl`` functions) as if an
        entry point ``name`` of distribution ``dist`` had named it, and collect its hooks.

        Problems are recorded in the returned :class:`PluginInfo`'s ``error``, as for
        discovered plugins.
        """
        info = PluginInfo(name=name, dist=dist, version=version)
        if self.plugin_manager.has_plugin(name):
            info.error = f"a plugin named {name!r} is already registered"
            self._remember(info)
            return info
        self._remember(info)
        self._add(info, plugin)
        return info

    def _remember(self, info: PluginInfo) -> str:
        key = info.name
        if key in self.plugins:
            key = f"{info.name} ({info.dist})"
            suffix = 2
            while key in self.plugins:
                key = f"{info.name} ({info.dist}) #{suffix}"
                suffix += 1
        self.plugins[key] = info
        return key

    def _add(self, info: PluginInfo, plugin: object) -> None:
        try:
            self.plugin_manager.register(plugin, name=info.name)
        except Exception as exc:  # a malformed hookimpl must not break the others
            self._problem(info, f"{type(exc).__name__}: {exc}")
            return
        self._by_plugin[info.name] = info
        known = {hook for hook, _, _ in _HOOKS}
        unknown = sorted(
            caller.name
            for caller in self.plugin_manager.get_hookcallers(plugin) or ()
            if caller.name not in known
        )
        if unknown:
            self._problem(
                info,
                f"implements unknown hook(s) {', '.join(unknown)}; the hooks are "
                f"{', '.join(sorted(known))}",
            )
        undecorated = _undecorated_hooks(plugin)
        if undecorated:
            self._problem(
                info,
                f"defines {', '.join(undecorated)} without @hookimpl, so sapwood never calls "
                "it; decorate it (from sapwood import hookimpl)",
            )
        self._collect(info, plugin)

    def _collect(self, info: PluginInfo, plugin: object) -> None:
        others = [p for _, p in self.plugin_manager.list_name_plugin() if p is not plugin]
        for hook_name, attribute, tag in _HOOKS:
            kind: _Kind[Any] = getattr(self, attribute)
            caller = self.plugin_manager.subset_hook_caller(hook_name, remove_plugins=others)
            try:
                caller(register=self._register_into(kind, tag, info))
            except Exception as exc:
                self._problem(info, f"{hook_name} failed: {type(exc).__name__}: {exc}")

    def _register_into(self, kind: _Kind[Any], tag: str, info: PluginInfo) -> Callable[[Any], None]:
        def register(record: Any) -> None:
            if not isinstance(record, kind.record_type):
                self._problem(
                    info,
                    f"registered a {type(record).__name__} where a "
                    f"{kind.record_type.__name__} was expected",
                )
                return
            name = record.name
            if not isinstance(name, str):
                self._problem(info, f"registered a {kind.label} whose name is not a string")
                return
            if not callable(getattr(record, "factory", None)):
                self._problem(info, f"{kind.label} {name!r} has a factory that is not callable")
                return
            if isinstance(record, CredentialProviderType):
                taken = self._credentials_taken(record)
                if taken is not None:
                    self._problem(info, taken)
                    return
            bad_type = _bad_record_type(record)
            if bad_type is not None:
                self._problem(info, bad_type)
                return
            if isinstance(record, StorageBackend | ImporterType):
                bad_scheme = _bad_scheme(record, kind.label)
                if bad_scheme is not None:
                    self._problem(info, bad_scheme)
                    return
            problem = kind.add(Provided(record, info.name, info.dist), name)
            if problem is None:
                info.registers.append(f"{tag}:{name}")
                if isinstance(record, StorageBackend | ImporterType):
                    self._report_scheme_conflicts(kind, record, info)
                return
            claimants = kind.claimants.get(name, [])
            if not any(c.plugin == info.name for c in claimants):
                self._problem(info, problem)  # rejected outright (an invalid name)
                return
            info.registers.append(f"{tag}:{name}")
            for claimant in claimants:
                self._problem(self._by_plugin.get(claimant.plugin, info), problem)

        return register

    def _report_scheme_conflicts(
        self, kind: _Kind[Any], record: StorageBackend | ImporterType, info: PluginInfo
    ) -> None:
        """Record against each losing plugin a URL scheme ``record`` shares with a record of
        the same kind registered before it (see :meth:`url_schemes` for which one keeps it)."""
        for scheme in {s.lower() for s in record.url_schemes}:
            claimants = [
                provided
                for provided in kind.items.values()
                if scheme in {s.lower() for s in provided.record.url_schemes}
            ]
            if len(claimants) < 2:
                continue
            keeper = claimants[0]
            if kind is self.storage_backends:
                owner = _FIRST_PARTY_SCHEMES.get(scheme)
                keeper = next((c for c in claimants if c.record.name == owner), keeper)
            losers = claimants if keeper.record is record else [claimants[-1]]
            for loser in losers:
                if loser is keeper:
                    continue
                name = loser.record.name
                self._problem(
                    self._by_plugin.get(loser.plugin, info),
                    f"URL scheme '{scheme}://' of {kind.label} {name!r} ({loser.dist}) is "
                    f"also claimed by {kind.label} {keeper.record.name!r} ({keeper.dist}), "
                    f"which keeps it; {_reach_by_name(kind.label, name)}, or uninstall one "
                    "of them",
                )

    def _credentials_taken(self, record: CredentialProviderType) -> str | None:
        """Why ``record`` cannot be used: another provider already accepts its type."""
        for other in self.credential_providers.items.values():
            if other.record.spec_type is record.spec_type:
                return (
                    f"credential provider {record.name!r} accepts "
                    f"{record.spec_type.__name__}, which {other.record.name!r} from "
                    f"{other.dist} already handles; it is not used"
                )
        return None

    @staticmethod
    def _problem(info: PluginInfo, problem: str) -> None:
        if info.error is None:
            info.error = problem
        elif problem not in info.error:
            info.error = f"{info.error}; {problem}"

    def _hint(self, name: str) -> str | None:
        """Why ``name`` is missing although a plugin that should provide it was found."""
        wanted = FIRST_PARTY_DISTS.get(name)
        for info in self.plugins.values():
            same_dist = wanted is not None and normalize_dist_name(info.dist) == wanted
            if info.name != name and not same_dist:
                continue
            if info.disabled:
                return (
                    f"{info.dist} is installed but disabled by SAPWOOD_DISABLE_PLUGINS or "
                    "SAPWOOD_LOAD_PLUGINS"
                )
            if info.error is not None:
                return f"{info.dist} is installed but its plugin {info.name!r} failed: {info.error}"
        return None

    # queries -------------------------------------------------------------------------

    def storage_backend(self, name: str) -> StorageBackend:
        """The backend called ``name``; PluginError names what is installed and what to install
        (for a name no first-party plugin provides: the URL schemes that are known)."""
        hint = self._hint(name)
        if (
            hint is None
            and name not in FIRST_PARTY_DISTS
            and name not in self.storage_backends.items
        ):
            schemes = with_catalogue(self.url_schemes())
            known = ", ".join(f"{scheme}://" for scheme in sorted(schemes)) or "none"
            hint = (
                f"known URL schemes: {known}; no sapwood distribution provides {name!r}, but a "
                "third-party plugin may: install it, and `sapwood plugins` lists it"
            )
        return self.storage_backends.get(name, hint)

    def url_schemes(self) -> dict[str, str]:
        """URL scheme -> backend name for every registered storage backend. A scheme two
        backends claim goes to the first-party backend it belongs to, if that is one of
        them, else to the first registration (the other plugin's error says so). This
        fills :data:`sapwood.schemes.URL_SCHEMES`."""
        found: dict[str, str] = {}
        for name, provided in self.storage_backends.items.items():
            for scheme in provided.record.url_schemes:
                key = scheme.lower()
                if key not in found or _FIRST_PARTY_SCHEMES.get(key) == name:
                    found[key] = name
        return found

    def backend_for_scheme(self, scheme: str) -> str | None:
        """The backend name a URL scheme maps to, if a plugin registered it."""
        return self.url_schemes().get(scheme.lower())

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
            f"no credential provider accepts {type(spec).__name__}; known types: {known or 'none'}"
        )

    def cache(self, name: str) -> CacheType:
        """The cache implementation called ``name``."""
        return self.caches.get(name, self._hint(name))

    def limiter(self, name: str) -> LimiterType:
        """The limiter implementation called ``name``."""
        return self.limiters.get(name, self._hint(name))

    def importer(self, name: str) -> ImporterType:
        """The importer called ``name``."""
        return self.importers.get(name, self._hint(name))

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
        return self.metrics_backends.get(name, self._hint(name))

    def provider_of(self, record: object) -> Provided[Any] | None:
        """Which plugin and distribution registered ``record`` (the very object a lookup
        returned), or None if no plugin did."""
        kinds: tuple[_Kind[Any], ...] = (
            self.storage_backends,
            self.credential_providers,
            self.caches,
            self.limiters,
            self.importers,
            self.metrics_backends,
        )
        for kind in kinds:
            for provided in kind.items.values():
                if provided.record is record:
                    return provided
        return None


def _undecorated_hooks(plugin: object) -> list[str]:
    """Functions of ``plugin`` named like a hook but lacking ``@hookimpl``, which pluggy
    would skip without a word."""
    marker = f"{hookspecs.PROJECT_NAME}_impl"
    return sorted(
        attribute
        for attribute in dir(plugin)
        if attribute.startswith(f"{hookspecs.PROJECT_NAME}_register_")
        and callable(getattr(plugin, attribute, None))
        and not hasattr(getattr(plugin, attribute), marker)
    )


def _bad_scheme(record: StorageBackend | ImporterType, label: str) -> str | None:
    """Why ``record``'s URL schemes cannot be used, if one is not a URL scheme."""
    schemes: object = record.url_schemes
    if isinstance(schemes, str) or not isinstance(schemes, tuple | list):
        return (
            f"{label} {record.name!r} gives url_schemes as {type(schemes).__name__}; "
            "give a tuple of schemes, such as ('s3',)"
        )
    for scheme in schemes:
        if not isinstance(scheme, str) or not _URL_SCHEME.match(scheme.lower()):
            return (
                f"{label} {record.name!r} claims URL scheme {scheme!r}, which is not "
                "one: use letters, digits, '+', '-' or '.', starting with a letter (no '://')"
            )
    return None


def _bad_record_type(record: object) -> str | None:
    """Why a backend's ``extra_type`` or a credential provider's ``spec_type`` is unusable."""
    if isinstance(record, StorageBackend):
        extra: object = record.extra_type
        if extra is not None and not (
            isinstance(extra, type) and issubclass(extra, msgspec.Struct)
        ):
            return (
                f"storage backend {record.name!r} gives extra_type {extra!r}, which is not a "
                "msgspec.Struct class (give one, or None for a backend without settings)"
            )
    if isinstance(record, CredentialProviderType):
        spec_type: object = record.spec_type
        if not isinstance(spec_type, type):
            return (
                f"credential provider {record.name!r} gives spec_type {spec_type!r}, which "
                "is not a class: give the credentials type it accepts"
            )
    return None


def _reach_by_name(label: str, name: str) -> str:
    if label == "storage backend":
        return f"reach {name!r} with ObjectStoreConfig(object_store={name!r})"
    return f"the {label} {name!r} is still found by its name"


def _dist_name(ep: importlib.metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return str(dist.name) if dist is not None else "unknown"


def _dist_version(ep: importlib.metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return str(dist.version) if dist is not None else "unknown"


_lock = threading.RLock()
_current: Registry | None = None
_discovering = False


def registry() -> Registry:
    """The process-wide registry, discovering plugins on first use."""
    global _current, _discovering
    with _lock:
        if _current is None:
            if _discovering:
                # Only this thread can get here (the lock is held): a plugin asked for the
                # registry while being imported or registered. A plain lock would deadlock.
                raise PluginError(
                    "a plugin asked for the sapwood registry while plugins were being "
                    "discovered (from its module's import or one of its hooks); look "
                    "registrations up later, when the plugin's factories are called"
                )
            _discovering = True
            try:
                built = Registry()
                built.discover()
            finally:
                _discovering = False
            _current = built
        return _current


def reset_registry() -> None:
    """Forget discovered plugins so the next :func:`registry` call discovers again
    (after changing ``SAPWOOD_*_PLUGINS`` or installing a plugin at run time)."""
    global _current
    with _lock:
        _current = None
