"""xarray's own Zarr backend tests (``xarray.tests.test_backends.ZarrBase``), unmodified,
writing into a sapwood session's store."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

from xarray.tests.conftest import time_unit, use_dask  # noqa: F401  (fixtures the suite uses)
from xarray.tests.test_backends import (  # (fixtures the suite uses)
    ZarrBase,
    default_zarr_format,  # noqa: F401
    tmp_store,  # noqa: F401
)

import sapwood
from sapwood.zarr import SapwoodStore
from sapwood_memory.storage import drop_bucket


class TestSapwoodStoreXarrayBackend(ZarrBase):  # type: ignore[misc]
    """Each target is the store of a fresh writable session on a memory repository."""

    @contextlib.contextmanager
    def create_zarr_target(self) -> Iterator[SapwoodStore]:
        name = f"xarray-suite-{uuid.uuid4().hex[:12]}"
        repo = sapwood.Repository.create(f"memory://{name}")
        try:
            yield repo.writable_session("main").store
        finally:
            drop_bucket(name)
