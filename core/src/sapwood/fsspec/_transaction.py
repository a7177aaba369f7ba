"""``with fs.transaction:``: everything written in the block becomes one commit (per branch
written) when it ends, and nothing when it raises."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING

from fsspec.transaction import Transaction

from sapwood import Commit, SapwoodError
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

    A ``with fs.transaction:`` inside another (a helper that makes its own) joins the
    outer one: everything becomes the outer block's commit. If an inner block raised and
    the outer block went on regardless, the outer end commits nothing and raises.
    """

    def __init__(self, fs: SapwoodFileSystem, **kwargs: object) -> None:
        super().__init__(fs, **kwargs)
        self.staging = Staging(fs.repository)
        self.message = DEFAULT_MESSAGE
        self.metadata: Mapping[str, str] | None = None
        self.commits: list[Commit] = []
        self._depth = 0
        self._inner_failure: BaseException | None = None

    def __enter__(self) -> SapwoodTransaction:
        if self._depth:
            self._depth += 1
            return self
        entered = super().__enter__()
        self._depth = 1
        self._inner_failure = None
        return entered  # type: ignore[no-any-return]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth:
            if exc_val is not None and self._inner_failure is None:
                self._inner_failure = exc_val
            return
        failure, self._inner_failure = self._inner_failure, None
        if failure is not None and exc_type is None:
            super().__exit__(RuntimeError, None, None)  # discards what was staged
            raise SapwoodError(
                "nothing was committed: a nested `with fs.transaction:` block failed "
                f"({type(failure).__name__}: {failure}), and the transaction it joined "
                "makes one commit of everything or none"
            ) from failure
        super().__exit__(exc_type, exc_val, exc_tb)

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
