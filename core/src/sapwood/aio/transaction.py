"""AsyncTransaction: ``async with branch.transaction(message) as tx`` over an isolated
session."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING

from sapwood.aio.session import AsyncSession
from sapwood.engine.paths import validate_ref_name
from sapwood.engine.staging import check_metadata
from sapwood.errors import RefExistsError
from sapwood.models import Commit

if TYPE_CHECKING:
    from sapwood.aio.branch import AsyncBranch

__all__ = ["AsyncTransaction"]


class AsyncTransaction:
    """Stages changes in a session of its own and commits them when the block ends.

    On success the session is committed (rebased onto the branch's head if it moved and no
    path collides; ConflictError otherwise) and :attr:`commit` holds the new commit, tagged
    ``tag`` if one was given. A block that staged nothing raises NothingToCommitError and
    makes no commit, unless ``allow_empty``. On an exception everything staged is
    discarded and the exception propagates.
    """

    def __init__(
        self,
        branch: AsyncBranch,
        message: str,
        metadata: Mapping[str, str] | None = None,
        tag: str | None = None,
        allow_empty: bool = False,
    ) -> None:
        if tag is not None:
            validate_ref_name(tag, "tag")
        if not isinstance(message, str):
            raise TypeError(f"a commit message is a str, not {type(message).__name__}")
        self.branch = branch
        self.message = message
        self.metadata = check_metadata(metadata, "commit metadata")
        self.tag = tag
        self.allow_empty = allow_empty
        self.session: AsyncSession | None = None
        self.commit: Commit | None = None

    async def __aenter__(self) -> AsyncSession:
        if self.tag is not None:
            # Refused before any work is done, not after the commit is made.
            refs = self.branch.repository.engine.refs
            if await refs.tag_name_taken(self.tag):
                raise RefExistsError(
                    f"tag {self.tag!r} exists or once existed, and tag names are never reused; "
                    "pick another tag for this transaction"
                )
        self.session = await self.branch.repository.writable_session(self.branch.id)
        return self.session

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        assert session is not None
        if exc is None:
            self.commit = await session.commit(self.message, self.metadata, self.allow_empty)
            if self.tag is not None:
                await self.branch.repository.tag(self.tag).create(self.commit.id)
        else:
            await session.discard()
