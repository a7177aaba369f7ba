"""Branch: a movable name for a commit, with changes staged in this process (sync twin of
:class:`sapwood.aio.AsyncBranch`)."""

from __future__ import annotations

from sapwood._sync._bind import awaited, called, iterated
from sapwood._sync._convert import (
    as_branch,
    as_import_manager,
    as_reference,
    as_session,
    as_transaction,
)
from sapwood._sync.reference import Reference
from sapwood._sync.writable_open import OpensForWriting
from sapwood.aio.branch import AsyncBranch

__all__ = ["Branch"]


class Branch(OpensForWriting, Reference):
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

    resolve = awaited(AsyncBranch.resolve)
    reader = awaited(AsyncBranch.reader, as_session)

    # -- lifecycle --------------------------------------------------------------------------

    create = awaited(AsyncBranch.create, as_branch)
    delete = awaited(AsyncBranch.delete)
    head = awaited(AsyncBranch.head, as_reference)

    # -- staged writes ----------------------------------------------------------------------

    upload = awaited(AsyncBranch.upload)
    delete_objects = awaited(AsyncBranch.delete_objects)
    copy_object = awaited(AsyncBranch.copy_object)
    list_uncommitted = iterated(AsyncBranch.list_uncommitted)
    commit_changes = awaited(AsyncBranch.commit_changes)
    reset = awaited(AsyncBranch.reset)
    transaction = called(AsyncBranch.transaction, as_transaction)
    import_from = called(AsyncBranch.import_from, as_import_manager)

    # -- history edits ----------------------------------------------------------------------

    revert = awaited(AsyncBranch.revert)
    cherry_pick = awaited(AsyncBranch.cherry_pick)
    reset_to = awaited(AsyncBranch.reset_to)
    upload_folder = awaited(AsyncBranch.upload_folder)

    # -- written out: overloads by mode -----------------------------------------------------
