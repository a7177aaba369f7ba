"""``with fs.transaction:``: everything written in the block becomes one commit (per branch
written) when it ends, and nothing when it raises."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from fsspec.transaction import Transaction

from sapwood import Commit
from sapwood.fsspec._staging import Staging

if TYPE_CHECKING:
    from sapwood.fsspec._filesystem import SapwoodFileSystem

__all__ = ["SapwoodTransaction"]

DEFAULT_MESSAGE = "Write through fsspec"


class SapwoodTransaction(Transaction):  # type: ignore[misc]  # fsspec is untyped
    """fsspec's transaction over sapwood's staging: files, pipes, copies and deletions in
    the block are staged in one writable session per branch (reads in the block see them)
    and committed when it ends without an exception; on an exception all is discarded.

    Set :attr:`message` and :attr:`metadata` in the block to describe the commit;
    :attr:`commits` lists the commits made once it ended.
    """

    def __init__(self, fs: SapwoodFileSystem, **kwargs: object) -> None:
        super().__init__(fs, **kwargs)
        self.staging = Staging(fs.repository)
        self.message = DEFAULT_MESSAGE
        self.metadata: Mapping[str, str] | None = None
        self.commits: list[Commit] = []

    def start(self) -> None:
        """Begin the transaction (``with fs.transaction:`` calls it)."""
        super().start()
        self.staging.discard()
        self.commits = []

    def complete(self, commit: bool = True) -> None:
        """End the transaction: commit what was staged (``commit=True``) or discard it."""
        staging = self.staging
        try:
            super().complete(commit)
        except BaseException:
            staging.discard()
            raise
        if commit:
            self.commits = staging.commit(self.message, self.metadata)
        else:
            staging.discard()
