"""Reference: a name for a commit, and the read API (sync twin of
:class:`sapwood.aio.AsyncReference`)."""

from __future__ import annotations

from sapwood._sync._bind import awaited, forwarded, iterated
from sapwood._sync._convert import as_repository, as_session
from sapwood._sync.reads import Reads
from sapwood.aio.reference import AsyncReference

__all__ = ["Reference"]


class Reference(Reads):
    """A commit named by a ref expression (``main``, ``v1``, ``main~2``, ``v1^``) or a
    commit id. Every call resolves the name again, so a reference to a branch follows its
    head.

    Get one from :meth:`Repository.ref`, :meth:`Repository.commit` or :meth:`Branch.head`;
    wherever a reference is taken, a str, a Reference or a Commit will do.
    """

    aio: AsyncReference

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.id!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Reference) and self.aio == other.aio

    def __hash__(self) -> int:
        return hash(self.aio)

    id = forwarded(AsyncReference.id)
    is_commit_id = forwarded(AsyncReference.is_commit_id)
    repository = forwarded(AsyncReference.repository, as_repository)

    resolve = awaited(AsyncReference.resolve)
    get_commit = awaited(AsyncReference.get_commit)
    log = iterated(AsyncReference.log)
    diff = iterated(AsyncReference.diff)
    merge_into = awaited(AsyncReference.merge_into)
    reader = awaited(AsyncReference.reader, as_session)
    download_folder = awaited(AsyncReference.download_folder)
