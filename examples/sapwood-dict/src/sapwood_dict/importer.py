"""The ``catalog`` importer: brings the files of an in-process catalog into a branch."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from sapwood.errors import ConfigError, NotFoundError
from sapwood.extensions import ImportSource

__all__ = ["CATALOG", "CatalogImporter"]

CATALOG: dict[str, bytes] = {
    "catalog://reports/2024/q1.csv": b"id,total\n1,10\n",
    "catalog://reports/2024/q2.csv": b"id,total\n1,12\n",
    "catalog://other/readme.txt": b"not imported",
}
"""Stands in for a catalog service: address -> bytes."""


class CatalogImporter:
    """Lists the catalog's files under a ``catalog://`` URI and reads them."""

    def __init__(self, options: Mapping[str, object]) -> None:
        if options:
            raise ConfigError(f"the catalog importer takes no options, got: {sorted(options)}")

    async def scan(self, uri: str) -> AsyncIterator[ImportSource]:
        base = uri.rstrip("/") + "/"
        for address, data in sorted(CATALOG.items()):
            if address.startswith(base):
                yield ImportSource(
                    path=address[len(base) :],
                    size_bytes=len(data),
                    physical_address=address,
                    content_type="text/csv" if address.endswith(".csv") else None,
                )

    async def read(self, source: ImportSource) -> bytes:
        try:
            return CATALOG[source.physical_address]
        except KeyError:
            raise NotFoundError(
                f"{source.physical_address} is no longer in the catalog",
                key=source.physical_address,
            ) from None
