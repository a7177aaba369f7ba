"""The ``lakefs`` entry point: registers the lakeFS importer without importing boto3.

boto3 (through sapwood-s3) is imported only when an importer is built; without it the
factory raises a PluginError naming the dist to install.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sapwood.errors import PluginError
from sapwood.extensions import Importer, ImporterType
from sapwood.hookspecs import hookimpl
from sapwood_lakefs_import.options import resolve_options

__all__ = ["make_importer", "sapwood_register_importers"]


def make_importer(options: Mapping[str, Any]) -> Importer:
    """A lakeFS importer from ``options`` (filled in from lakectl's environment variables);
    ConfigError for bad options. No I/O happens here."""
    resolved = resolve_options(options)
    try:
        from sapwood_lakefs_import.importer import LakeFSImporter
    except ImportError as exc:
        raise PluginError(
            f"the lakefs importer needs sapwood-s3 and boto3, which could not be imported "
            f"({exc}); install them with: pip install sapwood-lakefs-import"
        ) from None
    return LakeFSImporter(resolved)


@hookimpl
def sapwood_register_importers(register: Callable[[ImporterType], None]) -> None:
    """Register the ``lakefs`` importer for ``lakefs://repo/ref/prefix`` URIs."""
    register(
        ImporterType(
            name="lakefs",
            factory=make_importer,
            url_schemes=("lakefs",),
            description="objects of a lakeFS repository at a ref, via its S3 gateway",
        )
    )
