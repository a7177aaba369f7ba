"""sapwood: git for object storage, as a Python library with no server."""

from __future__ import annotations

from sapwood.config import (
    CachingConfig,
    ChunkingConfig,
    CompressionConfig,
    LimitsConfig,
    ObjectStoreConfig,
    RepositoryConfig,
    RetriesConfig,
    TimeoutsConfig,
    VirtualChunkContainer,
)
from sapwood.credentials import (
    AnonymousCredentials,
    ExpiringCredentials,
    FromEnvCredentials,
    RefreshableCredentials,
    StaticCredentials,
)
from sapwood.errors import (
    ConfigError,
    ConflictError,
    CredentialsError,
    IntegrityError,
    InvalidPathError,
    InvalidRefError,
    ObjectNotFoundError,
    PluginError,
    RefExistsError,
    RefNotFoundError,
    RepositoryExistsError,
    RepositoryNotFoundError,
    SapwoodError,
    StorageError,
)
from sapwood.hookspecs import hookimpl
from sapwood.objectstore import ObjectClient, TimeToIdle, TimeToLive, Usecase
from sapwood.storage import CommonPrefix

__version__ = "0.1.0"

__all__ = [
    "AnonymousCredentials",
    "CachingConfig",
    "ChunkingConfig",
    "CommonPrefix",
    "CompressionConfig",
    "ConfigError",
    "ConflictError",
    "CredentialsError",
    "ExpiringCredentials",
    "FromEnvCredentials",
    "IntegrityError",
    "InvalidPathError",
    "InvalidRefError",
    "LimitsConfig",
    "ObjectClient",
    "ObjectNotFoundError",
    "ObjectStoreConfig",
    "PluginError",
    "RefExistsError",
    "RefNotFoundError",
    "RefreshableCredentials",
    "RepositoryConfig",
    "RepositoryExistsError",
    "RepositoryNotFoundError",
    "RetriesConfig",
    "SapwoodError",
    "StaticCredentials",
    "StorageError",
    "TimeToIdle",
    "TimeToLive",
    "TimeoutsConfig",
    "Usecase",
    "VirtualChunkContainer",
    "hookimpl",
]
