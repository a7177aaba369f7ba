"""The blocking half of the local backend: one folder, plain files, atomic writes.

Layout under the root folder::

    <root>/<key>                          the object's bytes, exactly
    <root>/.sapwood-local/meta/xx/<hash>  its sidecar (etag, content type, metadata)
    <root>/.sapwood-local/locks/<stripe>  flock files, shared by keys hashing alike
    <root>/.sapwood-local/tmp/<name>      data being written, moved into place when done

A write fills a temporary file (fsynced, or for deferred writes noted for the group fsync of
:mod:`sapwood_local.durability`), then, holding the key's lock, checks its
condition, replaces the sidecar and finally moves the data into place with ``os.replace``,
so a reader sees the old or the new object, never a torn one. Every method here blocks;
:class:`~sapwood_local.storage.LocalStorage` runs them in worker threads, or inline where
they only touch the page cache.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import itertools
import os
import secrets
import stat
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime

from sapwood.errors import (
    AlreadyExistsError,
    NotFoundError,
    PreconditionFailedError,
    SapwoodError,
    StorageError,
)
from sapwood.storage import (
    ByteRange,
    ObjectMeta,
    PutMode,
    Update,
    clip_range,
    durability_deferred,
    writes_content_addressed,
)
from sapwood_local import durability
from sapwood_local.locks import key_lock
from sapwood_local.oserrors import translate
from sapwood_local.paths import RESERVED, check_no_escape, key_segments
from sapwood_local.sidecar import (
    Identity,
    Sidecar,
    content_digest,
    decode_sidecar,
    encode_sidecar,
    identity_of,
    stat_etag,
)

__all__ = ["LocalFolder", "key_hash"]

_READ_FLAGS = os.O_RDONLY | os.O_CLOEXEC
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC


def key_hash(key: str) -> str:
    """A stable hex digest of ``key``, naming its sidecar and lock stripe."""
    return hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


_time_lock = threading.Lock()
_last_time_ns = 0


def _unique_time_ns() -> int:
    """The current time in nanoseconds, strictly increasing within the process, so two
    versions of a file never share a modification time (which is part of their etag)."""
    global _last_time_ns
    with _time_lock:
        _last_time_ns = max(time.time_ns(), _last_time_ns + 1)
        return _last_time_ns


_staging_prefix = ""
_staging_count = itertools.count()


def _new_staging_prefix() -> None:
    global _staging_prefix, _staging_count
    _staging_prefix = f"ca.{os.getpid()}.{secrets.token_hex(4)}"
    _staging_count = itertools.count()


_new_staging_prefix()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_staging_prefix)


def _staging_name() -> str:
    """A temporary file name no other writer uses: this process's id and a random tag
    (made once, and again in a forked child), and a count (two system calls fewer per
    write than asking for both each time)."""
    return f"{_staging_prefix}.{next(_staging_count)}"


def _stat_or_none(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _timestamp(identity: Identity) -> datetime:
    return datetime.fromtimestamp(identity.mtime_ns / 1e9, tz=UTC)


class LocalFolder:
    """Objects stored as files under ``root`` (an absolute path)."""

    def __init__(self, root: str, *, fsync: bool = True) -> None:
        self.root = root
        self.fsync = fsync
        internal = os.path.join(root, RESERVED)
        self._meta_dir = os.path.join(internal, "meta")
        self._lock_dir = os.path.join(internal, "locks")
        self._tmp_dir = os.path.join(internal, "tmp")
        self._internal = internal
        self._real_root: str | None = None
        self._ready = False
        self._internal_checked = False

    # paths -----------------------------------------------------------------------------

    def real_root(self) -> str | None:
        """The root with symbolic links resolved, or None while it does not exist."""
        if self._real_root is None and os.path.isdir(self.root):
            self._real_root = os.path.realpath(self.root)
        return self._real_root

    def path_of(self, key: str, *, renamed_onto: bool = False) -> str:
        """The data file of ``key``, refusing keys that would leave the root (through
        its folders only, with ``renamed_onto``: for a caller that only renames a file
        onto the path, which replaces a link there instead of following it)."""
        segments = key_segments(key)
        real_root = self.real_root()
        if real_root is None:
            return os.path.join(self.root, *segments)
        return check_no_escape(self.root, real_root, segments, key, folders_only=renamed_onto)

    def _sidecar_path(self, digest: str) -> str:
        return os.path.join(self._meta_dir, digest[:2], digest)

    def _missing(self, key: str) -> NotFoundError:
        where = (
            self.root if os.path.isdir(self.root) else f"{self.root} (the folder does not exist)"
        )
        return NotFoundError(f"no object {key!r} in local store {where!r}", key=key)

    def prepare(self) -> None:
        """Create the root (if its parent exists) and the hidden folders, or say why not."""
        if self._ready:
            return
        if not os.path.isdir(self.root):
            try:
                os.mkdir(self.root)
            except FileExistsError:
                if not os.path.isdir(self.root):
                    raise StorageError(
                        f"the local store's folder {self.root!r} is a file, not a folder; "
                        "choose another path"
                    ) from None
            except (FileNotFoundError, NotADirectoryError):
                parent = os.path.dirname(self.root)
                raise StorageError(
                    f"the local store's folder {self.root!r} does not exist, and neither does "
                    f"its parent {parent!r}; create it first or fix the path"
                ) from None
            except OSError as exc:
                raise translate(exc, "create the store folder", self.root) from None
        self._internal_checked = False
        self._check_internal(create=True)
        self._real_root = None
        self.real_root()
        self._ready = True

    def _check_internal(self, *, create: bool = False) -> None:
        """Refuse internal folders that are symbolic links (or not folders): writing
        through one would write outside the store's folder. With ``create``, make the
        missing ones, one level at a time so none is made through a link."""
        if self._internal_checked:
            return
        for folder in (self._internal, self._meta_dir, self._lock_dir, self._tmp_dir):
            if create:
                try:
                    os.mkdir(folder)
                except FileExistsError:
                    pass
                except OSError as exc:
                    raise translate(exc, "create the folder", folder) from None
            self._refuse_link(folder)
        self._internal_checked = True

    def _refuse_link(self, folder: str) -> None:
        try:
            info = os.lstat(folder)
        except (FileNotFoundError, NotADirectoryError):
            return
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
            raise StorageError(
                f"{folder!r} is a symbolic link or not a folder: the local backend keeps its "
                "metadata, locks and temporary files there and never writes outside the "
                f"store's folder {self.root!r}; replace it with a plain folder"
            )

    # sidecars --------------------------------------------------------------------------

    def _load_sidecar(self, digest: str) -> Sidecar | None:
        try:
            fd = os.open(self._sidecar_path(digest), _READ_FLAGS)
        except (FileNotFoundError, NotADirectoryError):
            return None
        try:
            raw = os.read(fd, 1 << 20)
        finally:
            os.close(fd)
        return decode_sidecar(raw)

    def _store_sidecar(self, digest: str, sidecar: Sidecar, *, sync: bool = True) -> None:
        self._check_internal()
        target = self._sidecar_path(digest)
        self._refuse_link(os.path.dirname(target))
        staged = os.path.join(self._tmp_dir, f"{digest}.meta.{secrets.token_hex(6)}")
        self._write_file(staged, encode_sidecar(sidecar), sync=sync)
        try:
            os.replace(staged, target)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(staged, target)

    def _drop_sidecar(self, digest: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._sidecar_path(digest))

    # reading ---------------------------------------------------------------------------

    def _open(self, key: str, path: str) -> tuple[int, os.stat_result]:
        try:
            fd = os.open(path, _READ_FLAGS)
        except (FileNotFoundError, NotADirectoryError):
            raise self._missing(key) from None
        except OSError as exc:
            raise translate(exc, "read", path, key) from None
        try:
            info = os.fstat(fd)
        except BaseException:
            os.close(fd)
            raise
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise self._missing(key)
        return fd, info

    @staticmethod
    def _read(fd: int, size: int, byte_range: ByteRange | None) -> bytes:
        start, stop = clip_range(byte_range, size)
        wanted = stop - start
        if wanted <= 0:
            return b""
        data = os.pread(fd, wanted, start)
        if len(data) == wanted:
            return data
        parts = [data]
        got = len(data)
        while got < wanted:
            more = os.pread(fd, wanted - got, start + got)
            if not more:
                break
            parts.append(more)
            got += len(more)
        return b"".join(parts)

    def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        """The object's bytes; replacing writes never tear what an open file shows."""
        path = self.path_of(key)
        fd, info = self._open(key, path)
        try:
            return self._read(fd, info.st_size, byte_range)
        finally:
            os.close(fd)

    def read_version(
        self, key: str, byte_range: ByteRange | None, *, with_data: bool
    ) -> tuple[bytes, ObjectMeta]:
        """Bytes (if ``with_data``) and metadata of one and the same version."""
        path = self.path_of(key)
        digest = key_hash(key)
        fd, info = self._open(key, path)
        try:
            identity = identity_of(info)
            sidecar = self._load_sidecar(digest)
            if sidecar is None or sidecar.identity == identity:
                # No sidecar: a file another tool wrote. A sapwood writer replaces the
                # sidecar before the data, so this data file has none either.
                data = self._read(fd, info.st_size, byte_range) if with_data else b""
                return data, self._meta(key, identity, sidecar)
        finally:
            os.close(fd)
        # A writer is between its two renames, or the folder was copied or edited by hand:
        # look again while holding the key's lock, which no writer holds at that moment.
        with self._lock_if_possible(digest):
            _, settled = self._settle(key, digest, path)
            fd, info = self._open(key, path)
            try:
                identity = identity_of(info)
                data = self._read(fd, info.st_size, byte_range) if with_data else b""
                return data, self._meta(key, identity, settled)
            finally:
                os.close(fd)

    def head(self, key: str) -> ObjectMeta:
        """The object's metadata."""
        return self.read_version(key, None, with_data=False)[1]

    def listed_meta(self, key: str, path: str) -> ObjectMeta | None:
        """Metadata for a listed file, or None if it vanished meanwhile."""
        try:
            info = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        identity = identity_of(info)
        sidecar = self._load_sidecar(key_hash(key))
        if sidecar is None or sidecar.identity == identity:
            return self._meta(key, identity, sidecar)
        try:
            return self.head(key)
        except NotFoundError:
            return None

    @staticmethod
    def _meta(key: str, identity: Identity, sidecar: Sidecar | None) -> ObjectMeta:
        if sidecar is None or not sidecar.identity.same_content(identity):
            return ObjectMeta(
                key=key,
                size=identity.size,
                etag=stat_etag(identity),
                last_modified=_timestamp(identity),
            )
        return ObjectMeta(
            key=key,
            size=identity.size,
            etag=sidecar.etag,
            last_modified=_timestamp(identity),
            content_type=sidecar.content_type,
            metadata=dict(sidecar.metadata),
        )

    @contextlib.contextmanager
    def _lock_if_possible(self, digest: str) -> Iterator[None]:
        """The key's lock, or nothing on a folder this process may not write to (no
        writer from this process can race it then, and readers need no lock)."""
        self._check_internal()
        try:
            lock = key_lock(self._lock_dir, digest)
            lock.__enter__()
        except OSError:
            yield
            return
        try:
            yield
        finally:
            lock.__exit__(None, None, None)

    def _settle(
        self, key: str, digest: str, path: str
    ) -> tuple[os.stat_result | None, Sidecar | None]:
        """With the key's lock held, the data file's stat (None: no object) and the sidecar
        that describes it (None: none does).

        Finishes a write whose writer died between its two renames, and refreshes a sidecar
        whose data file was copied (same size and time, new inode).
        """
        sidecar = self._load_sidecar(digest)
        info = _stat_or_none(path)
        if sidecar is None:
            return info, None
        if info is not None and identity_of(info) == sidecar.identity:
            return info, sidecar
        if sidecar.pending is not None:
            staged = os.path.join(self._tmp_dir, sidecar.pending)
            staged_info = _stat_or_none(staged)
            if staged_info is not None and identity_of(staged_info) == sidecar.identity:
                with contextlib.suppress(OSError, SapwoodError):
                    self._move_into_place(staged, path, key)
                    return os.stat(path), sidecar
        # A read never deletes a sidecar: one that does not apply is ignored (a write
        # replaces it), so nothing is lost if it applies again once a restore completes.
        if info is None:
            return None, None
        identity = identity_of(info)
        if not self._describes(sidecar, identity, path):
            # Edited by another tool, or rewritten by a writer that died before replacing
            # this sidecar: it no longer applies.
            return info, None
        repaired = Sidecar(
            key=sidecar.key,
            etag=sidecar.etag,
            identity=identity,
            content_type=sidecar.content_type,
            metadata=sidecar.metadata,
            digest=sidecar.digest,
        )
        with contextlib.suppress(OSError):
            self._store_sidecar(digest, repaired)
        return info, repaired

    @staticmethod
    def _describes(sidecar: Sidecar, identity: Identity, path: str) -> bool:
        """Whether ``sidecar`` describes the data file at ``path`` whose identity changed
        (copied, restored from an archive, synced with coarser times)."""
        if sidecar.identity.size != identity.size:
            return False
        if sidecar.digest is None:  # written before sidecars kept a digest
            return sidecar.identity.same_content(identity)
        try:
            with open(path, "rb") as data:
                hasher = hashlib.blake2b(digest_size=16)
                while piece := data.read(1 << 20):
                    hasher.update(piece)
        except OSError:
            return False
        return hasher.hexdigest() == sidecar.digest

    # writing ---------------------------------------------------------------------------

    def _write_file(
        self, path: str, data: bytes, stamp: int | None = None, *, sync: bool = True
    ) -> Identity:
        fd = os.open(path, _WRITE_FLAGS, 0o666)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if stamp is not None:
                os.utime(fd, ns=(stamp, stamp))
            if self.fsync and sync:
                os.fsync(fd)
            return identity_of(os.fstat(fd))
        finally:
            os.close(fd)

    def _sync_folder(self, folder: str) -> None:
        if self.fsync:
            durability.sync_folder(folder)

    def _make_parent(self, key: str, path: str) -> None:
        parent = os.path.dirname(path)
        for _ in range(8):
            try:
                os.makedirs(parent, exist_ok=True)
                return
            except FileNotFoundError:
                continue  # a delete pruned a folder on the way while it was being made
            except (FileExistsError, NotADirectoryError):
                raise self._conflict(key, path) from None
            except OSError as exc:
                raise translate(exc, "create the folder", parent, key) from None
        raise StorageError(f"could not create {parent!r}; try again", retryable=True, key=key)

    def _conflict(self, key: str, path: str) -> StorageError:
        segments = key_segments(key)
        for depth in range(1, len(segments)):
            above = os.path.join(self.root, *segments[:depth])
            if os.path.isfile(above):
                taken = "/".join(segments[:depth])
                return StorageError(
                    f"cannot store {key!r}: {taken!r} is an object, and a local folder cannot "
                    f"hold a file and a folder of the same name ({above!r})",
                    key=key,
                )
        return StorageError(
            f"cannot store {key!r}: {path!r} is a folder holding other objects, and a local "
            "folder cannot hold a file and a folder of the same name",
            key=key,
        )

    def _move_into_place(self, staged: str, path: str, key: str) -> None:
        for _ in range(8):
            try:
                os.replace(staged, path)
                return
            except FileNotFoundError:
                if not os.path.exists(staged):
                    raise
                # A delete pruned the emptied parent folder meanwhile: make it again.
                self._make_parent(key, path)
            except (IsADirectoryError, NotADirectoryError):
                raise self._conflict(key, path) from None
            except OSError as exc:
                if exc.errno in (errno.EISDIR, errno.ENOTEMPTY, errno.EEXIST):
                    raise self._conflict(key, path) from None
                raise
        raise StorageError(f"could not move {key!r} into place; try again", retryable=True, key=key)

    def put(
        self,
        key: str,
        data: bytes,
        mode: PutMode,
        content_type: str | None,
        metadata: Mapping[str, str] | None,
    ) -> ObjectMeta:
        """Store ``data`` as ``mode`` allows, atomically, holding the key's lock (a plain
        overwrite without metadata inside :func:`~sapwood.storage.content_addressed_writes`
        takes none: every writer of such a key stores the same bytes).

        With ``fsync`` on, an unconditional write inside
        :func:`~sapwood.storage.deferred_durability` is fsynced later, together with the
        others (see :mod:`sapwood_local.durability`); any other write first makes those
        durable, then itself."""
        key_segments(key)  # refuse a bad key before creating any folder
        overwrite = mode == "overwrite"
        deferred = self.fsync and overwrite and durability_deferred()
        self.prepare()
        if overwrite and content_type is None and not metadata and writes_content_addressed():
            path = self.path_of(key, renamed_onto=True)
            return self._put_content_addressed(key, path, data, deferred)
        path = self.path_of(key)
        return self._put_coordinated(key, path, data, mode, content_type, metadata, deferred)

    def _put_content_addressed(
        self, key: str, path: str, data: bytes, deferred: bool
    ) -> ObjectMeta:
        """A plain overwrite of an immutable key (see
        :func:`~sapwood.storage.content_addressed_writes`). Every writer stores the same
        bytes without a sidecar, so the rename needs no lock and leaves no old sidecar to
        drop (a reader ignores one that does not match the data file's identity, and one
        that does describes the same bytes), and the file keeps the time it was written
        (a unique time tells two versions of a key apart; here they are the same)."""
        staged = os.path.join(self._tmp_dir, _staging_name())
        moved = False
        try:
            identity = self._write_file(staged, data, sync=False)
            if self.fsync and not deferred:
                durability.flush_pending(also=(staged,))
            self._move_into_place(staged, path, key)
            moved = True
            if deferred:
                durability.remember(self.root, path)
            elif self.fsync:
                durability.sync_folders([os.path.dirname(path)])
        except SapwoodError:
            raise
        except OSError as exc:
            raise translate(exc, "write", path, key) from None
        finally:
            if not moved and os.path.lexists(staged):  # failed: never moved
                with contextlib.suppress(OSError):
                    os.unlink(staged)
        return self._meta(key, identity, None)

    def _put_coordinated(
        self,
        key: str,
        path: str,
        data: bytes,
        mode: PutMode,
        content_type: str | None,
        metadata: Mapping[str, str] | None,
        deferred: bool,
    ) -> ObjectMeta:
        """Any write, under the key's lock."""
        digest = key_hash(key)
        staged_name = f"{digest[:16]}.{os.getpid()}.{secrets.token_hex(6)}"
        staged = os.path.join(self._tmp_dir, staged_name)
        stamp = _unique_time_ns()
        moved = False
        try:
            # The data's fsync waits for the group: that write and the deferred ones it
            # may depend on are fsynced in one round (see sapwood_local.durability).
            identity = self._write_file(staged, data, stamp=stamp, sync=False)
            if self.fsync and not deferred:
                durability.flush_pending(also=(staged,))
            # Without metadata, and where the file system keeps nanosecond times, the data
            # file's identity (inode, size, unique time) is the etag: no sidecar to write.
            sidecar: Sidecar | None = None
            if content_type is not None or metadata or identity.mtime_ns != stamp:
                sidecar = self._new_sidecar(
                    key, data, identity, content_type, metadata, staged_name
                )
            with key_lock(self._lock_dir, digest):
                if mode != "overwrite" or sidecar is not None:
                    # A plain overwrite needs nothing of the current version: it replaces
                    # whatever is there, and a folder there makes the rename fail with a
                    # conflict.
                    info, current = self._settle(key, digest, path)
                    if info is not None and stat.S_ISDIR(info.st_mode):
                        raise self._conflict(key, path)
                    etag = (
                        None if info is None else self._meta(key, identity_of(info), current).etag
                    )
                    self._check_mode(key, mode, etag)
                if sidecar is not None:
                    self._store_sidecar(digest, sidecar, sync=not deferred)
                # Makes the parent folders only if the rename finds them missing.
                self._move_into_place(staged, path, key)
                moved = True
                if sidecar is None:
                    # Any old sidecar, applying or not (a read never deletes one), goes now.
                    self._drop_sidecar(digest)
            if deferred:
                durability.remember(self.root, path)
                if sidecar is not None:
                    durability.remember(self.root, self._sidecar_path(digest))
            elif self.fsync:
                folders = [os.path.dirname(path)]
                if sidecar is not None:
                    folders.append(os.path.dirname(self._sidecar_path(digest)))
                durability.sync_folders(folders)
        except SapwoodError:
            raise
        except OSError as exc:
            raise translate(exc, "write", path, key) from None
        finally:
            if not moved and os.path.lexists(staged):  # refused or failed: never moved
                with contextlib.suppress(OSError):
                    os.unlink(staged)
        return self._meta(key, identity, sidecar)

    @staticmethod
    def _new_sidecar(
        key: str,
        data: bytes,
        identity: Identity,
        content_type: str | None,
        metadata: Mapping[str, str] | None,
        staged_name: str,
    ) -> Sidecar:
        return Sidecar(
            key=key,
            etag=secrets.token_hex(10),
            identity=identity,
            content_type=content_type,
            metadata=dict(metadata or {}),
            pending=staged_name,
            digest=content_digest(data),
        )

    def _check_mode(self, key: str, mode: PutMode, current: str | None) -> None:
        if mode == "overwrite":
            return
        if mode == "create":
            if current is not None:
                raise AlreadyExistsError(
                    f"{key!r} already exists in local store {self.root!r}", key=key
                )
            return
        if isinstance(mode, Update):
            if current is None:
                raise NotFoundError(
                    f"cannot update {key!r} in local store {self.root!r}: it does not exist "
                    "(create it with mode='create')",
                    key=key,
                )
            if current != mode.etag:
                raise PreconditionFailedError(
                    f"{key!r} changed in local store {self.root!r}: expected etag "
                    f"{mode.etag!r}, found {current!r}; read it again and retry",
                    key=key,
                )
            return
        raise ValueError(f"unknown put mode {mode!r}; use 'overwrite', 'create' or Update(etag)")

    # deleting --------------------------------------------------------------------------

    def delete(self, key: str) -> None:
        """Remove the object and its sidecar; a missing key is not an error."""
        path = self.path_of(key)
        if not os.path.isdir(self.root):
            return
        digest = key_hash(key)
        if not os.path.lexists(path) and not os.path.exists(self._sidecar_path(digest)):
            return
        try:
            with self._lock_if_possible(digest):
                if os.path.isdir(path) and not os.path.islink(path):
                    return
                with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                    os.unlink(path)
                self._drop_sidecar(digest)
        except SapwoodError:
            raise
        except OSError as exc:
            raise translate(exc, "delete", path, key) from None
        self._prune(os.path.dirname(path))

    def _prune(self, folder: str) -> None:
        """Remove folders left empty, up to (not including) the root."""
        root = self.root
        while folder != root and folder.startswith(root + os.sep):
            try:
                os.rmdir(folder)
            except OSError:
                return
            folder = os.path.dirname(folder)

    def delete_many(self, keys: list[str]) -> None:
        """Remove each key in turn (each under its own lock)."""
        for key in keys:
            self.delete(key)
