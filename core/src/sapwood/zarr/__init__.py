"""Zarr v3 over sapwood (``pip install 'sapwood[zarr]'``).

``session.store`` is a :class:`SapwoodStore`; hand it to any Zarr call::

    import zarr

    session = repo.writable_session("main")
    array = zarr.create_array(session.store, name="t", shape=(100,), chunks=(10,), dtype="f4")
    array[:] = 1.0
    session.commit("Add t")
"""

from __future__ import annotations

try:
    import zarr as _zarr  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the environment
    from sapwood.errors import PluginError

    raise PluginError(
        "sapwood.zarr needs zarr-python 3; install it with: pip install 'sapwood[zarr]'"
    ) from error

from sapwood.zarr.store import AnySession, SapwoodStore

__all__ = ["AnySession", "SapwoodStore"]
