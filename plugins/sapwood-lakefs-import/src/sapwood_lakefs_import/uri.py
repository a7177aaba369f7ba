"""``lakefs://<repository>/<ref>/<optional/prefix>``: what a lakeFS import URI names."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import msgspec

from sapwood.errors import ConfigError

__all__ = ["LakeFSLocation", "parse_lakefs_uri"]


class LakeFSLocation(msgspec.Struct, frozen=True, kw_only=True):
    """A repository, a ref in it, and a folder prefix (``""`` or ending with ``/``)."""

    repository: str
    ref: str
    prefix: str = ""

    @property
    def key_prefix(self) -> str:
        """The S3 gateway key prefix: lakeFS's first key segment is the ref."""
        return f"{self.ref}/{self.prefix}"

    def uri_of(self, path: str) -> str:
        """The ``lakefs://`` URI of ``path`` (relative to the prefix)."""
        return f"lakefs://{self.repository}/{self.key_prefix}{path}"


def parse_lakefs_uri(uri: str) -> LakeFSLocation:
    """Split ``uri``; ConfigError says how to write it when it is not a lakeFS URI."""
    parts = urlsplit(uri)
    example = "write lakefs://REPOSITORY/REF/optional/prefix/, e.g. lakefs://my-repo/main/data/"
    if parts.scheme.lower() != "lakefs":
        raise ConfigError(f"{uri!r} is not a lakefs:// URI; {example}", field="uri")
    if parts.query or parts.fragment:
        raise ConfigError(f"{uri!r} has a query or fragment; {example}", field="uri")
    repository = parts.netloc
    ref, _, prefix = unquote(parts.path).lstrip("/").partition("/")
    if not repository or not ref:
        raise ConfigError(f"{uri!r} names no repository or no ref; {example}", field="uri")
    prefix = prefix.strip("/")
    return LakeFSLocation(repository=repository, ref=ref, prefix=prefix + "/" if prefix else "")
