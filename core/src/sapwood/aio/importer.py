"""AsyncImportManager: bring objects that already exist elsewhere into a branch, as one
commit (``branch.import_from(uri, destination, message)``).

A source URI is handled by an importer plugin registered for its scheme (``lakefs://``...)
or, failing that, read as a store sapwood can open (``s3://``, ``gs://``, ``file://``...).
An object whose address falls under one of the repository's virtual chunk containers is
imported by reference (no bytes copied); any other is copied in.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Self
from urllib.parse import urlsplit

import msgspec

from sapwood.aio.sealed import Sealed
from sapwood.aio.session import AsyncSession
from sapwood.composition import find_importer, open_storage
from sapwood.config import ObjectStoreConfig
from sapwood.engine.paths import validate_path, validate_prefix
from sapwood.engine.staging import check_metadata
from sapwood.errors import ConfigError, NotFoundError, ObjectNotFoundError, SapwoodError
from sapwood.extensions import Importer, ImportSource
from sapwood.models import Commit
from sapwood.storage import CommonPrefix, Storage

if TYPE_CHECKING:
    from sapwood.aio.branch import AsyncBranch

__all__ = ["AsyncImportManager", "ImportStatus", "StoreImporter", "importer_for"]


class ImportStatus(msgspec.Struct, frozen=True, kw_only=True):
    """Where an import stands: how many objects are staged so far, and once it ended, its
    commit or the error that stopped it."""

    completed: bool
    ingested_objects: int
    commit: Commit | None = None
    error: str | None = None
    update_time: datetime


class StoreImporter:
    """Imports from any store sapwood has a backend for: the URI names the store and the
    folder in it; paths are the keys below that folder."""

    def __init__(self) -> None:
        self._stores: dict[str, Storage] = {}

    def _store(self, uri: str) -> Storage:
        store = self._stores.get(uri)
        if store is None:
            store = open_storage(ObjectStoreConfig.from_url(uri))
            self._stores[uri] = store
        return store

    async def scan(self, uri: str) -> AsyncIterator[ImportSource]:
        """Every object under ``uri``, in key order."""
        store = self._store(uri)
        base = uri.partition("?")[0].rstrip("/")
        async for entry in store.list(""):
            if isinstance(entry, CommonPrefix):
                continue
            yield ImportSource(
                path=entry.key,
                size_bytes=entry.size,
                physical_address=f"{base}/{entry.key}",
                etag=entry.etag,
                content_type=entry.content_type,
                metadata=dict(entry.metadata),
            )

    async def find(self, uri: str, name: str) -> ImportSource | None:
        """The object ``name`` directly in the folder ``uri`` (one request, no listing), or
        None if there is none."""
        store = self._store(uri)
        try:
            meta = await store.head(name)
        except NotFoundError:
            return None
        base = uri.partition("?")[0].rstrip("/")
        return ImportSource(
            path=name,
            size_bytes=meta.size,
            physical_address=f"{base}/{name}",
            etag=meta.etag,
            content_type=meta.content_type,
            metadata=dict(meta.metadata),
        )

    async def read(self, source: ImportSource) -> bytes:
        """The bytes of one object found by :meth:`scan` or :meth:`find`."""
        for uri, store in self._stores.items():
            base = uri.partition("?")[0].rstrip("/") + "/"
            if source.physical_address.startswith(base):
                return await store.get(source.physical_address[len(base) :])
        raise SapwoodError(f"{source.physical_address} was not found by this importer's scan")

    async def close(self) -> None:
        """Close the stores opened while scanning."""
        stores, self._stores = list(self._stores.values()), {}
        for store in stores:
            await store.close()


def importer_for(uri: str) -> Importer:
    """The importer for ``uri``: a plugin registered for its scheme, else the store importer;
    PluginError names what to install when neither handles it."""
    scheme = urlsplit(uri).scheme.lower()
    if not scheme:
        raise ConfigError(
            f"{uri!r} is not a URI to import from; write one such as s3://bucket/folder, "
            "or file:///absolute/path for a local folder",
            field="uri",
        )
    found = find_importer(scheme)
    return found if found is not None else StoreImporter()


class AsyncImportManager(Sealed):
    """An import of one or more sources into a branch, committed as one commit.

    ``await manager.run()`` imports and waits; ``start()`` (which returns the import's
    :attr:`id`), ``status()``, ``wait()`` and ``cancel()`` run it in the background.
    Sources chain: ``manager.prefix(uri, "raw/").object(uri2, "docs/readme.md")``;
    :attr:`commit_message` and :attr:`metadata` may be changed until it starts. Objects
    are staged in a session of the import's own, so nothing staged on the branch handle is
    mixed in; a failed or cancelled import commits nothing, and so does one whose sources
    hold nothing (it completes with 0 objects).
    """

    def __init__(
        self,
        branch: AsyncBranch,
        commit_message: str,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        self._branch = branch
        self._message = _checked_message(commit_message)
        self._metadata = check_metadata(metadata, "commit metadata")
        self._sources: list[tuple[str, str, bool]] = []
        self._id = uuid.uuid4().hex
        self._task: asyncio.Task[Commit | None] | None = None
        self._ingested = 0
        self._completed = False
        self._commit: Commit | None = None
        self._error: str | None = None
        self._updated = datetime.now(UTC)
        self._sealed = True

    def __repr__(self) -> str:
        return f"AsyncImportManager(branch={self._branch.id!r}, sources={self.sources!r})"

    @property
    def id(self) -> str:
        """This import's id (what :meth:`start` returns)."""
        return self._id

    @property
    def sources(self) -> tuple[tuple[str, str], ...]:
        """The (uri, destination) pairs to import."""
        return tuple((uri, destination) for uri, destination, _ in self._sources)

    @property
    def commit_message(self) -> str:
        """The message of the import's commit; settable until the import starts."""
        return self._message

    @commit_message.setter
    def commit_message(self, message: str) -> None:
        self._refuse_if_started("change commit_message")
        self._message = _checked_message(message)

    @property
    def metadata(self) -> dict[str, str]:
        """A copy of the import commit's metadata; assign a new mapping (until the import
        starts) to change it."""
        return dict(self._metadata or {})

    @metadata.setter
    def metadata(self, metadata: Mapping[str, str] | None) -> None:
        self._refuse_if_started("change metadata")
        self._metadata = check_metadata(metadata, "commit metadata")

    def _refuse_if_started(self, action: str) -> None:
        if self._task is not None:
            raise SapwoodError(
                f"cannot {action}: import {self._id} has started; set it before start() or "
                "run(), or make another import"
            )

    def prefix(self, uri: str, destination: str) -> Self:
        """Add a source: every object under ``uri`` goes under ``destination`` (a folder
        path such as ``"raw/"``, or ``""`` for the top). Returns this manager, to chain."""
        self._refuse_if_started("add a source")
        _check_uri(uri)
        validate_prefix(destination)
        importer_for(uri)
        self._sources.append((uri, destination, False))
        return self

    def object(self, uri: str, destination: str) -> Self:
        """Add a source: the one object at ``uri`` becomes the object at ``destination``
        (a full path); ObjectNotFoundError when the import runs if there is none. Returns
        this manager, to chain."""
        self._refuse_if_started("add a source")
        _check_uri(uri)
        validate_path(destination)
        parent, _, name = uri.partition("?")[0].rstrip("/").rpartition("/")
        if not name or "://" not in parent + "/":
            raise ConfigError(
                f"{uri!r} does not name an object; write one such as s3://bucket/folder/file",
                field="uri",
            )
        importer_for(uri)
        self._sources.append((uri, destination, True))
        return self

    async def start(self) -> str:
        """Start importing in the background (see :meth:`status` and :meth:`wait`); the
        import's :attr:`id`."""
        if self._task is not None:
            raise SapwoodError(f"import {self._id} has started already; wait() for it")
        if not self._sources:
            raise SapwoodError(
                "nothing to import: add a source with prefix(uri, destination) or "
                "object(uri, destination)"
            )
        self._task = asyncio.get_running_loop().create_task(self._import())
        # The error is kept in status(); retrieving it here spares a "never retrieved" log.
        self._task.add_done_callback(lambda task: task.cancelled() or task.exception())
        return self._id

    async def status(self) -> ImportStatus:
        """Where the import stands now."""
        return ImportStatus(
            completed=self._completed,
            ingested_objects=self._ingested,
            commit=self._commit,
            error=self._error,
            update_time=self._updated,
        )

    async def wait(self) -> ImportStatus:
        """Wait for the import to end; its final status (its error re-raised if it failed)."""
        if self._task is None:
            raise SapwoodError(f"import {self._id} has not started; call start() or run()")
        await asyncio.shield(self._task)
        return await self.status()

    async def run(self) -> ImportStatus:
        """Import every source and commit; the final status."""
        await self.start()
        return await self.wait()

    async def cancel(self) -> None:
        """Stop the running import; nothing is committed. SapwoodError if it is not
        running (not started, or already ended)."""
        task = self._task
        if task is None:
            raise SapwoodError(f"import {self._id} has not started, so it cannot be cancelled")
        if task.done():
            ended = "completed" if self._completed else "failed"
            raise SapwoodError(f"import {self._id} has {ended} already; there is nothing to cancel")
        task.cancel()
        await asyncio.wait([task])

    def _touch(self) -> None:
        self._updated = datetime.now(UTC)

    async def _import(self) -> Commit | None:
        repository = self._branch.repository
        session = await repository.writable_session(self._branch.id)
        try:
            for uri, destination, single in self._sources:
                if single:
                    await self._import_object(session, uri, destination)
                else:
                    await self._import_source(session, uri, destination)
            if session.has_uncommitted_changes:
                self._commit = await session.commit(self._message, self._metadata)
            self._completed = True
        except BaseException as exc:
            await session.discard()
            self._error = "cancelled" if isinstance(exc, asyncio.CancelledError) else str(exc)
            raise
        finally:
            self._touch()
        return self._commit

    async def _stage(
        self, session: AsyncSession, importer: Importer, source: ImportSource, path: str
    ) -> None:
        virtual = self._branch.repository.engine.virtual
        try:
            virtual.container_for(source.physical_address)
        except ConfigError:
            await session.upload(
                await importer.read(source), path, source.content_type, source.metadata
            )
        else:
            await session.put_virtual(
                path,
                source.physical_address,
                length=source.size_bytes,
                etag=source.etag,
                content_type=source.content_type,
                metadata=source.metadata or None,
            )
        self._ingested += 1
        self._touch()

    async def _import_source(self, session: AsyncSession, uri: str, destination: str) -> None:
        importer = importer_for(uri)
        folder = destination if not destination or destination.endswith("/") else destination + "/"
        try:
            async for source in importer.scan(uri):
                await self._stage(session, importer, source, folder + source.path)
        finally:
            await _close(importer)

    async def _import_object(self, session: AsyncSession, uri: str, destination: str) -> None:
        parent, _, name = uri.partition("?")[0].rstrip("/").rpartition("/")
        query = uri.partition("?")[2]
        folder_uri = parent + (f"?{query}" if query else "")
        importer = importer_for(folder_uri)
        try:
            found = await _find(importer, folder_uri, name)
            if found is None:
                raise ObjectNotFoundError(f"no object at {uri} to import; check the URI")
            await self._stage(session, importer, found, destination)
        finally:
            await _close(importer)


def _check_uri(uri: object) -> None:
    if not isinstance(uri, str):
        raise TypeError(
            f"an import source is a URI (str) such as 's3://bucket/raw', not {type(uri).__name__}"
        )


def _checked_message(message: object) -> str:
    if not isinstance(message, str):
        raise TypeError(f"a commit message is a str, not {type(message).__name__}")
    return message


async def _find(importer: Importer, folder_uri: str, name: str) -> ImportSource | None:
    """The object ``name`` in ``folder_uri``: looked up directly by the store importer, and
    found by scanning the folder with a plugin's importer (whose contract lists folders)."""
    if isinstance(importer, StoreImporter):
        return await importer.find(folder_uri, name)
    async for source in importer.scan(folder_uri):
        if source.path == name:
            return source
    return None


async def _close(importer: Importer) -> None:
    closer = getattr(importer, "close", None)
    if closer is not None:
        await closer()
