"""SapwoodStore: a Zarr v3 store over one sapwood session."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine, Iterable
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from zarr.abc.store import ByteRequest, Store
from zarr.core.buffer import Buffer, BufferPrototype, default_buffer_prototype

from sapwood._sync.session import Session
from sapwood.aio.session import AsyncSession
from sapwood.errors import ObjectNotFoundError, SapwoodError
from sapwood.storage import CommonPrefix
from sapwood.zarr._home import HomeLoop
from sapwood.zarr._ranges import check_request, coalesce, span_of

if TYPE_CHECKING:
    from typing import Self

__all__ = ["AnySession", "SapwoodStore"]

AnySession: TypeAlias = Session | AsyncSession
"""A sync or an async session: both have a store."""

T = TypeVar("T")

DEFAULT_PARTIAL_CONCURRENCY = 10


def _home_of(session: AnySession, *, unpickled: bool = False) -> HomeLoop:
    if isinstance(session, Session):
        # A sync Session's async twin lives on sapwood's own background loop.
        from sapwood import _loop

        return HomeLoop(resolve=_loop.loop)
    # An unpickled AsyncSession has no repository open yet: the loop that first uses it
    # is its home, not whichever loop happened to unpickle it (a Dask worker's, say).
    return HomeLoop(capture=not unpickled)


def _async_of(session: AnySession) -> AsyncSession:
    if isinstance(session, Session):
        return session.aio
    if isinstance(session, AsyncSession):
        return session
    raise TypeError(
        f"SapwoodStore takes a sapwood Session or AsyncSession, not {type(session).__name__}; "
        "get one from repo.writable_session(branch) or repo.readonly_session(...)"
    )


def _content_type(key: str) -> str:
    """Zarr metadata is JSON; everything else is chunk bytes (said outright: guessing from
    the name took a tenth of the time of staging a small chunk)."""
    if key.endswith((".json", ".zarray", ".zgroup", ".zattrs")):
        return "application/json"
    return "application/octet-stream"


def _dir_prefix(prefix: str) -> str:
    """A Zarr directory name as a listing prefix: ``"a/b"`` and ``"a/b/"`` both mean the
    keys under ``a/b/``; ``""`` means all keys."""
    stripped = prefix.rstrip("/")
    return f"{stripped}/" if stripped else ""


class SapwoodStore(Store):
    """A Zarr v3 store reading and staging objects in a sapwood session.

    ``SapwoodStore(session, read_only=None)``: ``session`` is a :class:`sapwood.Session`
    or a :class:`sapwood.aio.AsyncSession` (``session.store`` makes one). Zarr keys are
    object paths in the session; writes stage there until ``session.commit(...)``, so
    every array and group written through the store lands in one commit. ``read_only``
    defaults to the session's own; a read-only session's store is always read-only.

    The store works from Zarr's sync API (which calls it on Zarr's own event-loop thread),
    from Zarr's async API in any loop and from threads: each call runs on the loop the
    session lives on (sapwood's background loop for a sync Session; for an AsyncSession,
    the loop it was made in). It pickles with its session, staged changes included, and
    two stores are equal when they read the same state of the same repository with the
    same ``read_only``.
    """

    supports_writes: bool = True
    supports_deletes: bool = True
    supports_listing: bool = True

    def __init__(self, session: AnySession, read_only: bool | None = None) -> None:
        aio = _async_of(session)
        if read_only is None:
            read_only = aio.read_only
        elif not read_only and aio.read_only:
            raise SapwoodError(
                f"cannot open a writable Zarr store over a read-only session ({aio!r}); "
                "open the session with repo.writable_session(branch)"
            )
        super().__init__(read_only=bool(read_only))
        self._session = session
        self._aio = aio
        self._home = _home_of(session)

    # -- identity --------------------------------------------------------------------------

    @property
    def session(self) -> AnySession:
        """The session this store reads and stages in."""
        return self._session

    def __repr__(self) -> str:
        return f"SapwoodStore({self._session!r}, read_only={self.read_only})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SapwoodStore):
            return NotImplemented
        if self.read_only != other.read_only:
            return False
        if self._session is other._session:
            return True
        return type(self._session) is type(other._session) and (
            self._aio.__getstate__() == other._aio.__getstate__()
        )

    __hash__ = None  # type: ignore[assignment]

    def __getstate__(self) -> dict[str, Any]:
        return {"session": self._session, "read_only": self._read_only, "open": self._is_open}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._session = state["session"]
        self._aio = _async_of(self._session)
        self._read_only = state["read_only"]
        self._is_open = state["open"]
        self._home = _home_of(self._session, unpickled=True)

    def with_read_only(self, read_only: bool = False) -> SapwoodStore:
        """A new store over the same session with another ``read_only`` setting (a
        writable one only over a writable session)."""
        return type(self)(self._session, read_only=read_only)

    # -- plumbing --------------------------------------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, T]) -> Coroutine[Any, Any, T]:
        return self._home.run(coro)

    # -- reads -----------------------------------------------------------------------------

    async def get(
        self,
        key: str,
        prototype: BufferPrototype,
        byte_range: ByteRequest | None = None,
    ) -> Buffer | None:
        """The value at ``key`` (the requested bytes of it), or None if there is none."""
        check_request(byte_range)
        data = await self._run(self._read(key, byte_range))
        return None if data is None else prototype.buffer.from_bytes(data)

    async def _read(self, key: str, byte_range: ByteRequest | None) -> bytes | None:
        try:
            if byte_range is None:
                return await self._aio.download(key)
            async with self._aio.open(key) as reader:
                start, stop = span_of(byte_range, reader.size)
                reader.seek(start)
                return await reader.read(stop - start)
        except ObjectNotFoundError:
            return None

    async def get_partial_values(
        self,
        prototype: BufferPrototype,
        key_ranges: Iterable[tuple[str, ByteRequest | None]],
    ) -> list[Buffer | None]:
        """Parts of many values, in request order (None for a missing key). Requests of one
        key are served by as few reads as possible; keys are read concurrently, at most
        ``RepositoryConfig.get_partial_values_concurrency`` at once."""
        requests = list(key_ranges)
        for _, byte_range in requests:
            check_request(byte_range)
        found = await self._run(self._read_partial(requests))
        return [None if data is None else prototype.buffer.from_bytes(data) for data in found]

    async def _read_partial(
        self, requests: list[tuple[str, ByteRequest | None]]
    ) -> list[bytes | None]:
        by_key: dict[str, list[int]] = {}
        for index, (key, _) in enumerate(requests):
            by_key.setdefault(key, []).append(index)
        config = (await self._aio.repository()).config
        gate = asyncio.Semaphore(
            config.get_partial_values_concurrency or DEFAULT_PARTIAL_CONCURRENCY
        )
        results: list[bytes | None] = [None] * len(requests)

        async def read_key(key: str, indexes: list[int]) -> None:
            async with gate:
                try:
                    reader = await self._aio.open(key)
                except ObjectNotFoundError:
                    return
                async with reader:
                    spans = [span_of(requests[i][1], reader.size) for i in indexes]
                    for start, stop in coalesce(spans):
                        reader.seek(start)
                        block = await reader.read(stop - start)
                        for index, (first, last) in zip(indexes, spans, strict=True):
                            if start <= first and last <= stop:
                                results[index] = block[first - start : last - start]
                    for index, (first, last) in zip(indexes, spans, strict=True):
                        if first == last:
                            results[index] = b""

        await asyncio.gather(*(read_key(key, indexes) for key, indexes in by_key.items()))
        return results

    async def exists(self, key: str) -> bool:
        """True if a value exists at ``key``."""
        return await self._run(self._aio.exists(key))

    async def getsize(self, key: str) -> int:
        """The size in bytes of the value at ``key`` (FileNotFoundError if none)."""
        info = await self._run(self._aio.stat_object(key))
        return info.size_bytes

    async def getsize_prefix(self, prefix: str) -> int:
        """The total size in bytes of the values under the directory ``prefix``."""
        return await self._run(self._size_under(_dir_prefix(prefix)))

    async def _size_under(self, prefix: str) -> int:
        total = 0
        async for item in self._aio.list_objects(prefix=prefix):
            if not isinstance(item, CommonPrefix):
                total += item.size_bytes
        return total

    # -- listing ---------------------------------------------------------------------------

    async def _paths(self, prefix: str, delimiter: str) -> list[str]:
        found: list[str] = []
        async for item in self._aio.list_objects(prefix=prefix, delimiter=delimiter):
            found.append(item.path)
        return found

    async def list(self) -> AsyncIterator[str]:
        """Every key, in order."""
        for path in await self._run(self._paths("", "")):
            yield path

    async def list_prefix(self, prefix: str) -> AsyncIterator[str]:
        """The keys starting with ``prefix``, in order."""
        for path in await self._run(self._paths(prefix, "")):
            yield path

    async def list_dir(self, prefix: str) -> AsyncIterator[str]:
        """The names directly under the directory ``prefix``: keys, and sub-directories
        (without their trailing ``/``)."""
        folder = _dir_prefix(prefix)
        for path in await self._run(self._paths(folder, "/")):
            yield path[len(folder) :].rstrip("/")

    # -- writes ----------------------------------------------------------------------------

    async def set(self, key: str, value: Buffer) -> None:
        """Stage ``value`` at ``key`` in the session."""
        self._check_writable()
        if not isinstance(value, Buffer):
            raise TypeError(
                f"SapwoodStore.set takes a zarr Buffer, not {type(value).__name__}; wrap bytes "
                "with zarr.core.buffer.default_buffer_prototype().buffer.from_bytes(...)"
            )
        await self._run(self._aio._upload(value.to_bytes(), key, _content_type(key)))

    async def set_if_not_exists(self, key: str, value: Buffer) -> None:
        """Stage ``value`` at ``key`` unless a value is already there (as the session
        sees it: committed or staged)."""
        self._check_writable()
        if not await self.exists(key):
            await self.set(key, value)

    async def _set_many(self, values: Iterable[tuple[str, Buffer]]) -> None:
        await asyncio.gather(*(self.set(key, value) for key, value in values))

    async def delete(self, key: str) -> None:
        """Stage the removal of ``key`` (nothing happens if it does not exist)."""
        self._check_writable()
        await self._run(self._aio.delete_objects(key))

    async def delete_dir(self, prefix: str) -> None:
        """Stage the removal of every key under the directory ``prefix``."""
        self._check_writable()
        await self._run(self._delete_under(_dir_prefix(prefix)))

    async def _delete_under(self, prefix: str) -> None:
        paths = await self._paths(prefix, "")
        if paths:
            await self._aio.delete_objects(paths)

    # -- the blocking API (zarr.abc.store.SupportsSyncStore) -------------------------------

    def get_sync(
        self,
        key: str,
        *,
        prototype: BufferPrototype | None = None,
        byte_range: ByteRequest | None = None,
    ) -> Buffer | None:
        """:meth:`get`, blocking this thread (not for use inside an event loop)."""
        check_request(byte_range)
        data = self._home.run_blocking(self._read(key, byte_range))
        if data is None:
            return None
        return (prototype or default_buffer_prototype()).buffer.from_bytes(data)

    def set_sync(self, key: str, value: Buffer) -> None:
        """:meth:`set`, blocking this thread (not for use inside an event loop)."""
        self._check_writable()
        if not isinstance(value, Buffer):
            raise TypeError(
                f"SapwoodStore.set_sync takes a zarr Buffer, not {type(value).__name__}"
            )
        self._home.run_blocking(self._aio._upload(value.to_bytes(), key, _content_type(key)))

    def delete_sync(self, key: str) -> None:
        """:meth:`delete`, blocking this thread (not for use inside an event loop)."""
        self._check_writable()
        self._home.run_blocking(self._aio.delete_objects(key))

    @classmethod
    async def open(cls, *args: Any, **kwargs: Any) -> Self:
        """Make and open a store: ``await SapwoodStore.open(session=..., read_only=...)``."""
        store = cls(*args, **kwargs)
        await store._open()
        return store
