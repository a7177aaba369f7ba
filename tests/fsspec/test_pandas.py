"""pandas (and pyarrow) through ``sapwood://`` URLs, on a local repository and on S3 (moto's
server): read_csv, read_parquet, to_parquet and to_csv, each write one commit; and xarray's
Zarr reads and writes through the same URLs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import sapwood
from sapwood.fsspec import ReadOnlyReferenceError, SapwoodFileSystem
from sapwood_s3.testing import TEST_CREDENTIALS, MotoServer

from .conftest import messages

TREES = pd.DataFrame(
    {"id": [1, 2, 3], "species": ["oak", "ash", "elm"], "height": [21.5, 18.0, 30.2]}
)


@pytest.fixture(params=["local", "s3"])
def storage_options(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[dict[str, Any]]:
    """The storage options of a new repository: a local folder, or a bucket on moto."""
    if request.param == "local":
        folder = str(tmp_path / "repo")
        sapwood.Repository.create(folder).close()
        options: dict[str, Any] = {"repo": folder}
    else:
        server: MotoServer = request.getfixturevalue("moto_server")
        bucket: str = request.getfixturevalue("s3_bucket")
        options = {
            "repo": server.store_config(bucket, "trees"),
            "credentials": TEST_CREDENTIALS,
            "create": True,
        }
    yield options
    SapwoodFileSystem(**options).close()


def _repository(options: dict[str, Any]) -> sapwood.Repository:
    return SapwoodFileSystem(**options).repository


def test_csv_written_by_pandas_reads_back(storage_options: dict[str, Any]) -> None:
    TREES.to_csv("sapwood://main/census/trees.csv", index=False, storage_options=storage_options)

    back = pd.read_csv("sapwood://main/census/trees.csv", storage_options=storage_options)

    pd.testing.assert_frame_equal(back, TREES)
    assert messages(_repository(storage_options)) == ["Write census/trees.csv"]


def test_parquet_round_trip_and_time_travel(storage_options: dict[str, Any]) -> None:
    url = "sapwood://main/census/trees.parquet"
    TREES.to_parquet(url, storage_options=storage_options)
    repo = _repository(storage_options)
    repo.tag("v1").create("main")
    TREES.assign(height=TREES.height * 2).to_parquet(url, storage_options=storage_options)

    now = pd.read_parquet(url, storage_options=storage_options)
    then = pd.read_parquet("sapwood://v1/census/trees.parquet", storage_options=storage_options)

    pd.testing.assert_frame_equal(then, TREES)
    assert now.height.tolist() == (TREES.height * 2).tolist()
    assert messages(repo) == ["Write census/trees.parquet", "Write census/trees.parquet"]


def test_a_partitioned_dataset_is_read_as_one_frame(storage_options: dict[str, Any]) -> None:
    fs = SapwoodFileSystem(**storage_options)
    with fs.transaction:
        for species, part in TREES.groupby("species"):
            part.drop(columns="species").to_parquet(
                f"sapwood://main/trees/species={species}/part.parquet",
                storage_options=storage_options,
            )

    back = pd.read_parquet("sapwood://main/trees", storage_options=storage_options)

    assert sorted(back.id.tolist()) == [1, 2, 3]
    assert sorted(back.species.astype(str).tolist()) == ["ash", "elm", "oak"]
    assert messages(fs.repository) == ["Write through fsspec"]


def test_a_tag_is_read_only_for_pandas(storage_options: dict[str, Any]) -> None:
    TREES.to_csv("sapwood://main/trees.csv", storage_options=storage_options)
    _repository(storage_options).tag("v1").create("main")

    with pytest.raises(ReadOnlyReferenceError, match="not a branch"):
        TREES.to_csv("sapwood://v1/trees.csv", storage_options=storage_options)


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_a_script_that_never_closes_the_filesystem_exits_cleanly(
    backend: str, tmp_path: Any, request: pytest.FixtureRequest
) -> None:
    """The filesystem closes the repository it opened when the interpreter exits, after
    Python has stopped its thread pools: that close must neither fail nor print."""
    env = dict(os.environ)
    if backend == "local":
        url = str(tmp_path / "repo")
    else:
        server: MotoServer = request.getfixturevalue("moto_server")
        bucket: str = request.getfixturevalue("s3_bucket")
        url = server.store_config(bucket, "repo").to_url()
        env |= {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    script = (
        "import pandas as pd, sapwood\n"
        f"sapwood.Repository.create({url!r}).close()\n"
        f"options = {{'repo': {url!r}}}\n"
        "pd.DataFrame({'a': [1, 2]}).to_parquet('sapwood://main/t.parquet', "
        "storage_options=options)\n"
        "print(len(pd.read_parquet('sapwood://main/t.parquet', storage_options=options)))\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "2"
    assert ran.stderr == ""


def test_xarray_reads_and_writes_zarr_through_sapwood_urls(tmp_path: Any) -> None:
    """Zarr hands every fsspec filesystem ``asynchronous=True`` and wraps a synchronous one
    for its own use: the sapwood:// filesystem accepts that flag."""
    folder = str(tmp_path / "repo")
    sapwood.Repository.create(folder).close()
    options = {"repo": folder}
    field = xr.Dataset({"t": (("x",), np.arange(6))})
    field.to_zarr("sapwood://main/field.zarr", storage_options=options, consolidated=False)
    back = xr.open_zarr("sapwood://main/field.zarr", storage_options=options, consolidated=False)
    xr.testing.assert_equal(back.load(), field)
    with sapwood.Repository.open(folder) as repo:
        assert repo.branch("main").exists("field.zarr/zarr.json")
