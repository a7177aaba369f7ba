"""Import objects from a lakeFS repository at a ref into a sapwood branch (``lakefs://``)."""

from sapwood_lakefs_import.options import LakeFSImportOptions
from sapwood_lakefs_import.uri import LakeFSLocation, parse_lakefs_uri

__all__ = ["LakeFSImportOptions", "LakeFSLocation", "parse_lakefs_uri"]
