"""A sapwood repository as an fsspec filesystem, so pandas, pyarrow, Dask and every other
fsspec-aware tool read and write ``sapwood://<ref>/<path>`` URLs::

    import pandas as pd

    df = pd.read_csv("sapwood://main/data/trees.csv", storage_options={"repo": "data/repo"})
    df.to_parquet("sapwood://main/data/trees.parquet", storage_options={"repo": "data/repo"})

Installed with the ``sapwood[fsspec]`` extra; fsspec finds the ``sapwood`` protocol through
its ``fsspec.specs`` entry point. See :class:`SapwoodFileSystem`.
"""

from __future__ import annotations

try:
    import fsspec as _fsspec  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the environment
    from sapwood.errors import PluginError

    raise PluginError(
        "sapwood.fsspec needs fsspec; install it with: pip install 'sapwood[fsspec]'"
    ) from error

from sapwood.fsspec._errors import FolderNotEmptyError, ReadOnlyReferenceError
from sapwood.fsspec._file import SapwoodFile
from sapwood.fsspec._filesystem import SapwoodFileSystem
from sapwood.fsspec._transaction import SapwoodTransaction

__all__ = [
    "FolderNotEmptyError",
    "ReadOnlyReferenceError",
    "SapwoodFile",
    "SapwoodFileSystem",
    "SapwoodTransaction",
]
