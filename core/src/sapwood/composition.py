"""The composition root: where opening a store or a repository is wired together.

Opening runs straight down, in this one module::

    URL / folder / ObjectStoreConfig / Storage
      -> backend          (the storage backend plugin, found in the registry)
      -> credentials      (the credential chain, then a provider plugin)
      -> cache, limiter, metrics instances (plugins named in RepositoryConfig)
      -> ObjectLayer      (given those ready instances)
      -> Engine           (sapwood.engine.lifecycle: format, ref mode, healing)

and the public classes (:class:`~sapwood.aio.AsyncRepository`,
:class:`~sapwood.aio.AsyncObjectClient`, the import manager) only call in here. This is
the only module besides ``sapwood plugins`` that consults the registry; config, the object
layer and the engine receive what they need. Importing it installs the registry as the
source of :data:`sapwood.schemes.URL_SCHEMES` (read lazily: nothing is discovered until a
URL scheme or a plugin is looked up).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias, TypeVar

import msgspec

from sapwood.config import (
    ObjectStoreConfig,
    RepositoryConfig,
    VirtualChunkContainer,
    convert_config,
    mask_text,
)
from sapwood.credential_chain import choose_credentials
from sapwood.credentials import AnonymousCredentials, CredentialProvider, CredentialsSpec
from sapwood.engine.lifecycle import (
    LayerFactory,
    create_engine,
    open_engine,
    repository_exists,
    stored_config,
)
from sapwood.engine.repo import Engine
from sapwood.engine.virtual import ContainerOpener
from sapwood.errors import ConfigError, PluginError
from sapwood.extensions import Cache, Clock, Importer, Limiter, MetricsBackend
from sapwood.layer import ObjectLayer
from sapwood.registry import registry
from sapwood.schemes import URL_SCHEMES
from sapwood.storage import Storage

__all__ = [
    "OpenedStore",
    "StoreCredentials",
    "StoreSpec",
    "VirtualCredentials",
    "build_cache",
    "build_layer",
    "build_limiter",
    "build_metrics",
    "create_repository",
    "credential_provider",
    "fetch_repository_config",
    "find_importer",
    "open_repository",
    "open_storage",
    "open_store",
    "repository_exists_at",
    "validate_extra",
]

StoreSpec: TypeAlias = ObjectStoreConfig | str | os.PathLike[str] | Storage
"""Where a repository lives: a config, a URL (``file:///data/repo``, ``s3://bucket/p``...),
a plain folder path (a str without ``://``, or a path object) or an already-built
:class:`~sapwood.storage.Storage`."""

StoreCredentials: TypeAlias = CredentialsSpec | CredentialProvider | None
VirtualCredentials: TypeAlias = Mapping[str, CredentialsSpec | CredentialProvider] | None

URL_SCHEMES.install(lambda: registry().url_schemes())


T = TypeVar("T")


def _build_plugin(kind: str, record: object, build: Callable[[], T]) -> T:
    """``build()`` (a plugin's factory call); an ImportError from it, a dependency the
    plugin imports only when used (a cloud SDK), becomes a PluginError naming the
    distribution that registered ``record`` and how to install what it needs."""
    try:
        return build()
    except ImportError as exc:
        provided = registry().provider_of(record)
        dist = provided.dist if provided is not None else "the plugin's distribution"
        missing = f"module {exc.name!r}" if exc.name else "a module"
        raise PluginError(
            f"the {kind} {getattr(record, 'name', '?')!r} (from {dist}) needs {missing}, "
            f"which could not be imported ({exc}); install the package that provides it, "
            f"or reinstall {dist} with its dependencies: pip install --force-reinstall {dist}"
        ) from exc


# -- stores -----------------------------------------------------------------------------


def credential_provider(
    spec: CredentialsSpec | CredentialProvider | None,
) -> CredentialProvider | None:
    """The provider for a credentials value (a provider passes through unchanged)."""
    if spec is None:
        return None
    if isinstance(spec, CredentialProvider) and not isinstance(spec, type):
        return spec
    record = registry().credential_provider_type(spec)
    return _build_plugin("credential provider", record, lambda: record.factory(spec))


def validate_extra(config: ObjectStoreConfig) -> msgspec.Struct | None:
    """The backend's own view of ``config.extra``; ConfigError names an unknown or bad key."""
    backend = registry().storage_backend(config.object_store)
    if backend.extra_type is None:
        if config.extra:
            keys = ", ".join(sorted(config.extra))
            raise ConfigError(
                f"storage backend {config.object_store!r} takes no extra settings, got: {keys}",
                field="extra",
            )
        return None
    # Checked here too, so a backend whose Struct forgot forbid_unknown_fields still
    # rejects a misspelt key instead of silently ignoring it.
    known = backend.extra_type.__struct_encode_fields__
    unknown = sorted(set(config.extra) - set(known))
    if unknown:
        raise ConfigError(
            f"invalid config at ObjectStoreConfig.extra.{unknown[0]}: storage backend "
            f"{config.object_store!r} has no setting {unknown[0]!r}; "
            f"expected one of: {', '.join(known) or 'none'}",
            field=f"extra.{unknown[0]}",
        )
    return convert_config(config.extra, backend.extra_type, what="ObjectStoreConfig.extra")


def open_storage(
    config: ObjectStoreConfig | str,
    credentials: CredentialsSpec | CredentialProvider | None = None,
) -> Storage:
    """Build the store ``config`` describes (a URL string is parsed first). No I/O happens.

    Without ``credentials`` the credential chain chooses them (see
    :mod:`sapwood.credential_chain`).
    """
    if isinstance(config, str):
        config = ObjectStoreConfig.from_url(config)
    backend = registry().storage_backend(config.object_store)
    validate_extra(config)
    chosen = choose_credentials(config, credentials)  # the chain, when none were given
    config = chosen.store
    provider = credential_provider(chosen.credentials)
    if provider is None and config.anonymous:
        provider = credential_provider(AnonymousCredentials())
    built_for = config
    return _build_plugin("storage backend", backend, lambda: backend.factory(built_for, provider))


@dataclass(frozen=True)
class OpenedStore:
    """A store ready for a repository or a client, and how it was given."""

    storage: Storage
    spec: ObjectStoreConfig | Storage
    """What reopening needs: the config (a URL or folder becomes one), or the Storage."""
    owns: bool
    """True when the store was built here, so whoever holds it must close it."""

    @property
    def location(self) -> str:
        """The store for messages: its URL, or the Storage's repr."""
        if isinstance(self.spec, ObjectStoreConfig):
            return mask_text(self.spec.to_url())  # messages and logs never show a secret
        return repr(self.spec)

    async def close_if_owned(self) -> None:
        """Close the store if it was built here (a caller's Storage stays open)."""
        if self.owns:
            await self.storage.close()


_SCHEME_ONLY = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):(?!//)(.*)", re.DOTALL)
"""A str starting ``scheme:`` without ``//``: ``file:data/repo``, or a mistyped URL such
as ``s3:bucket`` (a one-letter scheme is a Windows drive, ``C:\\data``)."""


def _url_or_folder(store: str) -> str | None:
    """``store`` as a URL to parse, or None if it is a folder path. ConfigError for input
    that looks like a URL but is not one (``s3:bucket``), which must never become a folder
    of that name."""
    if "://" in store:
        return store
    looks_like_url = _SCHEME_ONLY.fullmatch(store)
    if looks_like_url is None:
        return None
    scheme, rest = looks_like_url.groups()
    if scheme.lower() == "file":
        return store  # file:data/repo, the documented relative form
    raise ConfigError(
        f"{store!r} looks like a URL but is not one (a URL has '://' after its scheme): "
        f"write '{scheme}://{rest.lstrip('/')}' for that store, or './{store}' for a local "
        "folder of that name",
        field="url",
    )


def open_store(store: StoreSpec, credentials: StoreCredentials = None) -> OpenedStore:
    """The store a URL, a folder path, a config or a Storage names (no I/O happens)."""
    if isinstance(store, str):
        url = _url_or_folder(store)
        if url is not None:
            store = ObjectStoreConfig.from_url(url)
    if isinstance(store, os.PathLike | str):
        folder = Path(os.fspath(store)).expanduser().resolve()
        store = ObjectStoreConfig(object_store="local", prefix=str(folder))
    if isinstance(store, ObjectStoreConfig):
        return OpenedStore(open_storage(store, credentials), store, owns=True)
    if isinstance(store, Storage):
        return OpenedStore(store, store, owns=False)
    raise TypeError(
        f"store must be an ObjectStoreConfig, a URL, a folder path or a Storage, not "
        f"{type(store).__name__}"
    )


# -- the object layer's services --------------------------------------------------------


def build_cache(config: RepositoryConfig | None = None) -> Cache:
    """The cache plugin ``config.caching.cache`` names (default ``lru``), built."""
    caching = (config or RepositoryConfig()).resolved().caching
    assert caching is not None  # resolved() fills every field
    record = registry().cache(caching.cache or "lru")
    return _build_plugin("cache", record, lambda: record.factory(caching))


def build_limiter(config: RepositoryConfig | None = None, clock: Clock | None = None) -> Limiter:
    """The limiter plugin ``config.limits.limiter`` names (default ``token-bucket``), built."""
    limits = (config or RepositoryConfig()).resolved().limits
    assert limits is not None  # resolved() fills every field
    record = registry().limiter(limits.limiter or "token-bucket")
    return _build_plugin("limiter", record, lambda: record.factory(limits, clock))


def build_metrics(spec: MetricsBackend | str | None = None) -> MetricsBackend:
    """A metrics backend: an instance as given, or the plugin a name (default ``noop``) names."""
    if spec is None or isinstance(spec, str):
        record = registry().metrics_backend(spec or "noop")
        return _build_plugin("metrics backend", record, record.factory)
    return spec


def build_layer(
    storage: Storage,
    config: RepositoryConfig | None = None,
    *,
    metrics: MetricsBackend | str | None = None,
    metrics_tags: Mapping[str, str] | None = None,
    clock: Clock | None = None,
) -> ObjectLayer:
    """The object layer over ``storage``, with the cache, limiter and metrics backend that
    ``config`` and ``metrics`` name built from their plugins and handed in ready."""
    return ObjectLayer(
        storage,
        config,
        cache=build_cache(config),
        limiter=build_limiter(config, clock),
        metrics=build_metrics(metrics),
        clock=clock,
        metrics_tags=metrics_tags,
    )


# -- repositories -----------------------------------------------------------------------


def _layer_factory(storage: Storage) -> LayerFactory:
    def layer_for(config: RepositoryConfig | None) -> ObjectLayer:
        return build_layer(storage, config)

    return layer_for


def _container_opener(credentials: VirtualCredentials) -> ContainerOpener:
    given = dict(credentials or {})

    def open_container(container: VirtualChunkContainer, config: RepositoryConfig) -> ObjectLayer:
        storage = open_storage(container.store, given.get(container.name))
        return build_layer(storage, config)

    return open_container


async def create_repository(
    store: StoreSpec,
    store_credentials: StoreCredentials = None,
    config: RepositoryConfig | None = None,
    virtual_chunk_credentials: VirtualCredentials = None,
    default_branch: str = "main",
) -> tuple[Engine, OpenedStore]:
    """Create a repository at ``store``: its engine, and the store it runs on."""
    opened = open_store(store, store_credentials)
    try:
        engine = await create_engine(
            _layer_factory(opened.storage),
            config,
            location=opened.location,
            open_container=_container_opener(virtual_chunk_credentials),
            default_branch=default_branch,
        )
    except BaseException:
        await opened.close_if_owned()
        raise
    return engine, opened


async def open_repository(
    store: StoreSpec,
    store_credentials: StoreCredentials = None,
    config: RepositoryConfig | None = None,
    virtual_chunk_credentials: VirtualCredentials = None,
) -> tuple[Engine, OpenedStore]:
    """Open the repository at ``store`` (``config`` overrides the stored config): its
    engine, and the store it runs on."""
    opened = open_store(store, store_credentials)
    try:
        engine = await open_engine(
            _layer_factory(opened.storage),
            config,
            location=opened.location,
            open_container=_container_opener(virtual_chunk_credentials),
        )
    except BaseException:
        await opened.close_if_owned()
        raise
    return engine, opened


async def repository_exists_at(
    store: StoreSpec, store_credentials: StoreCredentials = None
) -> bool:
    """True if a repository exists at ``store``."""
    opened = open_store(store, store_credentials)
    try:
        return await repository_exists(build_layer(opened.storage))
    finally:
        await opened.close_if_owned()


async def fetch_repository_config(
    store: StoreSpec, store_credentials: StoreCredentials = None
) -> RepositoryConfig | None:
    """The config stored with the repository at ``store`` (None if there is none)."""
    opened = open_store(store, store_credentials)
    try:
        return await stored_config(build_layer(opened.storage))
    finally:
        await opened.close_if_owned()


# -- importers --------------------------------------------------------------------------


def find_importer(scheme: str) -> Importer | None:
    """The importer a plugin registered for ``scheme``, built; None when no importer plugin
    handles it but it names a store (read by the store importer). PluginError otherwise,
    naming what to install."""
    try:
        record = registry().importer_for_scheme(scheme)
    except PluginError:
        if URL_SCHEMES.backend_for(scheme) is not None:
            return None
        raise
    return _build_plugin("importer", record, lambda: record.factory(record.options))
