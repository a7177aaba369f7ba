"""Repository: creating, opening and configuring a repository, and its resources (sync twin
of :class:`sapwood.aio.AsyncRepository`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from types import TracebackType
from typing import Self

from sapwood import _loop
from sapwood._sync._twin import Twin, iterate
from sapwood._sync.branch import Branch
from sapwood._sync.reference import Reference, name_arg, ref_arg
from sapwood._sync.session import Session
from sapwood._sync.tag import Tag
from sapwood.aio.reference import RefLike
from sapwood.aio.repository import AsyncRepository, StoreCredentials, StoreSpec, VirtualCredentials
from sapwood.config import RepositoryConfig
from sapwood.engine.gc import Moment
from sapwood.models import GarbageCollectionSummary, VerificationReport

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

    @classmethod
    def create(
        cls,
        store: StoreSpec,
        store_credentials: StoreCredentials = None,
        config: RepositoryConfig | None = None,
        virtual_chunk_credentials: VirtualCredentials = None,
    ) -> Repository:
        """Create a repository with a ``main`` branch on an empty location.

        RepositoryExistsError if one is there already; ConfigError if the store cannot move
        refs safely and ``config.unsafe_overwrite_refs`` is not set.
        """
        return cls.wrap(
            _loop.run(
                AsyncRepository.create(store, store_credentials, config, virtual_chunk_credentials)
            )
        )

    @classmethod
    def open(
        cls,
        store: StoreSpec,
        store_credentials: StoreCredentials = None,
        config: RepositoryConfig | None = None,
        virtual_chunk_credentials: VirtualCredentials = None,
    ) -> Repository:
        """Open an existing repository (RepositoryNotFoundError if there is none). Fields
        set in ``config`` override the stored config for this handle only; the rest is
        inherited. The config and the refs are read concurrently."""
        return cls.wrap(
            _loop.run(
                AsyncRepository.open(store, store_credentials, config, virtual_chunk_credentials)
            )
        )

    @classmethod
    def open_or_create(
        cls,
        store: StoreSpec,
        store_credentials: StoreCredentials = None,
        config: RepositoryConfig | None = None,
        virtual_chunk_credentials: VirtualCredentials = None,
    ) -> Repository:
        """Open the repository, creating it first if there is none."""
        return cls.wrap(
            _loop.run(
                AsyncRepository.open_or_create(
                    store, store_credentials, config, virtual_chunk_credentials
                )
            )
        )

    @staticmethod
    def exists(store: StoreSpec, store_credentials: StoreCredentials = None) -> bool:
        """True if a repository exists at ``store``."""
        return _loop.run(AsyncRepository.exists(store, store_credentials))

    @staticmethod
    def fetch_config(
        store: StoreSpec, store_credentials: StoreCredentials = None
    ) -> RepositoryConfig | None:
        """The config stored with the repository at ``store`` (None if there is none)."""
        return _loop.run(AsyncRepository.fetch_config(store, store_credentials))

    @property
    def config(self) -> RepositoryConfig:
        """The config in effect: the stored one with this handle's overrides applied."""
        return self.aio.config

    @property
    def author(self) -> str:
        """Recorded as the author of commits made through this repository (default: the
        user name of the process); assign to change it."""
        return self.aio.author

    @author.setter
    def author(self, name: str) -> None:
        self.aio.author = name

    def save_config(self) -> None:
        """Store :attr:`config` with the repository, so later opens inherit it
        (credentials are never stored)."""
        _loop.run(self.aio.save_config())

    def reopen(
        self,
        config: RepositoryConfig | None = None,
        virtual_chunk_credentials: VirtualCredentials = None,
    ) -> Repository:
        """A new handle on the same repository, with other config overrides or
        credentials."""
        return Repository.wrap(_loop.run(self.aio.reopen(config, virtual_chunk_credentials)))

    def close(self) -> None:
        """Release the store (if this repository built it) and external containers."""
        _loop.run(self.aio.close())

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

    def branch(self, branch_id: str) -> Branch:
        """The branch named ``branch_id`` (the same handle every time, so changes staged
        through it are never split). It need not exist yet: see :meth:`Branch.create`."""
        return Branch.wrap(self.aio.branch(branch_id))

    def tag(self, tag_id: str) -> Tag:
        """The tag named ``tag_id``; it need not exist yet: see :meth:`Tag.create`."""
        return Tag.wrap(self.aio.tag(tag_id))

    def commit(self, commit_id: RefLike) -> Reference:
        """The commit with id ``commit_id`` (or a unique prefix of at least 4 characters).

        A :class:`~sapwood.Commit` stands for its id; a reference object names what it
        names (as :meth:`ref` does)."""
        return Reference.wrap(self.aio.commit(ref_arg(commit_id)))

    def ref(self, expression: RefLike) -> Reference:
        """Any ref expression: ``main``, ``v1``, a commit id (prefix), ``main~2``, ``v1^``;
        or a Reference (Branch, Tag) or Commit, which names the same commit."""
        return Reference.wrap(self.aio.ref(ref_arg(expression)))

    def list_branches(
        self, max_amount: int | None = None, after: str = "", prefix: str = ""
    ) -> Iterator[Branch]:
        """Branches in name order, after ``after``, whose names start with ``prefix``."""
        return iterate(self.aio.list_branches(max_amount, after, prefix), Branch.wrap)

    def list_tags(
        self, max_amount: int | None = None, after: str = "", prefix: str = ""
    ) -> Iterator[Tag]:
        """Tags in name order, after ``after``, whose names start with ``prefix``."""
        return iterate(self.aio.list_tags(max_amount, after, prefix), Tag.wrap)

    def metadata(self) -> dict[str, str]:
        """Facts about the repository: format version, ref mode, creation time, default
        branch."""
        return _loop.run(self.aio.metadata())

    def resolve(self, reference: RefLike) -> bytes:
        """The raw snapshot id a reference names right now."""
        return _loop.run(self.aio.resolve(ref_arg(reference)))

    # -- sessions ---------------------------------------------------------------------------

    def readonly_session(
        self,
        branch: str | Reference | None = None,
        *,
        tag: str | Reference | None = None,
        snapshot_id: str | None = None,
        as_of: datetime | None = None,
    ) -> Session:
        """A read-only session at a branch's head (default ``main``), a tag, or a commit;
        with ``as_of``, at the branch's newest first-parent commit made at or before then.
        ``branch`` and ``tag`` are names or the Branch and Tag objects themselves."""
        return Session.wrap(
            _loop.run(
                self.aio.readonly_session(
                    name_arg(branch), tag=name_arg(tag), snapshot_id=snapshot_id, as_of=as_of
                )
            )
        )

    def writable_session(self, branch: str | Reference) -> Session:
        """A session that stages changes on ``branch``'s (a name or a Branch) current head
        and commits to it."""
        return Session.wrap(_loop.run(self.aio.writable_session(name_arg(branch))))

    # -- maintenance ------------------------------------------------------------------------

    def verify(self, *, check_content: bool = True) -> VerificationReport:
        """Check every object the branches and tags reach (``fsck``); see the async twin."""
        return _loop.run(self.aio.verify(check_content=check_content))

    def expire_snapshots(self, older_than: Moment) -> frozenset[str]:
        """Cut commits older than ``older_than`` that no branch or tag points at out of
        history; the ids newly expired. Nothing is deleted until :meth:`garbage_collect`."""
        return _loop.run(self.aio.expire_snapshots(older_than))

    def garbage_collect(
        self, older_than: Moment, dry_run: bool = False
    ) -> GarbageCollectionSummary:
        """Delete what no branch or tag can reach, except what was stored at or after
        ``older_than`` (so writers in flight stay safe); with ``dry_run`` only count it."""
        return _loop.run(self.aio.garbage_collect(older_than, dry_run))


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
