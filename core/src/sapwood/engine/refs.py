"""Refs: branches that move atomically, and tags that never move.

How a branch moves depends on what the store can do, decided once when the repository is
created and recorded in ``config.json``:

- ``cas``: one ref file per branch, replaced with ``Update(etag)`` (compare-and-swap), so of
  two writers racing from the same head exactly one wins and the other rebases.
- ``sequence``: for stores without conditional update, each move writes the next numbered
  file create-only; the newest number is the branch (numbers are inverted in the key, so it
  lists first). Two writers racing for the same number: one create fails.
- ``overwrite``: stores with neither; writes are refused unless ``unsafe_overwrite_refs``
  is set, because concurrent writers can then lose commits.

Tags are written create-only. Deleting one leaves a tombstone, so a tag name always means
the one commit it first named.

Reads that follow a branch (``branch.download`` and the like) use :meth:`RefStore.recent_branch`:
the head this store last read or wrote, if that was less than ``head_max_age`` seconds ago
and no branch was moved in this process since (:mod:`sapwood.engine.head_moves`), so a loop
of reads costs one ref read per interval rather than one per call. Moves made by any
repository handle of this process are seen at once; moves by other processes within that
bound. Commits, merges and resets always read the ref afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sapwood.engine.format import RefMode, RefPointer, decode_document, encode_document
from sapwood.engine.head_moves import HEAD_MOVES
from sapwood.engine.keys import (
    BRANCHES,
    POINTER_FILE,
    TAGS,
    TOMBSTONE_FILE,
    branch_dir,
    branch_pointer_key,
    branch_sequence_key,
    branch_tombstone_key,
    decode_ref_name,
    encode_ref_name,
    sequence_number,
    tag_pointer_key,
    tag_tombstone_key,
)
from sapwood.engine.listing import list_objects, take
from sapwood.errors import (
    AlreadyExistsError,
    ConfigError,
    NotFoundError,
    PreconditionFailedError,
    RefExistsError,
    RefNotFoundError,
    StorageError,
)
from sapwood.layer import ObjectLayer
from sapwood.storage import Capabilities, ObjectMeta, PutMode, Update

__all__ = [
    "BranchState",
    "RefStore",
    "UnsafeRefsWarning",
    "choose_ref_mode",
    "effective_ref_mode",
]

SHOW_NAMES: Final = 10


class UnsafeRefsWarning(UserWarning):
    """Refs are being overwritten without any protection against concurrent writers."""


_UNSAFE_HINT: Final = (
    "set RepositoryConfig(unsafe_overwrite_refs=True) to accept that concurrent writers may "
    "lose commits, or use a store that supports conditional writes"
)


def choose_ref_mode(capabilities: Capabilities, unsafe_overwrite_refs: bool) -> RefMode:
    """The ref mode for a new repository on a store with ``capabilities``."""
    if capabilities.conditional_create and capabilities.conditional_update:
        return "cas"
    if capabilities.conditional_create:
        return "sequence"
    return effective_ref_mode("overwrite", capabilities, unsafe_overwrite_refs)


def effective_ref_mode(
    stored: RefMode, capabilities: Capabilities, unsafe_overwrite_refs: bool
) -> RefMode:
    """The mode to use for a repository recorded with ``stored`` on this store.

    Raises ConfigError when the store cannot honour it and ``unsafe_overwrite_refs`` is not
    set; warns when falling back to unprotected overwrites.
    """
    possible = {
        "cas": capabilities.conditional_create and capabilities.conditional_update,
        "sequence": capabilities.conditional_create,
        "overwrite": True,
    }
    if stored != "overwrite" and possible[stored]:
        return stored
    if not unsafe_overwrite_refs:
        lacking = (
            "conditional writes" if stored == "overwrite" else f"what ref mode {stored!r} needs"
        )
        raise ConfigError(
            f"this store lacks {lacking} (conditional_create="
            f"{capabilities.conditional_create}, conditional_update="
            f"{capabilities.conditional_update}), so branches cannot be moved safely; "
            + _UNSAFE_HINT,
            field="unsafe_overwrite_refs",
        )
    warnings.warn(
        "refs are overwritten without conditional writes (unsafe_overwrite_refs=True): "
        "two writers committing at once can lose a commit",
        UnsafeRefsWarning,
        stacklevel=3,
    )
    return "overwrite"


@dataclass(frozen=True)
class BranchState:
    """A branch as read: where it points, and what proves nobody moved it since."""

    name: str
    snapshot: bytes
    token: str | int | None


def _pointer(snapshot: bytes) -> bytes:
    return encode_document(RefPointer(snapshot=snapshot.hex()))


def _names_message(kind: str, name: str, names: list[str]) -> str:
    plural = f"{kind}es" if kind == "branch" else f"{kind}s"
    if not names:
        return f"{kind} {name!r} does not exist; there are no {plural}"
    if len(names) <= SHOW_NAMES:
        return f"{kind} {name!r} does not exist; existing {plural}: {', '.join(names)}"
    return f"{kind} {name!r} does not exist ({len(names)} {plural} exist; list them to choose)"


class RefStore:
    """Branches and tags of one repository, in the given ref mode."""

    def __init__(
        self,
        layer: ObjectLayer,
        mode: RefMode,
        *,
        head_max_age: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.layer = layer
        self.mode = mode
        self.head_max_age = head_max_age
        self._clock = clock
        # name -> (when seen, HEAD_MOVES.latest when seen, state)
        self._heads: dict[str, tuple[float, int, BranchState | None]] = {}

    # -- the remembered heads ---------------------------------------------------------------

    def _remember(
        self, name: str, state: BranchState | None, seen_at: float, moves_seen: int
    ) -> None:
        """Keep ``state`` as the head seen at ``seen_at`` (when the process had made
        ``moves_seen`` branch moves) unless a later sighting is kept."""
        if self.head_max_age <= 0:
            return
        kept = self._heads.get(name)
        if kept is None or kept[0] <= seen_at:
            self._heads[name] = (seen_at, moves_seen, state)

    def _remember_move(self, name: str, state: BranchState) -> None:
        """Record a move this store made: other handles of the process stop trusting the
        heads they remember, and this store remembers where it put the branch."""
        self._remember(name, state, self._clock(), HEAD_MOVES.note())

    def _forget(self, name: str) -> None:
        self._heads.pop(name, None)

    async def recent_branch(self, name: str) -> BranchState:
        """The branch's state as this store last saw it, if within ``head_max_age`` seconds,
        else read afresh (see the module's docstring for the bound); RefNotFoundError if
        the branch is absent."""
        if self.head_max_age > 0:
            kept = self._heads.get(name)
            if (
                kept is not None
                and kept[2] is not None
                and kept[1] == HEAD_MOVES.latest
                and self._clock() - kept[0] < self.head_max_age
            ):
                return kept[2]
        return await self.read_branch(name)

    # -- branches ---------------------------------------------------------------------------

    async def _not_found(self, name: str) -> RefNotFoundError:
        names = await self.branch_names()
        return RefNotFoundError(_names_message("branch", name, names))

    async def read_branch(self, name: str) -> BranchState:
        """The branch's current state; RefNotFoundError (listing branches) if it is absent."""
        state = await self.find_branch(name)
        if state is None:
            raise await self._not_found(name)
        return state

    async def find_branch(self, name: str) -> BranchState | None:
        """The branch's current state, or None."""
        seen_at, moves_seen = self._clock(), HEAD_MOVES.latest
        state = await self._find_branch(name)
        self._remember(name, state, seen_at, moves_seen)
        return state

    async def _find_branch(self, name: str) -> BranchState | None:
        if self.mode == "sequence":
            return await self._read_sequence(name)
        key = branch_pointer_key(name)
        try:
            data, meta = await self.layer.get_with_meta(key)
        except NotFoundError:
            return None
        what = f"branch ref {key}"
        pointer = decode_document(data, RefPointer, what)
        if pointer.deleted:
            return None
        if self.mode == "cas" and not meta.etag:
            raise StorageError(
                f"the store returned no etag for {key}; compare-and-swap needs one", key=key
            )
        return BranchState(name, pointer.snapshot_id(what), meta.etag)

    async def _newest_sequence(self, name: str) -> tuple[int, RefPointer] | None:
        newest = await take(self.layer, branch_dir(name), 1)
        if not newest:
            return None
        key = newest[0].key
        number = sequence_number(key)
        if number is None:
            raise StorageError(f"unexpected ref file {key} in a sequence-mode repository", key=key)
        data = await self.layer.get(key)
        return number, decode_document(data, RefPointer, f"branch ref {key}")

    async def _read_sequence(self, name: str) -> BranchState | None:
        found = await self._newest_sequence(name)
        if found is None or found[1].deleted:
            return None
        number, pointer = found
        return BranchState(
            name, pointer.snapshot_id(f"branch {name!r} (ref file {number})"), number
        )

    async def create_branch(self, name: str, snapshot: bytes) -> BranchState:
        """Create the branch at ``snapshot``; RefExistsError if it exists."""
        self._forget(name)
        state = await self._create_branch(name, snapshot)
        self._remember_move(name, state)
        return state

    async def _create_branch(self, name: str, snapshot: bytes) -> BranchState:
        exists = RefExistsError(
            f"branch {name!r} already exists; pass exist_ok=True to reuse it, or delete it first"
        )
        if self.mode == "sequence":
            found = await self._newest_sequence(name)
            if found is not None and not found[1].deleted:
                raise exists
            number = 0 if found is None else found[0] + 1
            try:
                await self.layer.put(
                    branch_sequence_key(name, number),
                    _pointer(snapshot),
                    mode="create",
                )
            except AlreadyExistsError:
                raise exists from None
            return BranchState(name, snapshot, number)
        key = branch_pointer_key(name)
        if self.mode == "overwrite":
            if await self.find_branch(name) is not None:
                raise exists
            meta = await self.layer.put(key, _pointer(snapshot))
            return BranchState(name, snapshot, meta.etag)
        try:
            meta = await self.layer.put(key, _pointer(snapshot), mode="create")
        except AlreadyExistsError:
            raise exists from None
        return BranchState(name, snapshot, meta.etag)

    async def update_branch(self, state: BranchState, snapshot: bytes) -> BranchState:
        """Move the branch from ``state`` to ``snapshot``.

        Raises PreconditionFailedError if the branch moved since ``state`` was read (the
        caller rebases and tries again), RefNotFoundError if it was deleted.
        """
        self._forget(state.name)
        moved = await self._update_branch(state, snapshot)
        self._remember_move(state.name, moved)
        return moved

    async def _update_branch(self, state: BranchState, snapshot: bytes) -> BranchState:
        name = state.name
        if self.mode == "sequence":
            assert isinstance(state.token, int)
            number = state.token + 1
            await self.layer.put(
                branch_sequence_key(name, number),
                _pointer(snapshot),
                mode="create",
            )
            return BranchState(name, snapshot, number)
        key = branch_pointer_key(name)
        mode: PutMode = "overwrite"
        if self.mode == "cas":
            assert isinstance(state.token, str)
            mode = Update(state.token)
        try:
            meta = await self.layer.put(key, _pointer(snapshot), mode=mode)
        except NotFoundError:
            raise RefNotFoundError(
                f"branch {name!r} was deleted while a commit to it was being made"
            ) from None
        return BranchState(name, snapshot, meta.etag)

    async def delete_branch(self, name: str) -> None:
        """Delete the branch; RefNotFoundError if it does not exist."""
        self._forget(name)
        try:
            await self._delete_branch(name)
        finally:
            self._forget(name)
            HEAD_MOVES.note()

    async def _delete_branch(self, name: str) -> None:
        state = await self.read_branch(name)
        if self.mode == "sequence":
            assert isinstance(state.token, int)
            try:
                await self.layer.put(
                    branch_sequence_key(name, state.token + 1),
                    encode_document(RefPointer(deleted=True)),
                    mode="create",
                )
            except PreconditionFailedError:
                raise RefExistsError(
                    f"branch {name!r} moved while being deleted; try again"
                ) from None
            return
        # The tombstone records that the name was a branch, so the name never silently
        # turns into a commit-id prefix afterwards (see :meth:`was_deleted`); a branch
        # created again under the name takes precedence over it.
        await self.layer.put(branch_tombstone_key(name), encode_document(RefPointer(deleted=True)))
        await self.layer.delete(branch_pointer_key(name))

    async def was_deleted(self, name: str) -> str | None:
        """``"branch"`` or ``"tag"`` if a ref of that name existed and was deleted (and
        none of the name exists now), else None."""
        if self.mode == "sequence":
            found = await self._newest_sequence(name)
            if found is not None and found[1].deleted:
                return "branch"
        elif (
            await self._exists(branch_tombstone_key(name)) and await self.find_branch(name) is None
        ):
            return "branch"
        if await self._exists(tag_tombstone_key(name)):
            return "tag"
        return None

    async def branch_names(self, prefix: str = "") -> list[str]:
        """Names of existing branches starting with ``prefix``, sorted."""
        heads = await self._branch_listing(prefix)
        return sorted(heads)

    async def _branch_listing(self, prefix: str) -> dict[str, str]:
        metas = await list_objects(self.layer, BRANCHES + encode_ref_name(prefix))
        if self.mode != "sequence":
            return {
                decode_ref_name(meta.key[len(BRANCHES) : -len(POINTER_FILE) - 1]): meta.key
                for meta in metas
                if meta.key.endswith("/" + POINTER_FILE)
            }
        newest: dict[str, str] = {}
        for meta in metas:
            folder, _, _ = meta.key[len(BRANCHES) :].rpartition("/")
            if sequence_number(meta.key) is not None and folder not in newest:
                newest[folder] = meta.key
        pointers = await asyncio.gather(*(self.layer.get(key) for key in newest.values()))
        return {
            decode_ref_name(folder): key
            for (folder, key), data in zip(newest.items(), pointers, strict=True)
            if not decode_document(data, RefPointer, f"branch ref {key}").deleted
        }

    async def branch_heads(self) -> dict[str, bytes]:
        """Every branch and the snapshot it points at."""
        names = await self.branch_names()
        states = await asyncio.gather(*(self.find_branch(name) for name in names))
        return {state.name: state.snapshot for state in states if state is not None}

    async def sequence_files(self) -> dict[str, list[ObjectMeta]]:
        """Sequence mode: each branch folder's ref files, newest first (for garbage
        collection)."""
        folders: dict[str, list[ObjectMeta]] = {}
        for meta in await list_objects(self.layer, BRANCHES):
            if sequence_number(meta.key) is None:
                continue
            folder = meta.key[len(BRANCHES) :].rpartition("/")[0]
            folders.setdefault(folder, []).append(meta)
        return folders

    # -- tags -------------------------------------------------------------------------------

    async def read_tag(self, name: str) -> bytes:
        """The snapshot a tag names; RefNotFoundError if it never existed or was deleted."""
        found = await self.find_tag(name)
        if found is None:
            raise RefNotFoundError(_names_message("tag", name, await self.tag_names()))
        return found

    async def find_tag(self, name: str) -> bytes | None:
        """The snapshot a tag names, or None."""
        pointer_read = self.layer.get(tag_pointer_key(name))
        tombstone = self._exists(tag_tombstone_key(name))
        results = await asyncio.gather(pointer_read, tombstone, return_exceptions=True)
        data, deleted = results
        if isinstance(deleted, BaseException):
            raise deleted
        if deleted or isinstance(data, NotFoundError):
            return None
        if isinstance(data, BaseException):
            raise data
        what = f"tag ref {tag_pointer_key(name)}"
        return decode_document(data, RefPointer, what).snapshot_id(what)

    async def tag_name_taken(self, name: str) -> bool:
        """True if a tag named ``name`` exists or once existed (names are never reused)."""
        return await self._exists(tag_pointer_key(name)) or await self._exists(
            tag_tombstone_key(name)
        )

    async def _exists(self, key: str) -> bool:
        try:
            await self.layer.head(key)
        except NotFoundError:
            return False
        return True

    async def create_tag(self, name: str, snapshot: bytes) -> None:
        """Create a tag; RefExistsError if the name is taken or was ever deleted."""
        if await self._exists(tag_tombstone_key(name)):
            raise RefExistsError(
                f"tag {name!r} was deleted and tag names are never reused (so a name always "
                "means one commit); choose another name"
            )
        taken = RefExistsError(f"tag {name!r} already exists; tags never move")
        key = tag_pointer_key(name)
        if self.mode == "overwrite":
            if await self._exists(key):
                raise taken
            await self.layer.put(key, _pointer(snapshot))
            return
        try:
            await self.layer.put(key, _pointer(snapshot), mode="create")
        except AlreadyExistsError:
            raise taken from None

    async def delete_tag(self, name: str) -> None:
        """Delete a tag, leaving a tombstone; RefNotFoundError if it does not exist."""
        await self.read_tag(name)
        mode: PutMode = "overwrite" if self.mode == "overwrite" else "create"
        with contextlib.suppress(AlreadyExistsError):
            await self.layer.put(
                tag_tombstone_key(name),
                encode_document(RefPointer(deleted=True)),
                mode=mode,
            )
        await self.layer.delete(tag_pointer_key(name))

    async def tag_names(self, prefix: str = "") -> list[str]:
        """Names of existing tags starting with ``prefix``, sorted."""
        live: set[str] = set()
        dead: set[str] = set()
        for meta in await list_objects(self.layer, TAGS + encode_ref_name(prefix)):
            folder, _, file = meta.key[len(TAGS) :].rpartition("/")
            if file == POINTER_FILE:
                live.add(folder)
            elif file == TOMBSTONE_FILE:
                dead.add(folder)
        return sorted(decode_ref_name(folder) for folder in live - dead)

    async def tag_heads(self) -> dict[str, bytes]:
        """Every tag and the snapshot it names."""
        names = await self.tag_names()
        found = await asyncio.gather(*(self.find_tag(name) for name in names))
        return {name: raw for name, raw in zip(names, found, strict=True) if raw is not None}

    async def all_heads(self) -> list[bytes]:
        """The snapshots every branch and tag points at."""
        branches, tags = await asyncio.gather(self.branch_heads(), self.tag_heads())
        return [*branches.values(), *tags.values()]
