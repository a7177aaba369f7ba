"""Repository: creating, opening and configuring a repository, and its resources (sync twin
of :class:`sapwood.aio.AsyncRepository`)."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sapwood import _loop
from sapwood._sync._bind import awaited, awaited_on_class, called, forwarded, iterated
from sapwood._sync._convert import as_branch, as_reference, as_repository, as_session, as_tag
from sapwood._sync._twin import Twin
from sapwood.aio.repository import AsyncRepository, StoreCredentials, StoreSpec, VirtualCredentials
from sapwood.config import RepositoryConfig

__all__ = ["Repository", "repository"]


class Repository(Twin[AsyncRepository]):
    """A sapwood repository: branches, tags and commits over one store.

    Build one with :func:`sapwood.repository` (open or create), :meth:`create`,
    :meth:`open` or :meth:`open_or_create`, ideally in a ``with`` block so the store is
    closed at the end. Resources (:meth:`branch`, :meth:`tag`, :meth:`commit`, :meth:`ref`)
    are cheap handles; nothing is read until they are used.
    """

    def __repr__(self) -> str:
        return repr(self.aio).removeprefix("Async")

    # -- instantiation ----------------------------------------------------------------------

    create = awaited_on_class(AsyncRepository.create, as_repository)
    open = awaited_on_class(AsyncRepository.open, as_repository)
    open_or_create = awaited_on_class(AsyncRepository.open_or_create, as_repository)
    exists = awaited_on_class(AsyncRepository.exists)
    fetch_config = awaited_on_class(AsyncRepository.fetch_config)

    config = forwarded(AsyncRepository.config)
    default_branch = forwarded(AsyncRepository.default_branch)
    storage_capabilities = forwarded(AsyncRepository.storage_capabilities)

    @property
    def author(self) -> str:
        """Recorded as the author of commits made through this repository (default: the
        user name of the process); assign to change it."""
        return self.aio.author

    @author.setter
    def author(self, name: str) -> None:
        self.aio.author = name

    save_config = awaited(AsyncRepository.save_config)
    reopen = awaited(AsyncRepository.reopen, as_repository)
    close = awaited(AsyncRepository.close)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _loop.run(self.aio.__aexit__(exc_type, exc, tb))

    # -- resources --------------------------------------------------------------------------

    branch = called(AsyncRepository.branch, as_branch)
    tag = called(AsyncRepository.tag, as_tag)
    commit = called(AsyncRepository.commit, as_reference)
    ref = called(AsyncRepository.ref, as_reference)
    list_branches = iterated(AsyncRepository.list_branches, as_branch)
    list_tags = iterated(AsyncRepository.list_tags, as_tag)
    metadata = awaited(AsyncRepository.metadata)
    resolve = awaited(AsyncRepository.resolve)

    # -- sessions ---------------------------------------------------------------------------

    readonly_session = awaited(AsyncRepository.readonly_session, as_session)
    writable_session = awaited(AsyncRepository.writable_session, as_session)

    # -- maintenance ------------------------------------------------------------------------

    expire_snapshots = awaited(AsyncRepository.expire_snapshots)
    garbage_collect = awaited(AsyncRepository.garbage_collect)
    delete = awaited(AsyncRepository.delete)
    verify = awaited(AsyncRepository.verify)


def repository(
    store: StoreSpec,
    store_credentials: StoreCredentials = None,
    config: RepositoryConfig | None = None,
    virtual_chunk_credentials: VirtualCredentials = None,
) -> Repository:
    """Open the repository at ``store``, creating it first if there is none (what
    :meth:`Repository.open_or_create` does).

    ``store`` is a URL (``s3://bucket/data``, ``file:///srv/repo``, ``memory://demo``), a
    plain folder path (``"data/repo"``, a :class:`~pathlib.Path`), an
    :class:`~sapwood.ObjectStoreConfig` or a Storage. Without ``store_credentials`` the
    credential chain applies (see :func:`sapwood.init`).
    """
    return Repository.open_or_create(store, store_credentials, config, virtual_chunk_credentials)
