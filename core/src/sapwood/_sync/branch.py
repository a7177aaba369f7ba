"""Branch: a movable name for a commit, with changes staged in this process (sync twin of
:class:`sapwood.aio.AsyncBranch`)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Literal, overload

from sapwood import _loop
from sapwood._sync.files import ObjectReader, ObjectWriter, TextReader, file_twin, opener
from sapwood._sync.importer import ImportManager
from sapwood._sync.reference import Reference, ref_arg
from sapwood._sync.session import Session
from sapwood._sync.transaction import Transaction
from sapwood.aio.branch import AsyncBranch
from sapwood.aio.folders import FolderSummary
from sapwood.aio.reference import RefLike
from sapwood.aio.session import UploadData
from sapwood.models import Change, Commit, ObjectInfo
from sapwood.progress import ProgressOption

__all__ = ["Branch"]


class Branch(Reference):
    """A branch: reads follow its head (plus what is staged here); writes are staged in
    this process until :meth:`commit_changes`.

    ``repo.branch(name)`` returns one handle per repository, so every part of a program
    stages into the same change set. For an isolated unit of work that commits or rolls
    back as a whole, use :meth:`transaction`.

    Reads always show the branch's current head with the staged changes on top: a commit
    made meanwhile by a transaction, an import or another handle is visible at once, and
    a staged path hides that commit's version of the same path. Staged changes keep their
    own base (:meth:`list_uncommitted` compares against it), so :meth:`commit_changes`
    rebases them onto the head and still reports a path both sides changed as a conflict.
    """

    aio: AsyncBranch

    def resolve(self) -> bytes:
        """The raw id of the branch's head (RefNotFoundError, listing branches, if none)."""
        return _loop.run(self.aio.resolve())

    def reader(self) -> Session:
        """The session reads go through: a read-only session at the branch's current head,
        with what is staged here laid over it."""
        return Session.wrap(_loop.run(self.aio.reader()))

    # -- lifecycle --------------------------------------------------------------------------

    def create(self, source_reference: RefLike = "main", exist_ok: bool = False) -> Branch:
        """Create the branch at the commit ``source_reference`` names; RefExistsError if it
        exists (unless ``exist_ok``). Returns this branch, so
        ``repo.branch("dev").create("main")`` reads well."""
        return Branch.wrap(_loop.run(self.aio.create(ref_arg(source_reference), exist_ok)))

    def delete(self) -> None:
        """Delete the branch (and drop what is staged on it)."""
        _loop.run(self.aio.delete())

    def head(self) -> Reference:
        """A reference to the commit the branch points at now (it stays on that commit)."""
        return Reference.wrap(_loop.run(self.aio.head()))

    # -- staged writes ----------------------------------------------------------------------

    def upload(
        self,
        data: UploadData,
        path: str,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        """Stage ``data`` (bytes, str, or a binary or text file object) at ``path``; its
        info. The content type is guessed from the path when not given."""
        return _loop.run(self.aio.upload(data, path, content_type, metadata))

    @overload
    def open(
        self, path: str, mode: Literal["rb"] = "rb", *, encoding: str = ...
    ) -> ObjectReader: ...

    @overload
    def open(self, path: str, mode: Literal["r"], *, encoding: str = ...) -> TextReader: ...

    @overload
    def open(
        self,
        path: str,
        mode: Literal["wb", "w"],
        *,
        encoding: str = ...,
        content_type: str | None = ...,
        metadata: Mapping[str, str] | None = ...,
    ) -> ObjectWriter: ...

    def open(
        self,
        path: str,
        mode: Literal["rb", "r", "wb", "w"] = "rb",
        *,
        encoding: str = "utf-8",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectReader | TextReader | ObjectWriter:
        """A reader (``"rb"``, ``"r"``) or a streaming writer (``"wb"``, ``"w"``) that
        stages the object when closed; use it in a ``with`` block."""
        return file_twin(
            _loop.run(
                opener(self.aio.open)(
                    path, mode, encoding=encoding, content_type=content_type, metadata=metadata
                )
            )
        )

    def delete_objects(self, paths: str | Iterable[str]) -> None:
        """Stage the deletion of ``paths``."""
        _loop.run(self.aio.delete_objects(paths))

    def copy_object(
        self, from_reference: RefLike, from_path: str, to_path: str | None = None
    ) -> ObjectInfo:
        """Stage a copy of ``from_path`` at ``from_reference`` (this branch itself reads
        what is staged) to ``to_path``; no bytes are copied."""
        return _loop.run(self.aio.copy_object(ref_arg(from_reference), from_path, to_path))

    def list_uncommitted(
        self, max_amount: int | None = None, after: str = "", prefix: str = ""
    ) -> Iterator[Change]:
        """What is staged on this branch, in path order."""
        return _loop.iterate(self.aio.list_uncommitted(max_amount, after, prefix))

    def commit_changes(self, message: str, metadata: Mapping[str, str] | None = None) -> Commit:
        """Commit what is staged (rebasing onto the head if it moved); the new commit."""
        return _loop.run(self.aio.commit_changes(message, metadata))

    def reset(self, path: str | None = None) -> None:
        """Drop staged changes: all, or those at ``path`` or under ``path/``."""
        _loop.run(self.aio.reset(path))

    def transaction(
        self, commit_message: str, metadata: Mapping[str, str] | None = None
    ) -> Transaction:
        """``with branch.transaction(msg) as tx:`` stage on ``tx`` (a session of its own);
        committed when the block ends (rebased onto the head if the branch moved and no
        path collides), discarded if it raises."""
        return Transaction.wrap(self.aio.transaction(commit_message, metadata))

    def import_from(
        self,
        uri: str,
        destination: str,
        commit_message: str,
        metadata: Mapping[str, str] | None = None,
    ) -> ImportManager:
        """An import of every object under ``uri`` (``s3://bucket/raw``, ``file:///data``,
        or a scheme an importer plugin handles) to ``destination`` on this branch, as one
        commit; ``.run()`` does it (add sources with ``.prefix()`` first)."""
        return ImportManager.wrap(self.aio.import_from(uri, destination, commit_message, metadata))

    def upload_folder(
        self,
        local_path: str | os.PathLike[str],
        prefix: str = "",
        *,
        delete: bool = False,
        progress: ProgressOption = None,
    ) -> FolderSummary:
        """Stage every file under ``local_path`` at ``prefix`` + its relative path (many
        in flight, unchanged files skipped); with ``delete``, also stage the removal of
        objects under ``prefix`` the folder lacks. Commit with :meth:`commit_changes`."""
        return _loop.run(
            self.aio.upload_folder(local_path, prefix, delete=delete, progress=progress)
        )

    # -- history edits ----------------------------------------------------------------------

    def revert(self, reference: RefLike) -> Commit:
        """A new commit undoing what ``reference``'s commit changed (against its first
        parent); ConflictError if later commits changed the same paths."""
        return _loop.run(self.aio.revert(ref_arg(reference)))

    def cherry_pick(self, reference: RefLike) -> Commit:
        """A new commit repeating what ``reference``'s commit changed (against its first
        parent) on this branch; ConflictError if this branch changed the same paths."""
        return _loop.run(self.aio.cherry_pick(ref_arg(reference)))

    def reset_to(self, reference: RefLike) -> None:
        """Move the branch to the commit ``reference`` names (refused while changes are
        staged here)."""
        _loop.run(self.aio.reset_to(ref_arg(reference)))
