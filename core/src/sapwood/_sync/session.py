"""Session: the unit of change underneath branches (sync twin of
:class:`sapwood.aio.AsyncSession`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sapwood import _loop
from sapwood._sync._bind import awaited, called, documented_by, forwarded, iterated, unwrap
from sapwood._sync._convert import as_repository, as_session
from sapwood._sync.reads import Reads
from sapwood._sync.writable_open import OpensForWriting
from sapwood.aio.reference import AsyncReference, RefLike, SupportsId
from sapwood.aio.session import AsyncSession
from sapwood.models import Commit, ObjectInfo

if TYPE_CHECKING:
    from sapwood.zarr import SapwoodStore

__all__ = ["Session"]


class Session(OpensForWriting, Reads):
    """A consistent view of one commit, plus (if writable) changes staged on top of it.

    Get one from :meth:`Repository.readonly_session` or :meth:`Repository.writable_session`.
    A writable session commits to its branch with optimistic concurrency: if the branch
    moved meanwhile, the changes are rebased onto the new head when no path collides, and
    ConflictError lists the colliding paths otherwise. Sessions pickle with what they have
    staged, so :meth:`fork` hands work to other processes and :meth:`merge` folds it back.
    """

    aio: AsyncSession

    def __repr__(self) -> str:
        return repr(self.aio).removeprefix("Async")

    # -- identity and state -----------------------------------------------------------------

    branch = forwarded(AsyncSession.branch)
    snapshot_id = forwarded(AsyncSession.snapshot_id)
    read_only = forwarded(AsyncSession.read_only)
    is_fork = forwarded(AsyncSession.is_fork)
    has_uncommitted_changes = forwarded(AsyncSession.has_uncommitted_changes)

    move_base = called(AsyncSession.move_base)
    repository = awaited(AsyncSession.repository, as_repository)

    # -- writes -----------------------------------------------------------------------------

    upload = awaited(AsyncSession.upload)
    put_virtual = awaited(AsyncSession.put_virtual)
    delete_objects = awaited(AsyncSession.delete_objects)
    upload_folder = awaited(AsyncSession.upload_folder)
    download_folder = awaited(AsyncSession.download_folder)
    list_uncommitted = iterated(AsyncSession.list_uncommitted)
    reset = awaited(AsyncSession.reset)
    discard = awaited(AsyncSession.discard)

    # -- committing, forks ------------------------------------------------------------------

    commit = awaited(AsyncSession.commit)
    fork = called(AsyncSession.fork, as_session)

    # -- written out: the store must wrap this sync session, not its async twin -------------

    @property
    def store(self) -> SapwoodStore:
        """A Zarr v3 store over this session (needs ``sapwood[zarr]``): Zarr reads what
        the session sees and stages its writes here until :meth:`commit`. It runs its calls
        on sapwood's own loop, so it works from any thread and from zarr's event loop."""
        from sapwood.zarr import SapwoodStore

        return SapwoodStore(self)

    # -- written out: arguments only a sync session can be, overloads by mode ---------------

    @documented_by(AsyncSession.merge)
    def merge(self, *forks: Session) -> None:
        _loop.run(self.aio.merge(*(fork.aio for fork in forks)))

    @documented_by(AsyncSession.copy_object)
    def copy_object(
        self, from_reference: RefLike | Session, from_path: str, to_path: str | None = None
    ) -> ObjectInfo:
        source = unwrap(from_reference)
        assert isinstance(source, str | AsyncSession | AsyncReference | Commit | SupportsId)
        return _loop.run(self.aio.copy_object(source, from_path, to_path))

    use_credentials = called(AsyncSession.use_credentials)
