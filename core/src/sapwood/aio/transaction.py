"""AsyncTransaction: ``async with branch.transaction(message) as tx`` over an isolated
session."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING

from sapwood.aio.session import AsyncSession
from sapwood.models import Commit

if TYPE_CHECKING:
    from sapwood.aio.branch import AsyncBranch

__all__ = ["AsyncTransaction"]


class AsyncTransaction:
    """Stages changes in a session of its own and commits them when the block ends.

    On success the session is committed (rebased onto the branch's head if it moved and no
    path collides; ConflictError otherwise) and :attr:`commit` holds the new commit. On an
    exception everything staged is discarded and the exception propagates.
    """

    def __init__(
        self, branch: AsyncBranch, message: str, metadata: Mapping[str, str] | None = None
    ) -> None:
        self.branch = branch
        self.message = message
        self.metadata = dict(metadata) if metadata is not None else None
        self.session: AsyncSession | None = None
        self.commit: Commit | None = None

    async def __aenter__(self) -> AsyncSession:
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
            self.commit = await session.commit(self.message, self.metadata)
        else:
            await session.discard()
