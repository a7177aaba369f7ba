"""xarray through SapwoodStore, and to_sapwood with Dask: local threads and a
dask.distributed cluster of worker processes making one commit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dask.array as da
import numpy as np
import pytest
import xarray as xr
from distributed import Client, LocalCluster

import sapwood
from sapwood.errors import SapwoodError
from sapwood.xarray import to_sapwood


@pytest.fixture
def repo(tmp_path: Path) -> sapwood.Repository:
    return sapwood.Repository.create(str(tmp_path / "repo"))


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            dashboard_address=None,
            host="127.0.0.1",
        ) as cluster,
        Client(cluster) as connected,
    ):
        yield connected


def field(times: int, start: int = 0, dask: bool = True) -> xr.Dataset:
    """A (time, y, x) temperature field, chunked 2 x 4 x 4 when Dask-backed."""
    shape = (times, 8, 8)
    values = np.arange(start * 64, (start + times) * 64, dtype="f8").reshape(shape)
    data = da.from_array(values, chunks=(2, 4, 4)) if dask else values
    return xr.Dataset(
        {"temperature": (("time", "y", "x"), data, {"units": "K"})},
        coords={"time": np.arange(start, start + times), "y": np.arange(8), "x": np.arange(8)},
        attrs={"title": "field"},
    )


def commits(repo: sapwood.Repository) -> int:
    return len(list(repo.branch("main").log()))


def chunk_keys(session: sapwood.Session, variable: str) -> list[str]:
    return [item.path for item in session.list_objects(prefix=f"{variable}/c/")]


def test_to_zarr_and_open_zarr_on_the_session_store(repo: sapwood.Repository) -> None:
    session = repo.writable_session("main")
    expected = field(4, dask=False)
    expected.to_zarr(session.store, consolidated=False)
    session.commit("eager write")
    reader = repo.readonly_session(branch="main")
    back = xr.open_zarr(reader.store, consolidated=False)
    xr.testing.assert_identical(back.load(), expected)


def test_to_sapwood_with_local_threads(repo: sapwood.Repository) -> None:
    session = repo.writable_session("main")
    before = commits(repo)
    to_sapwood(field(6), session)
    session.commit("threads")
    assert commits(repo) == before + 1
    back = xr.open_zarr(repo.readonly_session(branch="main").store, consolidated=False)
    xr.testing.assert_identical(back.load(), field(6, dask=False))


def test_to_sapwood_data_array_round_trips_its_name(repo: sapwood.Repository) -> None:
    session = repo.writable_session("main")
    array = field(2)["temperature"]
    to_sapwood(array, session)
    session.commit("data array")
    back = xr.open_dataarray(
        repo.readonly_session(branch="main").store, engine="zarr", consolidated=False
    )
    assert back.name == "temperature"
    np.testing.assert_array_equal(back.values, array.values)


def test_cluster_of_processes_makes_one_commit(repo: sapwood.Repository, client: Client) -> None:
    """Write, append along time, then overwrite a region, all from worker processes into
    forks of one session: one commit, every chunk present and equal."""
    session = repo.writable_session("main")
    before = commits(repo)

    to_sapwood(field(4), session)
    to_sapwood(field(4, start=4), session, append_dim="time")
    replacement = field(2, start=2) * 0 - 1
    replacement.attrs = {}
    to_sapwood(
        replacement.drop_vars(["y", "x"]),
        session,
        region={"time": slice(2, 4)},
        mode="r+",
    )
    assert commits(repo) == before  # staged in the session, nothing committed yet
    session.commit("from the cluster")
    assert commits(repo) == before + 1

    reader = repo.readonly_session(branch="main")
    # 8 time steps in chunks of 2, 8 x 8 in chunks of 4 x 4: 4 * 2 * 2 chunks
    assert len(chunk_keys(reader, "temperature")) == 16
    back = xr.open_zarr(reader.store, consolidated=False).load()
    expected = field(8, dask=False)
    expected["temperature"][2:4] = -1.0
    xr.testing.assert_identical(back, expected)


@pytest.mark.filterwarnings("ignore:Consolidated metadata:UserWarning")
def test_cluster_write_into_a_group_with_consolidated_metadata(
    repo: sapwood.Repository, client: Client
) -> None:
    session = repo.writable_session("main")
    to_sapwood(field(4), session, group="runs/a", consolidated=True)
    session.commit("group")
    reader = repo.readonly_session(branch="main")
    back = xr.open_zarr(reader.store, group="runs/a", consolidated=True).load()
    xr.testing.assert_identical(back, field(4, dask=False))


def test_to_sapwood_refuses_what_does_not_apply(repo: sapwood.Repository) -> None:
    session = repo.writable_session("main")
    with pytest.raises(ValueError, match="compute=False"):
        to_sapwood(field(2), session, compute=False)
    with pytest.raises(ValueError, match="storage_options"):
        to_sapwood(field(2), session, storage_options={"anon": True})
    with pytest.raises(ValueError, match="return_stored"):
        to_sapwood(field(2), session, chunkmanager_store_kwargs={"return_stored": False})
    with pytest.raises(ValueError, match="split_every"):
        to_sapwood(field(2), session, split_every=1)
    assert not session.has_uncommitted_changes  # refused before writing anything
    with pytest.raises(SapwoodError, match="writable session"):
        to_sapwood(field(2), repo.readonly_session(branch="main"))
    with pytest.raises(TypeError, match=r"sapwood\.Session"):
        to_sapwood(field(2), session.store)  # type: ignore[arg-type]
