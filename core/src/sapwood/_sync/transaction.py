"""Transaction: ``with branch.transaction(message) as tx`` (sync twin of
:class:`sapwood.aio.AsyncTransaction`)."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from sapwood import _loop
from sapwood._sync._twin import Twin
from sapwood._sync.session import Session
from sapwood.aio.transaction import AsyncTransaction
from sapwood.models import Commit

if TYPE_CHECKING:
    from sapwood._sync.branch import Branch

__all__ = ["Transaction"]


class Transaction(Twin[AsyncTransaction]):
    """Stages changes in a session of its own and commits them when the ``with`` block
    ends.

    On success the session is committed (rebased onto the branch's head if it moved and no
    path collides; ConflictError naming the paths otherwise) and :attr:`commit` holds the
    new commit. On an exception everything staged is discarded and the exception
    propagates. Changes staged on the branch handle itself are not part of it.
    """

    def __repr__(self) -> str:
        return f"Transaction(branch={self.aio.branch.id!r}, message={self.aio.message!r})"

    @property
    def branch(self) -> Branch:
        """The branch the transaction commits to."""
        from sapwood._sync.branch import Branch

        return Branch.wrap(self.aio.branch)

    @property
    def message(self) -> str:
        """The commit message."""
        return self.aio.message

    @property
    def session(self) -> Session | None:
        """The transaction's session, once the ``with`` block started."""
        session = self.aio.session
        return None if session is None else Session.wrap(session)

    @property
    def commit(self) -> Commit | None:
        """The commit made when the block ended without an exception."""
        return self.aio.commit

    def __enter__(self) -> Session:
        return Session.wrap(_loop.run(self.aio.__aenter__()))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _loop.run(self.aio.__aexit__(exc_type, exc, tb))
