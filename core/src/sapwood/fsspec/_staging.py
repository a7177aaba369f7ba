"""Changes staged through the filesystem until they are committed: one writable session per
branch written, committed together by a transaction (or by the one call that staged them)."""

from __future__ import annotations

from collections.abc import Mapping

from sapwood import ConflictError, InvalidRefError, RefNotFoundError, Repository, Session
from sapwood.errors import ObjectExistsError
from sapwood.fsspec._errors import ReadOnlyReferenceError
from sapwood.models import Commit

__all__ = ["Staging", "exists_error"]


def exists_error(ref: str, key: str, meanwhile: bool = False) -> ObjectExistsError:
    """The error of a create-only write (``mode="xb"``, ``pipe_file(..., mode="create")``)
    that found ``key`` present."""
    when = " (another writer created it meanwhile)" if meanwhile else ""
    return ObjectExistsError(
        f"{key!r} already exists on branch {ref!r}{when}: a create-only write (mode 'xb' or "
        "'create') never replaces an object; write with mode 'wb' or 'overwrite' to replace it",
        path=key,
    )


class Staging:
    """Writable sessions of ``repository``, one per branch, opened on first use.

    Reads of a branch that has a session here go through it, so a transaction reads what
    it wrote. :meth:`commit` makes one commit per branch that has changes; paths written
    create-only are checked again against each branch's head first, and a commit that
    conflicts on one of them is reported as ObjectExistsError.
    """

    def __init__(self, repository: Repository) -> None:
        self._repository = repository
        self._sessions: dict[str, Session] = {}
        self._create_only: dict[str, set[str]] = {}

    def existing(self, ref: str) -> Session | None:
        """The session of branch ``ref``, if something was staged on it here."""
        return self._sessions.get(ref)

    def session(self, ref: str) -> Session:
        """The writable session of branch ``ref`` (ReadOnlyReferenceError if ``ref`` is a
        tag, a commit or an expression; RefNotFoundError if it names nothing)."""
        session = self._sessions.get(ref)
        if session is None:
            session = self._open(ref)
            self._sessions[ref] = session
        return session

    def _open(self, ref: str) -> Session:
        try:
            return self._repository.writable_session(ref)
        except (RefNotFoundError, InvalidRefError) as missing:
            try:
                self._repository.resolve(ref)
            except (RefNotFoundError, InvalidRefError):
                raise missing from None
            raise ReadOnlyReferenceError(
                f"{ref!r} is not a branch: sapwood:// paths read at any ref but write only to "
                f"branches; create one at it (repo.branch('name').create({ref!r})) and write "
                "there"
            ) from None

    def claim(self, ref: str, key: str) -> Session:
        """Stage-to-be a create-only write of ``key`` on branch ``ref``: ObjectExistsError
        if it exists there (committed or staged here); its session otherwise."""
        session = self.session(ref)
        claimed = self._create_only.setdefault(ref, set())
        if key in claimed or session.exists(key):
            raise exists_error(ref, key)
        claimed.add(key)
        return session

    def commit(self, message: str, metadata: Mapping[str, str] | None = None) -> list[Commit]:
        """Commit each branch's changes (branches with none make no commit); on an error
        the branches not yet committed are discarded and the error raised."""
        commits: list[Commit] = []
        try:
            for ref, session in self._sessions.items():
                if session.has_uncommitted_changes:
                    commits.append(self._commit_one(ref, session, message, metadata))
        finally:
            self.discard()
        return commits

    def _commit_one(
        self, ref: str, session: Session, message: str, metadata: Mapping[str, str] | None
    ) -> Commit:
        claimed = self._create_only.get(ref, set())
        if claimed:
            head = self._repository.ref(ref).reader()
            for key in sorted(claimed):
                if head.exists(key):
                    raise exists_error(ref, key, meanwhile=True)
        try:
            return session.commit(message, metadata)
        except ConflictError as conflict:
            taken = sorted(claimed.intersection(conflict.conflicts))
            if taken:
                raise exists_error(ref, taken[0], meanwhile=True) from conflict
            raise

    def discard(self) -> None:
        """Drop everything staged here."""
        for session in self._sessions.values():
            session.discard()
        self._sessions.clear()
        self._create_only.clear()
