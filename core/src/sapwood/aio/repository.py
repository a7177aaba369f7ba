"""AsyncRepository: creating, opening and configuring a repository, and its resources."""

from __future__ import annotations

import warnings
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from sapwood import composition
from sapwood.aio.branch import AsyncBranch
from sapwood.aio.reference import AsyncReference, RefLike, SupportsId, ref_name, resolve_ref
from sapwood.aio.session import AsyncSession
from sapwood.aio.tag import AsyncTag
from sapwood.composition import OpenedStore, StoreCredentials, StoreSpec, VirtualCredentials
from sapwood.config import ObjectStoreConfig, RepositoryConfig
from sapwood.engine.arguments import check_max_amount
from sapwood.engine.gc import Moment, expire_snapshots, garbage_collect, resolve_moment
from sapwood.engine.history import first_parent_as_of
from sapwood.engine.ids import is_hex_prefix
from sapwood.engine.lifecycle import delete_repository
from sapwood.engine.paths import validate_ref_name
from sapwood.engine.refexpr import parse_ref_expression
from sapwood.engine.repo import DEFAULT_BRANCH, Engine, default_author
from sapwood.engine.verify import verify_repository
from sapwood.errors import (
    ConflictError,
    InvalidRefError,
    RepositoryExistsError,
    RepositoryNotFoundError,
)
from sapwood.models import Commit, GarbageCollectionSummary, VerificationReport
from sapwood.storage import Capabilities, Storage

__all__ = [
    "AsyncRepository",
    "Opener",
    "StagedChangesWarning",
    "StoreCredentials",
    "StoreSpec",
    "VirtualCredentials",
]


class StagedChangesWarning(ResourceWarning, UserWarning):
    """A repository was closed while changes were still staged on its branches (they are
    lost); the message names the branches.

    A ResourceWarning (a resource was released with work still in it), and also a
    UserWarning, so ``pytest.warns`` and warning filters for either catch it.
    """


@dataclass(frozen=True)
class Opener:
    """How to open the same repository again, here or in another process.

    It pickles when the store was given as a config or URL (the usual case); a Storage
    object pickles only if its class allows it.
    """

    store: ObjectStoreConfig | Storage
    credentials: StoreCredentials = None
    config: RepositoryConfig | None = None
    virtual_credentials: VirtualCredentials = None

    async def open(self) -> AsyncRepository:
        """Open the repository."""
        return await AsyncRepository.open(
            self.store, self.credentials, self.config, self.virtual_credentials
        )


def _location(spec: ObjectStoreConfig | Storage) -> str:
    if isinstance(spec, ObjectStoreConfig):
        return spec.to_url()
    return repr(spec)


class AsyncRepository:
    """A sapwood repository: branches, tags and commits over one store.

    Build one with :meth:`create`, :meth:`open` or :meth:`open_or_create`. Resources
    (:meth:`branch`, :meth:`tag`, :meth:`commit`, :meth:`ref`) are cheap handles; nothing
    is read until they are used.
    """

    def __init__(self, engine: Engine, opener: Opener, *, owns_storage: bool) -> None:
        self.engine = engine
        self.opener = opener
        self.author = default_author()
        """Recorded as the author of commits made through this repository."""
        self._owns_storage = owns_storage
        self._branches: dict[str, AsyncBranch] = {}
        # Writable sessions handed out, so close() and delete() know what is staged.
        self._sessions: weakref.WeakSet[AsyncSession] = weakref.WeakSet()
        self._closed = False

    def __repr__(self) -> str:
        return f"AsyncRepository({_location(self.opener.store)})"

    # -- instantiation ----------------------------------------------------------------------

    @classmethod
    async def create(
        cls,
        store: StoreSpec,
        store_credentials: StoreCredentials = None,
        config: RepositoryConfig | None = None,
        virtual_chunk_credentials: VirtualCredentials = None,
        default_branch: str = DEFAULT_BRANCH,
    ) -> AsyncRepository:
        """Create a repository with a ``default_branch`` (``main``) on an empty location.

        RepositoryExistsError if one is there already; ConfigError if other data is there
        (a repository needs an empty folder or prefix of its own), or if the store cannot
        move refs safely and ``config.unsafe_overwrite_refs`` is not set.
        """
        engine, opened = await composition.create_repository(
            store, store_credentials, config, virtual_chunk_credentials, default_branch
        )
        return cls._wrap(engine, opened, store_credentials, config, virtual_chunk_credentials)

    @classmethod
    async def open(
        cls,
        store: StoreSpec,
        store_credentials: StoreCredentials = None,
        config: RepositoryConfig | None = None,
        virtual_chunk_credentials: VirtualCredentials = None,
    ) -> AsyncRepository:
        """Open an existing repository; fields set in ``config`` override the stored config
        for this handle. Reads the config and the refs concurrently."""
        engine, opened = await composition.open_repository(
            store, store_credentials, config, virtual_chunk_credentials
        )
        return cls._wrap(engine, opened, store_credentials, config, virtual_chunk_credentials)

    @classmethod
    def _wrap(
        cls,
        engine: Engine,
        opened: OpenedStore,
        store_credentials: StoreCredentials,
        config: RepositoryConfig | None,
        virtual_chunk_credentials: VirtualCredentials,
    ) -> AsyncRepository:
        opener = Opener(opened.spec, store_credentials, config, virtual_chunk_credentials)
        return cls(engine, opener, owns_storage=opened.owns)

    @classmethod
    async def open_or_create(
        cls,
        store: StoreSpec,
        store_credentials: StoreCredentials = None,
        config: RepositoryConfig | None = None,
        virtual_chunk_credentials: VirtualCredentials = None,
    ) -> AsyncRepository:
        """Open the repository, creating it first if there is none."""
        try:
            return await cls.open(store, store_credentials, config, virtual_chunk_credentials)
        except RepositoryNotFoundError:
            pass
        try:
            return await cls.create(store, store_credentials, config, virtual_chunk_credentials)
        except RepositoryExistsError:
            return await cls.open(store, store_credentials, config, virtual_chunk_credentials)

    @staticmethod
    async def exists(store: StoreSpec, store_credentials: StoreCredentials = None) -> bool:
        """True if a repository exists at ``store``."""
        return await composition.repository_exists_at(store, store_credentials)

    @staticmethod
    async def fetch_config(
        store: StoreSpec, store_credentials: StoreCredentials = None
    ) -> RepositoryConfig | None:
        """The config stored with the repository at ``store`` (None if there is none)."""
        return await composition.fetch_repository_config(store, store_credentials)

    @property
    def config(self) -> RepositoryConfig:
        """The config in effect: the stored one with this handle's overrides applied."""
        return self.engine.config

    @property
    def storage_capabilities(self) -> Capabilities:
        """What the repository's store supports: conditional create and update, byte
        ranges, listing with a delimiter, presigned URLs (``sapwood doctor`` shows them)."""
        return self.engine.layer.capabilities

    async def save_config(self) -> None:
        """Store :attr:`config` with the repository (credentials are never stored)."""
        await self.engine.save_config()

    async def reopen(
        self,
        config: RepositoryConfig | None = None,
        virtual_chunk_credentials: VirtualCredentials = None,
    ) -> AsyncRepository:
        """A new handle on the same repository, with other config overrides or credentials."""
        return await AsyncRepository.open(
            self.opener.store,
            self.opener.credentials,
            config if config is not None else self.opener.config,
            virtual_chunk_credentials
            if virtual_chunk_credentials is not None
            else self.opener.virtual_credentials,
        )

    @property
    def default_branch(self) -> str:
        """The branch made at creation (``main`` unless chosen); it cannot be deleted."""
        return self.engine.default_branch

    def _staged_branches(self) -> list[str]:
        """Branches with changes staged through this repository: on a branch handle or in
        a writable session it handed out."""
        staged = {
            name
            for name, handle in list(self._branches.items())
            if handle._staging is not None and handle._staging.has_uncommitted_changes
        }
        staged.update(
            session.branch
            for session in list(self._sessions)
            if session.branch is not None and session.has_uncommitted_changes
        )
        return sorted(staged)

    async def close(self) -> None:
        """Release the store (if this repository built it) and external containers.

        Changes still staged on its branches are lost: a :class:`StagedChangesWarning` (a
        ResourceWarning) names them."""
        if self._closed:
            return
        staged = self._staged_branches()
        if staged:
            warnings.warn(
                f"closing {self!r} drops the changes staged on branch(es) "
                f"{', '.join(repr(b) for b in staged)}; commit_changes() or reset() them first",
                StagedChangesWarning,
                stacklevel=2,
            )
        self._closed = True
        await self.engine.close()
        if self._owns_storage:
            await self.engine.layer.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- resources --------------------------------------------------------------------------

    def branch(self, branch_id: str) -> AsyncBranch:
        """The branch named ``branch_id`` (the same handle every time, so changes staged
        through it are never split). It need not exist yet: see :meth:`AsyncBranch.create`."""
        validate_ref_name(branch_id, "branch")
        handle = self._branches.get(branch_id)
        if handle is None:
            # setdefault is atomic: threads of the sync API asking at once share one handle.
            handle = self._branches.setdefault(branch_id, AsyncBranch(self, branch_id))
        return handle

    def tag(self, tag_id: str) -> AsyncTag:
        """The tag named ``tag_id``; it need not exist yet: see :meth:`AsyncTag.create`."""
        validate_ref_name(tag_id, "tag")
        return AsyncTag(self, tag_id)

    def commit(self, commit_id: RefLike) -> AsyncReference:
        """The commit with id ``commit_id`` (or a unique prefix of at least 4 characters).

        A :class:`~sapwood.Commit` stands for its id; a reference object names what it
        names (as :meth:`ref` does)."""
        if isinstance(commit_id, Commit):
            commit_id = commit_id.id
        elif not isinstance(commit_id, str):
            return self.ref(commit_id)
        if not is_hex_prefix(commit_id):
            raise InvalidRefError(f"{commit_id!r} is not a commit id: commit ids are lowercase hex")
        return AsyncReference(self, commit_id, kind="commit")

    def ref(self, expression: RefLike) -> AsyncReference:
        """Any ref expression: ``main``, ``v1``, a commit id (prefix), ``main~2``, ``v1^``;
        or a Reference (Branch, Tag) or Commit, which names the same commit."""
        if isinstance(expression, Commit):
            return self.commit(expression.id)
        if isinstance(expression, AsyncReference):
            if expression.is_commit_id:
                return self.commit(expression.id)
            expression = expression.id
        elif not isinstance(expression, str):
            if not isinstance(expression, SupportsId):
                raise TypeError(
                    "a reference is a str, a Reference or a Commit, not "
                    f"{type(expression).__name__}"
                )
            expression = expression.id
        parse_ref_expression(expression)
        return AsyncReference(self, expression)

    def list_branches(
        self, max_amount: int | None = None, after: str = "", prefix: str = ""
    ) -> AsyncIterator[AsyncBranch]:
        """Branches in name order, after ``after``, whose names start with ``prefix``."""
        check_max_amount(max_amount)
        return self._list_refs("branch", max_amount, after, prefix)  # type: ignore[return-value]

    def list_tags(
        self, max_amount: int | None = None, after: str = "", prefix: str = ""
    ) -> AsyncIterator[AsyncTag]:
        """Tags in name order, after ``after``, whose names start with ``prefix``."""
        check_max_amount(max_amount)
        return self._list_refs("tag", max_amount, after, prefix)  # type: ignore[return-value]

    async def _list_refs(
        self, kind: str, max_amount: int | None, after: str, prefix: str
    ) -> AsyncIterator[AsyncBranch | AsyncTag]:
        refs = self.engine.refs
        names = await (refs.branch_names(prefix) if kind == "branch" else refs.tag_names(prefix))
        produced = 0
        for name in names:
            if name <= after:
                continue
            if max_amount is not None and produced >= max_amount:
                return
            yield self.branch(name) if kind == "branch" else self.tag(name)
            produced += 1

    async def metadata(self) -> dict[str, str]:
        """Facts about the repository: format version, ref mode, creation time, default
        branch."""
        document = self.engine.document
        return {
            "format_version": str(document.format_version),
            "ref_mode": self.engine.refs.mode,
            "created_at": document.created_at.isoformat(),
            "default_branch": self.engine.default_branch,
        }

    async def resolve(self, reference: RefLike) -> bytes:
        """The raw snapshot id a reference names right now."""
        return await resolve_ref(self, reference)

    # -- sessions ---------------------------------------------------------------------------

    async def readonly_session(
        self,
        branch: str | SupportsId | None = None,
        *,
        tag: str | SupportsId | None = None,
        snapshot_id: str | None = None,
        as_of: Moment | None = None,
    ) -> AsyncSession:
        """A read-only session at a branch's head (default ``main``), a tag, or a commit;
        with ``as_of``, at the branch's newest first-parent commit made at or before then
        (a datetime, naive ones being UTC; or a date, an ISO 8601 string, or a timedelta
        meaning that long ago). ``branch`` and ``tag`` are names or the Branch and Tag
        objects themselves."""
        chosen = [x for x in (branch, tag, snapshot_id) if x is not None]
        if len(chosen) > 1:
            raise InvalidRefError("give only one of branch, tag and snapshot_id")
        if as_of is not None and (tag is not None or snapshot_id is not None):
            raise InvalidRefError("as_of travels back along a branch; pass branch=, not a tag")
        moment = resolve_moment(as_of, "as_of") if as_of is not None else None
        if tag is not None:
            raw = await self.tag(ref_name(tag, "tag")).resolve()
        elif snapshot_id is not None:
            raw = await self.commit(snapshot_id).resolve()
        else:
            name = ref_name(branch if branch is not None else self.engine.default_branch)
            raw = await self.branch(name).resolve()
            if moment is not None:
                raw = await first_parent_as_of(self.engine, raw, moment)
        return AsyncSession(self, raw, read_only=True)

    async def writable_session(self, branch: str | SupportsId) -> AsyncSession:
        """A session that stages changes on ``branch``'s (a name or a Branch) current head
        and commits to it."""
        name = ref_name(branch)
        raw = await self.branch(name).resolve()
        session = AsyncSession(self, raw, branch=name, read_only=False)
        self._sessions.add(session)
        return session

    # -- maintenance ------------------------------------------------------------------------

    async def delete(self) -> None:
        """Delete the whole repository (every branch, tag, commit and object) and close
        this handle. Refused with ConflictError while a branch of this handle has staged
        changes (commit or reset them first); other handles on it fail from then on."""
        staged = self._staged_branches()
        if staged:
            raise ConflictError(
                f"not deleting {self!r}: changes are staged on branch(es) "
                f"{', '.join(repr(b) for b in staged)}; commit_changes() or reset() them first",
                staged,
            )
        await delete_repository(self.engine)
        self._branches.clear()
        await self.close()

    async def verify(self, *, check_content: bool = True) -> VerificationReport:
        """Check every object the branches and tags reach (``fsck``): a report of what is
        missing or damaged and through which commits and refs it is reachable. With
        ``check_content=False`` blobs are only checked to exist, not read and hashed."""
        return await verify_repository(self.engine, check_content=check_content)

    async def expire_snapshots(self, older_than: Moment) -> frozenset[str]:
        """Cut commits older than ``older_than`` that no branch or tag points at out of
        history (log, ``~``/``^`` and merges stop there); the ids newly expired. Nothing
        is deleted until :meth:`garbage_collect`."""
        return await expire_snapshots(self.engine, older_than)

    async def garbage_collect(
        self, older_than: Moment, dry_run: bool = False
    ) -> GarbageCollectionSummary:
        """Delete snapshots, manifests and blobs no branch or tag can reach, except those
        stored at or after ``older_than`` (so writers in flight stay safe); with
        ``dry_run`` only count them."""
        return await garbage_collect(self.engine, older_than, dry_run=dry_run)
