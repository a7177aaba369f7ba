"""sapwood: git for object storage, as a Python library with no server.

Open (or create) a repository and work on a branch::

    import sapwood

    repo = sapwood.repository("data/census")       # a folder, or "s3://bucket/census"
    main = repo.branch("main")
    main.upload(b"id,species\n1,oak\n", "trees.csv")
    main.commit_changes("Add the census")

This module is the sync API; :mod:`sapwood.aio` has the same classes for asyncio.
"""

from __future__ import annotations

from sapwood._sync.branch import Branch
from sapwood._sync.files import ObjectReader, ObjectWriter, TextReader
from sapwood._sync.importer import ImportManager
from sapwood._sync.reference import Reference
from sapwood._sync.repository import Repository, repository
from sapwood._sync.session import Session
from sapwood._sync.tag import Tag
from sapwood._sync.transaction import Transaction
from sapwood.aio.folders import FolderSummary, SkippedPathWarning
from sapwood.aio.importer import ImportStatus
from sapwood.aio.repository import StagedChangesWarning
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
from sapwood.credential_chain import init
from sapwood.credentials import (
    AnonymousCredentials,
    ExpiringCredentials,
    FromEnvCredentials,
    RefreshableCredentials,
    StaticCredentials,
)
from sapwood.errors import (
    AlreadyExistsError,
    ConfigError,
    ConflictError,
    CredentialsError,
    IntegrityError,
    InvalidPathError,
    InvalidRefError,
    NotFoundError,
    NothingToCommitError,
    ObjectExistsError,
    ObjectNotFoundError,
    PermissionDeniedError,
    PluginError,
    PreconditionFailedError,
    RefExistsError,
    RefNotFoundError,
    RepositoryExistsError,
    RepositoryNotFoundError,
    SapwoodError,
    StorageError,
)
from sapwood.hookspecs import hookimpl
from sapwood.models import Change, Commit, GarbageCollectionSummary, ObjectInfo
from sapwood.objectstore import ObjectClient, TimeToIdle, TimeToLive, Usecase
from sapwood.storage import CommonPrefix

__version__ = "0.1.0"

__all__ = [
    "AlreadyExistsError",
    "AnonymousCredentials",
    "Branch",
    "CachingConfig",
    "Change",
    "ChunkingConfig",
    "Commit",
    "CommonPrefix",
    "CompressionConfig",
    "ConfigError",
    "ConflictError",
    "CredentialsError",
    "ExpiringCredentials",
    "FolderSummary",
    "FromEnvCredentials",
    "GarbageCollectionSummary",
    "ImportManager",
    "ImportStatus",
    "IntegrityError",
    "InvalidPathError",
    "InvalidRefError",
    "LimitsConfig",
    "NotFoundError",
    "NothingToCommitError",
    "ObjectClient",
    "ObjectExistsError",
    "ObjectInfo",
    "ObjectNotFoundError",
    "ObjectReader",
    "ObjectStoreConfig",
    "ObjectWriter",
    "PermissionDeniedError",
    "PluginError",
    "PreconditionFailedError",
    "RefExistsError",
    "RefNotFoundError",
    "Reference",
    "RefreshableCredentials",
    "Repository",
    "RepositoryConfig",
    "RepositoryExistsError",
    "RepositoryNotFoundError",
    "RetriesConfig",
    "SapwoodError",
    "Session",
    "SkippedPathWarning",
    "StagedChangesWarning",
    "StaticCredentials",
    "StorageError",
    "Tag",
    "TextReader",
    "TimeToIdle",
    "TimeToLive",
    "TimeoutsConfig",
    "Transaction",
    "Usecase",
    "VirtualChunkContainer",
    "hookimpl",
    "init",
    "repository",
]
