"""xarray over sapwood (``pip install 'sapwood[xarray]'``): :func:`to_sapwood` writes a
Dataset or DataArray into a session, Dask-backed data in parallel, as one change set.

Reading needs nothing special: ``xr.open_zarr(session.store, consolidated=False)``.
Eager (NumPy-backed) data can also go through ``ds.to_zarr(session.store)``; Dask-backed
data needs :func:`to_sapwood` as soon as the tasks run in other processes, because each
worker process writes into its own copy of the session.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, MutableMapping, Sequence
from typing import Any, Final, Literal

try:
    import xarray as xr
    import zarr
    from xarray.backends.api import DATAARRAY_NAME, DATAARRAY_VARIABLE
    from xarray.backends.common import ArrayWriter
    from xarray.backends.writers import dump_to_store, get_writable_zarr_store
    from zarr.storage import StorePath
except ImportError as error:  # pragma: no cover - depends on the environment
    from sapwood.errors import PluginError

    raise PluginError(
        "sapwood.xarray needs xarray (2025.10 or later), zarr-python 3 and dask; install "
        "them with: pip install 'sapwood[xarray]'"
    ) from error

from sapwood._sync.session import Session
from sapwood.errors import ConflictError, SapwoodError
from sapwood.zarr import SapwoodStore

__all__ = ["to_sapwood"]

DEFAULT_SPLIT_EVERY: Final = 8
"""How many forks one merge task folds together on the way back to the client."""

ZarrWriteMode = Literal["w", "w-", "a", "a-", "r+"]
Region = Mapping[str, slice | Literal["auto"]] | Literal["auto"] | None


def _as_dataset(obj: xr.Dataset | xr.DataArray) -> xr.Dataset:
    """The Dataset ``DataArray.to_zarr`` would write (so that ``open_dataarray`` reads the
    DataArray back with its name)."""
    if isinstance(obj, xr.Dataset):
        return obj
    if not isinstance(obj, xr.DataArray):
        raise TypeError(f"to_sapwood writes an xarray Dataset or DataArray, not {type(obj)}")
    if obj.name is None:
        return obj.to_dataset(name=DATAARRAY_VARIABLE)
    if obj.name in obj.coords or obj.name in obj.dims:
        dataset = obj.to_dataset(name=DATAARRAY_VARIABLE)
        dataset.attrs[DATAARRAY_NAME] = obj.name
        return dataset
    return obj.to_dataset()


def _rebind(target: Any, store: SapwoodStore) -> zarr.Array[Any]:
    """The Zarr array ``target`` with the same metadata, writing through ``store`` (no
    read: a fork does not see the metadata staged in the session it came from)."""
    if not isinstance(target, zarr.Array):
        raise SapwoodError(
            f"xarray handed over a {type(target).__name__} to write into, not a zarr.Array; "
            "this xarray version is not supported by sapwood.xarray"
        )
    source = target._async_array
    return zarr.Array(
        zarr.AsyncArray(
            metadata=source.metadata,
            store_path=StorePath(store, source.store_path.path),
            config=source.config,
        )
    )


def _fork_of(written: Any) -> Session:
    """The session a written block staged its chunks in (on the worker that wrote it)."""
    store = written.store_path.store if isinstance(written, zarr.Array) else None
    if not isinstance(store, SapwoodStore) or not isinstance(store.session, Session):
        raise SapwoodError(f"a Dask task returned {type(written).__name__}, not a written array")
    return store.session


def _merge_forks(first: Session, *rest: Session) -> Session:
    """One fork holding the changes of all of them."""
    first.merge(*rest)
    return first


def _write_lazily(
    writer: ArrayWriter,
    session: Session,
    chunkmanager_store_kwargs: MutableMapping[str, Any] | None,
    split_every: int,
) -> None:
    """Write the Dask-backed variables: every task writes into a fork of ``session``; the
    forks come back through a tree of merges and are merged into ``session``."""
    from dask.base import compute
    from dask.delayed import delayed

    fork = session.fork()
    fork_store = SapwoodStore(fork)
    writer.targets = [_rebind(target, fork_store) for target in writer.targets]
    options = dict(chunkmanager_store_kwargs or {})
    options.update(return_stored=True, load_stored=False)
    stored = writer.sync(  # type: ignore[no-untyped-call]
        compute=False, chunkmanager_store_kwargs=options
    )
    # dask.array.store returns one array for one source and a tuple for several.
    arrays: Sequence[Any] = stored if isinstance(stored, tuple | list) else [stored]
    pending = [delayed(_fork_of)(block) for array in arrays for block in array.to_delayed().ravel()]
    if not pending:
        return
    while len(pending) > 1:
        pending = [
            delayed(_merge_forks)(*pending[start : start + split_every])
            for start in range(0, len(pending), split_every)
        ]
    (merged,) = compute(pending[0])  # type: ignore[no-untyped-call]
    try:
        session.merge(merged)
    except ConflictError as error:
        # The fork was made after the session staged these paths (a region write over
        # data written earlier in the same session), so its versions are the later ones.
        for path in error.conflicts:
            session.reset(path)
        session.merge(merged)


def to_sapwood(
    obj: xr.Dataset | xr.DataArray,
    session: Session,
    *,
    mode: ZarrWriteMode | None = None,
    group: str | None = None,
    encoding: Mapping[Any, Any] | None = None,
    append_dim: Hashable | None = None,
    region: Region = None,
    safe_chunks: bool = True,
    align_chunks: bool = False,
    consolidated: bool = False,
    zarr_format: int | None = None,
    write_empty_chunks: bool | None = None,
    chunkmanager_store_kwargs: MutableMapping[str, Any] | None = None,
    compute: bool = True,
    storage_options: Mapping[str, Any] | None = None,
    split_every: int = DEFAULT_SPLIT_EVERY,
) -> None:
    """Write ``obj`` (a Dataset or DataArray) into ``session``'s Zarr store, staged there
    until ``session.commit(...)``.

    The keyword arguments are those of :meth:`xarray.Dataset.to_zarr` (``mode``,
    ``group``, ``encoding``, ``append_dim``, ``region``, ``safe_chunks``,
    ``align_chunks``, ``consolidated``, ``zarr_format``, ``write_empty_chunks``,
    ``chunkmanager_store_kwargs``). Metadata and NumPy-backed variables are written here;
    each Dask task writes its block into a fork of the session (on whichever worker, in
    whichever process, runs it) and hands the fork back; forks are merged ``split_every``
    at a time and finally into ``session``, so a whole ``dask.distributed`` cluster makes
    one commit. Consolidated metadata is off by default: sapwood lists a group cheaply.
    ``compute=False`` and ``storage_options`` do not apply (the write is finished when
    this returns; the session already says where the data goes) and are refused.
    """
    if not isinstance(session, Session):
        raise TypeError(
            f"to_sapwood takes a sapwood.Session, not {type(session).__name__}; get one from "
            "repo.writable_session(branch)"
        )
    if session.read_only:
        raise SapwoodError(
            f"to_sapwood needs a writable session, got {session!r}; use "
            "repo.writable_session(branch)"
        )
    if not compute:
        raise ValueError(
            "to_sapwood(compute=False) is not supported: the write finishes (and the forks "
            "are merged) before it returns; call it where you would compute"
        )
    if storage_options is not None:
        raise ValueError(
            "storage_options do not apply to to_sapwood: the session says where data goes"
        )
    for reserved in ("return_stored", "load_stored", "compute", "lock"):
        if reserved in (chunkmanager_store_kwargs or {}):
            raise ValueError(
                f"chunkmanager_store_kwargs[{reserved!r}] is set by to_sapwood itself (tasks "
                "must hand back what they wrote); leave it out"
            )
    if not isinstance(split_every, int) or split_every < 2:
        raise ValueError(f"split_every must be an int >= 2, got {split_every!r}")
    dataset = _as_dataset(obj)
    zstore = get_writable_zarr_store(
        session.store,
        mode=mode,
        group=group,
        consolidated=consolidated,
        append_dim=append_dim,
        region=region,
        safe_chunks=safe_chunks,
        align_chunks=align_chunks,
        zarr_format=zarr_format,
        write_empty_chunks=write_empty_chunks,
    )
    try:
        dataset = zstore._validate_and_autodetect_region(dataset)
        zstore._validate_encoding(encoding or {})
        writer = ArrayWriter()  # type: ignore[no-untyped-call]
        # Metadata, resizes for appends and NumPy-backed variables are written here;
        # Dask-backed ones are queued in the writer.
        dump_to_store(dataset, zstore, writer, encoding=encoding or {})  # type: ignore[no-untyped-call]
        if writer.sources:
            _write_lazily(writer, session, chunkmanager_store_kwargs, split_every)
    finally:
        zstore.close()
