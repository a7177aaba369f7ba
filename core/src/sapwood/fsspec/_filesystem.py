"""SapwoodFileSystem: a sapwood repository as an fsspec filesystem (``sapwood://ref/path``)."""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, ClassVar, Literal, overload

from fsspec.callbacks import DEFAULT_CALLBACK
from fsspec.spec import AbstractFileSystem

from sapwood import (
    AnonymousCredentials,
    Branch,
    CommonPrefix,
    ConfigError,
    InvalidPathError,
    InvalidRefError,
    ObjectInfo,
    ObjectNotFoundError,
    ObjectStoreConfig,
    RefNotFoundError,
    Repository,
    Session,
)
from sapwood.credentials import CredentialsSpec
from sapwood.fsspec._closing import close_when_collected
from sapwood.fsspec._errors import FolderNotEmptyError
from sapwood.fsspec._file import SapwoodFile
from sapwood.fsspec._paths import PROTOCOL, ref_segment, split, strip_protocol
from sapwood.fsspec._staging import Staging, exists_error
from sapwood.fsspec._transaction import SapwoodTransaction

__all__ = ["SapwoodFileSystem"]

Entry = dict[str, Any]
RepositorySpec = str | os.PathLike[str] | ObjectStoreConfig | Repository
_ENVIRONMENT = "SAPWOOD_REPO"
_IDENTITY = "instance_of"
_WRITE_OPTIONS = frozenset({"content_type", "metadata"})


class _CachedPerObject(type(AbstractFileSystem)):  # type: ignore[misc]  # fsspec is untyped
    """fsspec reuses a filesystem made with the same options (keyed by their ``repr``): a
    Repository or credentials object is keyed by its identity instead, since two of them
    can print alike (credentials never show their secrets)."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        objects = [kwargs.get("repo", args[0] if args else None), kwargs.get("credentials")]
        if any(not isinstance(o, str | os.PathLike | ObjectStoreConfig | None) for o in objects):
            kwargs[_IDENTITY] = ":".join(str(id(o)) for o in objects)
        return super().__call__(*args, **kwargs)


class SapwoodFileSystem(AbstractFileSystem, metaclass=_CachedPerObject):  # type: ignore[misc]
    """A sapwood repository as an fsspec filesystem, protocol ``sapwood``.

    Paths are ``sapwood://<ref>/<path>``: the ref is a branch, a tag, a commit id or an
    expression (``main~2``); a ref holding ``/`` is written with ``%2F``. The root lists
    the branches and tags as folders. Any ref reads; only a branch takes writes
    (ReadOnlyReferenceError otherwise). Folders are implied by the paths under them, as in
    an object store: ``mkdir`` creates nothing.

    Outside a transaction every call that writes makes one commit: a closed file, a
    ``pipe``, an ``rm``, a ``cp``, a ``put`` or a ``mv``, however many objects it touches.
    ``with fs.transaction:`` makes one commit for the whole block (none if it raises).

    ``repo`` is the repository: a URL or folder, an :class:`~sapwood.ObjectStoreConfig`,
    or a :class:`~sapwood.Repository` (then used as it is and never closed here); default:
    the ``SAPWOOD_REPO`` environment variable. ``credentials`` are the store's credentials
    (default: the credential chain), ``anon=True`` means no credentials (a public bucket;
    pandas retries with it when a read is refused), and ``create=True`` creates a missing
    repository.
    """

    protocol: ClassVar[str] = PROTOCOL
    root_marker: ClassVar[str] = ""
    transaction_type: ClassVar[type] = SapwoodTransaction

    def __init__(
        self,
        repo: RepositorySpec | None = None,
        *,
        credentials: CredentialsSpec | None = None,
        anon: bool = False,
        create: bool = False,
        **options: Any,
    ) -> None:
        options.pop(_IDENTITY, None)
        # fsspec's own flag, which Zarr passes to every filesystem (``xr.open_zarr("sapwood://
        # ...")``): this filesystem is synchronous, so Zarr wraps it for async use itself.
        options.pop("asynchronous", None)
        if options:
            raise ConfigError(
                f"unknown sapwood:// storage option(s) {sorted(options)}: the options are "
                "'repo', 'credentials', 'anon' and 'create'",
                field=sorted(options)[0],
            )
        super().__init__()
        if anon:
            if credentials is not None:
                raise ConfigError("give 'credentials' or anon=True, not both", field="anon")
            credentials = AnonymousCredentials()
        self._repository, owned = _open_repository(repo, credentials, create)
        self._batches = threading.local()
        if owned:
            self._closer: weakref.finalize[[Repository], object] | None = close_when_collected(
                self, self._repository
            )
        else:
            self._closer = None

    @property
    def repository(self) -> Repository:
        """The repository this filesystem reads and writes."""
        return self._repository

    def close(self) -> None:
        """Close the repository if this filesystem opened it (from a URL or config), and
        forget this filesystem in fsspec's instance cache."""
        type(self)._cache.pop(self._fs_token, None)
        closer, self._closer = self._closer, None
        if closer is not None and closer.detach() is not None:
            self._repository.close()

    # -- paths ------------------------------------------------------------------------------

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        return strip_protocol(path)

    # -- sessions ---------------------------------------------------------------------------

    def _staging(self) -> Staging | None:
        transaction = self._transaction
        if self._intrans and isinstance(transaction, SapwoodTransaction):
            return transaction.staging
        batch: Staging | None = getattr(self._batches, "staging", None)
        return batch

    def _read_session(self, ref: str) -> Session:
        """The session reads of ``ref`` go through now: the staged session of that branch
        inside a transaction, a read-only one at the ref's commit otherwise
        (FileNotFoundError if the ref names nothing)."""
        staging = self._staging()
        if staging is not None:
            staged = staging.existing(ref)
            if staged is not None:
                return staged
        try:
            return self._repository.ref(ref).reader()
        except (RefNotFoundError, InvalidRefError) as exc:
            raise ObjectNotFoundError(
                f"no ref {ref!r} in the repository ({exc}); sapwood:// paths start with a "
                f"branch, a tag or a commit id{self._slashed_ref_hint(ref)}"
            ) from exc

    def _slashed_ref_hint(self, segment: str) -> str:
        """When ``segment`` is the first part of a ref holding ``/`` (``feature/x`` read as
        ``sapwood://feature/x/...``), how to write that ref in a path."""
        if not segment or "/" in segment:
            return ""
        nested = [b.id for b in self._repository.list_branches(max_amount=1, prefix=segment + "/")]
        nested = nested or [
            t.id for t in self._repository.list_tags(max_amount=1, prefix=segment + "/")
        ]
        if not nested:
            return ""
        return (
            f"; a ref holding '/' is written with %2F in a path: "
            f"sapwood://{ref_segment(nested[0])}/..."
        )

    def _write_staging(self) -> tuple[Staging, bool]:
        """Where a write stages: the transaction's (or the calling operation's) staging, or
        a new one the write commits itself (then the flag is True)."""
        staging = self._staging()
        if staging is not None:
            return staging, False
        return Staging(self._repository), True

    @contextmanager
    def _one_commit(self, message: str) -> Iterator[Staging]:
        """Writes in the block join the running transaction or operation, or else are
        staged together and committed as one commit (per branch) at the end."""
        running = self._staging()
        if running is not None:
            yield running
            return
        staging = Staging(self._repository)
        self._batches.staging = staging
        try:
            yield staging
        except BaseException:
            self._batches.staging = None
            staging.discard()
            raise
        self._batches.staging = None
        staging.commit(message)

    # -- listing and info -------------------------------------------------------------------

    def _file_entry(self, ref: str, info: ObjectInfo) -> Entry:
        """The fsspec description of an object (what :meth:`info` returns)."""
        return {
            "name": f"{ref_segment(ref)}/{info.path}",
            "size": info.size_bytes,
            "type": "file",
            "checksum": info.checksum,
            "content_type": info.content_type,
            "metadata": dict(info.metadata),
            "created": info.modified_time,
            "modified": info.modified_time,
        }

    @staticmethod
    def _folder(name: str, **extra: Any) -> Entry:
        return {"name": name, "size": 0, "type": "directory", **extra}

    def _refs(self) -> list[Entry]:
        branches = [
            self._folder(ref_segment(branch.id), ref_type="branch")
            for branch in self._repository.list_branches()
        ]
        tags = [
            self._folder(ref_segment(tag.id), ref_type="tag")
            for tag in self._repository.list_tags()
        ]
        return sorted(branches + tags, key=lambda entry: str(entry["name"]))

    @overload
    def ls(self, path: str, detail: Literal[True] = ..., **kwargs: Any) -> list[Entry]: ...

    @overload
    def ls(self, path: str, detail: Literal[False], **kwargs: Any) -> list[str]: ...

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Entry] | list[str]:
        """The objects and folders directly under ``path`` (the object itself if ``path``
        names one; the branches and tags at the root)."""
        _no_options(kwargs, "ls", allowed=("refresh",))  # listings are never cached
        entries = self._list(self._strip_protocol(path))
        return entries if detail else [str(entry["name"]) for entry in entries]

    def _list(self, path: str) -> list[Entry]:
        ref, key = split(path)
        if not ref:
            return self._refs()
        session = self._read_session(ref)
        segment = ref_segment(ref)
        entries: list[Entry] = []
        prefix = f"{key}/" if key else ""
        try:
            listing = list(session.list_objects(prefix=prefix, delimiter="/"))
        except InvalidPathError as exc:
            raise ObjectNotFoundError(f"no object or folder at {path!r}: {exc}") from exc
        for item in listing:
            if isinstance(item, CommonPrefix):
                entries.append(self._folder(f"{segment}/{item.path.rstrip('/')}"))
            else:
                entries.append(self._file_entry(ref, item))
        if entries or not key:
            return entries
        try:
            return [self._file_entry(ref, session.stat_object(key))]
        except ObjectNotFoundError:
            raise ObjectNotFoundError(f"no object or folder at {path!r}") from None

    def info(self, path: str, **kwargs: Any) -> Entry:
        """What :meth:`ls` says of ``path``: an object (``type`` ``"file"``, with
        ``size``, ``checksum``, ``content_type``, ``metadata``, ``created``,
        ``modified``) or a folder (``"directory"``); FileNotFoundError if neither."""
        _no_options(kwargs, "info", allowed=("refresh",))
        stripped = self._strip_protocol(path)
        ref, key = split(stripped)
        if not ref:
            return self._folder("")
        session = self._read_session(ref)
        if not key:
            return self._folder(ref_segment(ref))
        try:
            return self._file_entry(ref, session.stat_object(key))
        except ObjectNotFoundError:
            pass
        except InvalidPathError as exc:
            raise ObjectNotFoundError(f"no object or folder at {stripped!r}: {exc}") from exc
        for _ in session.list_objects(max_amount=1, prefix=f"{key}/"):
            return self._folder(f"{ref_segment(ref)}/{key}")
        raise ObjectNotFoundError(f"no object or folder at {stripped!r}")

    def find(
        self,
        path: str,
        maxdepth: int | None = None,
        withdirs: bool = False,
        detail: bool = False,
        **kwargs: Any,
    ) -> list[str] | dict[str, Entry]:
        """Every object under ``path`` (and, with ``withdirs``, every folder), from one
        listing at one commit; ``path`` itself if it names an object."""
        stripped = self._strip_protocol(path)
        ref, key = split(stripped)
        if maxdepth is not None or not ref:
            return super().find(  # type: ignore[no-any-return]
                path, maxdepth=maxdepth, withdirs=withdirs, detail=detail, **kwargs
            )
        _no_options(kwargs, "find", allowed=("refresh",))
        session = self._read_session(ref)
        segment = ref_segment(ref)
        prefix = f"{key}/" if key else ""
        found: dict[str, Entry] = {}
        try:
            listing = list(session.list_objects(prefix=prefix))
        except InvalidPathError:
            listing = []
        for item in listing:
            if not isinstance(item, ObjectInfo):
                continue
            found[f"{segment}/{item.path}"] = self._file_entry(ref, item)
            if withdirs:
                folder = key
                for part in item.path[len(prefix) :].split("/")[:-1]:
                    folder = f"{folder}/{part}" if folder else part
                    found.setdefault(f"{segment}/{folder}", self._folder(f"{segment}/{folder}"))
        if withdirs and (found or not key):
            found[stripped] = self._folder(stripped)
        if not found and key and session.exists(key):
            found[stripped] = self._file_entry(ref, session.stat_object(key))
        names = sorted(found)
        return {name: found[name] for name in names} if detail else names

    def _object_info(self, path: str) -> ObjectInfo:
        ref, key = split(self._strip_protocol(path))
        if not key:
            raise ObjectNotFoundError(f"{path!r} names a ref, not an object")
        return self._read_session(ref).stat_object(key)

    def created(self, path: str) -> datetime:
        """When this version of the object was written (each write makes a new object, as
        on S3)."""
        return self._object_info(path).modified_time

    def modified(self, path: str) -> datetime:
        """When this version of the object was written."""
        return self._object_info(path).modified_time

    def checksum(self, path: str) -> int:
        """The object's SHA-256, as an int (the same content gives the same value)."""
        info = self._object_info(path)
        try:
            return int(info.checksum, 16)
        except ValueError:  # a virtual object recorded without a checksum
            return int(self.ukey(path)[:32], 16)

    def ukey(self, path: str) -> str:
        """A key that changes when the object's content or description changes."""
        info = self._object_info(path)
        if info.checksum:
            return info.checksum
        return super().ukey(path)  # type: ignore[no-any-return]

    # -- reading ----------------------------------------------------------------------------

    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: int | str | None = None,
        autocommit: bool = True,
        cache_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> SapwoodFile:
        return SapwoodFile(
            self,
            path,
            mode,
            block_size or "default",
            autocommit,
            cache_options=cache_options,
            **kwargs,
        )

    def cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> bytes:
        """The object's bytes, or those from ``start`` to ``end`` (negative: from the end,
        as in a slice); only the chunks needed are fetched."""
        _no_options(kwargs, "cat_file")
        ref, key = split(self._strip_protocol(path))
        if not key:
            raise ObjectNotFoundError(f"{path!r} names a ref, not an object")
        session = self._read_session(ref)
        if start is None and end is None:
            return session.download(key)
        with session.open(key, "rb") as reader:
            first, stop = slice(start, end).indices(reader.size)[:2]
            if stop <= first:
                return b""
            reader.seek(first)
            return reader.read(stop - first)

    # -- writing ----------------------------------------------------------------------------

    def _object_key(self, path: str) -> tuple[str, str]:
        ref, key = split(self._strip_protocol(path))
        if not key:
            raise InvalidPathError(
                f"{path!r} names a ref, not an object: add the object's path after the ref "
                "(sapwood://main/data.csv)"
            )
        return ref, key

    def pipe_file(
        self,
        path: str,
        value: bytes,
        mode: Literal["overwrite", "create"] = "overwrite",
        **kwargs: Any,
    ) -> None:
        """Write ``value`` at ``path``; ``mode="create"`` only if nothing is there yet
        (FileExistsError otherwise, checked again when committing). ``content_type`` and
        ``metadata`` describe the object."""
        _no_options(kwargs, "pipe_file", allowed=_WRITE_OPTIONS)
        if mode not in ("overwrite", "create"):
            raise ValueError(f"pipe_file mode is 'overwrite' or 'create', not {mode!r}")
        ref, key = self._object_key(path)
        with self._one_commit(f"Write {key}") as staging:
            session = staging.claim(ref, key) if mode == "create" else staging.session(ref)
            session.upload(value, key, kwargs.get("content_type"), kwargs.get("metadata"))

    def pipe(self, path: str | dict[str, bytes], value: bytes | None = None, **kwargs: Any) -> None:
        """Write one object, or a dict of paths to bytes (as one commit)."""
        with self._one_commit(f"Write {_describe(path)}"):
            super().pipe(path, value, **kwargs)

    def rm_file(self, path: str) -> None:
        """Delete the object at ``path`` (FileNotFoundError if there is none)."""
        ref, key = self._object_key(path)
        with self._one_commit(f"Delete {key}") as staging:
            session = staging.session(ref)
            if not session.exists(key):
                raise ObjectNotFoundError(f"no object at {self._strip_protocol(path)!r}")
            session.delete_objects(key)

    def rm(
        self, path: str | list[str], recursive: bool = False, maxdepth: int | None = None
    ) -> None:
        """Delete objects; with ``recursive``, everything under folders too. One commit."""
        expanded = self.expand_path(path, recursive=recursive, maxdepth=maxdepth)
        with self._one_commit(f"Delete {_describe(path)}") as staging:
            by_ref: dict[str, list[str]] = {}
            for item in expanded:
                ref, key = split(item)
                if key and self._read_session(ref).exists(key):
                    by_ref.setdefault(ref, []).append(key)
                elif not recursive:
                    raise FolderNotEmptyError(
                        f"{item!r} is a folder: pass recursive=True to delete what is in it"
                    )
            for ref, keys in by_ref.items():
                staging.session(ref).delete_objects(keys)

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        """Copy one object (server-side: no bytes move, both share the stored content); a
        folder is skipped, as folders exist only through what is in them."""
        _no_options(kwargs, "cp_file")
        source_ref, source_key = split(self._strip_protocol(path1))
        ref, key = self._object_key(path2)
        with self._one_commit(f"Copy {source_key} to {key}") as staging:
            reading = self._read_session(source_ref)
            if not source_key or not reading.exists(source_key):
                if self.isdir(path1):
                    return
                raise ObjectNotFoundError(f"no object at {self._strip_protocol(path1)!r}")
            staging.session(ref).copy_object(reading, source_key, key)

    def put_file(
        self,
        lpath: str | os.PathLike[str],
        rpath: str,
        callback: Any = DEFAULT_CALLBACK,
        mode: Literal["overwrite", "create"] = "overwrite",
        **kwargs: Any,
    ) -> None:
        """Upload one local file (a local folder needs nothing: folders exist through their
        objects); ``mode="create"`` only if nothing is at ``rpath`` yet. ``content_type``
        and ``metadata`` describe the object."""
        _no_options(kwargs, "put_file", allowed=_WRITE_OPTIONS)
        if mode not in ("overwrite", "create"):
            raise ValueError(f"put_file mode is 'overwrite' or 'create', not {mode!r}")
        if os.path.isdir(lpath):
            return
        ref, key = self._object_key(rpath)
        with self._one_commit(f"Upload {key}") as staging, open(lpath, "rb") as source:
            session = staging.claim(ref, key) if mode == "create" else staging.session(ref)
            size = source.seek(0, os.SEEK_END)
            source.seek(0)
            callback.set_size(size)
            session.upload(source, key, kwargs.get("content_type"), kwargs.get("metadata"))
            callback.relative_update(size)

    def copy(self, path1: Any, path2: Any, *args: Any, **kwargs: Any) -> None:
        """Copy objects (or, with ``recursive``, folders) within the repository, as one
        commit."""
        with self._one_commit(f"Copy {_describe(path1)} to {_describe(path2)}"):
            super().copy(path1, path2, *args, **kwargs)

    def put(self, lpath: Any, rpath: Any, *args: Any, **kwargs: Any) -> None:
        """Upload local files (or, with ``recursive``, folders) as one commit."""
        with self._one_commit(f"Upload {_describe(rpath)}"):
            super().put(lpath, rpath, *args, **kwargs)

    def mv(self, path1: Any, path2: Any, *args: Any, **kwargs: Any) -> None:
        """Move objects: copy, then delete the sources, as one commit."""
        with self._one_commit(f"Move {_describe(path1)} to {_describe(path2)}"):
            super().mv(path1, path2, *args, **kwargs)

    def touch(self, path: str, truncate: bool = True, **kwargs: Any) -> None:
        """Write an empty object at ``path``; ``truncate=False`` leaves an existing object
        as it is (objects have no timestamp to update apart from a new version)."""
        if not truncate and self.exists(path):
            return
        with self.open(path, "wb", **kwargs):
            pass

    # -- folders ----------------------------------------------------------------------------

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        """Nothing to create: folders exist through the objects in them (as in an object
        store). FileExistsError if an object has that path; FileNotFoundError if the ref
        does not exist."""
        _no_options(kwargs, "mkdir")
        ref, key = split(self._strip_protocol(path))
        if not ref:
            return
        session = self._read_session(ref)
        if key and session.exists(key):
            raise exists_error(ref, key)

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        """As :meth:`mkdir` (folders need no creating, so an existing one is fine)."""
        self.mkdir(path)

    def rmdir(self, path: str) -> None:
        """Nothing to remove for an empty folder; FolderNotEmptyError if objects are under
        ``path``."""
        ref, key = split(self._strip_protocol(path))
        if not ref:
            raise FolderNotEmptyError("the root holds the refs; it is never removed")
        session = self._read_session(ref)
        prefix = f"{key}/" if key else ""
        for _ in session.list_objects(max_amount=1, prefix=prefix):
            raise FolderNotEmptyError(
                f"{self._strip_protocol(path)!r} is not empty: rm(path, recursive=True) "
                "deletes what is in it"
            )


def _open_repository(
    repo: RepositorySpec | None, credentials: CredentialsSpec | None, create: bool
) -> tuple[Repository, bool]:
    if repo is None:
        repo = os.environ.get(_ENVIRONMENT) or None
        if repo is None:
            raise ConfigError(
                "no repository for sapwood:// paths: pass storage_options={'repo': URL} (a "
                f"URL, an ObjectStoreConfig or a Repository) or set {_ENVIRONMENT}",
                field="repo",
            )
    if isinstance(repo, Branch):
        raise ConfigError("repo is a Repository, not a Branch: the ref goes in the path")
    if isinstance(repo, Repository):
        if credentials is not None or create:
            raise ConfigError(
                "'credentials', 'anon' and 'create' apply when the filesystem opens the "
                "repository; this Repository is already open",
                field="credentials" if credentials is not None else "create",
            )
        return repo, False
    if not isinstance(repo, str | os.PathLike | ObjectStoreConfig):
        raise ConfigError(
            "repo is a URL, a folder, an ObjectStoreConfig or a Repository, not "
            f"{type(repo).__name__}",
            field="repo",
        )
    opener = Repository.open_or_create if create else Repository.open
    return opener(repo, credentials), True


def _describe(path: Any) -> str:
    """Paths for a commit message: without the ref (the commit is on it), the first of
    many and how many more."""
    items = [
        split(strip_protocol(p))[1] or "/" for p in ([path] if isinstance(path, str) else path)
    ]
    if not items:
        return "nothing"
    more = f" and {len(items) - 1} more" if len(items) > 1 else ""
    return f"{items[0]}{more}"


def _no_options(
    kwargs: Mapping[str, Any], call: str, allowed: tuple[str, ...] | frozenset[str] = ()
) -> None:
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise TypeError(f"{call}() got option(s) sapwood:// does not support: {unknown}")
