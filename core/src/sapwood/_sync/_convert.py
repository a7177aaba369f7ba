"""Sync twins of the async objects the async API hands out, one maker per kind.

Each module of the sync API imports its neighbours only when a maker runs, as the sync
classes refer to one another (a branch hands out sessions, a session its repository)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sapwood._sync.branch import Branch
    from sapwood._sync.importer import ImportManager
    from sapwood._sync.reference import Reference
    from sapwood._sync.repository import Repository
    from sapwood._sync.session import Session
    from sapwood._sync.tag import Tag
    from sapwood._sync.transaction import Transaction
    from sapwood.aio.branch import AsyncBranch
    from sapwood.aio.importer import AsyncImportManager
    from sapwood.aio.reference import AsyncReference
    from sapwood.aio.repository import AsyncRepository
    from sapwood.aio.session import AsyncSession
    from sapwood.aio.tag import AsyncTag
    from sapwood.aio.transaction import AsyncTransaction

__all__ = [
    "as_branch",
    "as_import_manager",
    "as_reference",
    "as_repository",
    "as_session",
    "as_tag",
    "as_transaction",
]


def as_reference(aio: AsyncReference) -> Reference:
    """The sync twin of a reference."""
    from sapwood._sync.reference import Reference

    return Reference.wrap(aio)


def as_branch(aio: AsyncBranch) -> Branch:
    """The sync twin of a branch."""
    from sapwood._sync.branch import Branch

    return Branch.wrap(aio)


def as_tag(aio: AsyncTag) -> Tag:
    """The sync twin of a tag."""
    from sapwood._sync.tag import Tag

    return Tag.wrap(aio)


def as_session(aio: AsyncSession) -> Session:
    """The sync twin of a session."""
    from sapwood._sync.session import Session

    return Session.wrap(aio)


def as_repository(aio: AsyncRepository) -> Repository:
    """The sync twin of a repository."""
    from sapwood._sync.repository import Repository

    return Repository.wrap(aio)


def as_transaction(aio: AsyncTransaction) -> Transaction:
    """The sync twin of a transaction."""
    from sapwood._sync.transaction import Transaction

    return Transaction.wrap(aio)


def as_import_manager(aio: AsyncImportManager) -> ImportManager:
    """The sync twin of an import."""
    from sapwood._sync.importer import ImportManager

    return ImportManager.wrap(aio)
