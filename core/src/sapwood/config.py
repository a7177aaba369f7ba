"""Configuration as msgspec Structs: where a repository lives and how it behaves.

:class:`ObjectStoreConfig` says where (a backend plugin name plus bucket, prefix and
connection settings); :class:`RepositoryConfig` says how (chunking, caching, limits,
retries...). Every config round-trips through JSON, TOML, YAML and msgpack, and a bad
value raises :class:`~sapwood.errors.ConfigError` naming the field path.

In a :class:`RepositoryConfig` every field may be ``None``, meaning "inherit": the stored
config, then :meth:`RepositoryConfig.default`, fill it in (see :meth:`RepositoryConfig.merge`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Self, TypeVar
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import msgspec
import tomli_w
import yaml

from sapwood.errors import ConfigError

__all__ = [
    "CachingConfig",
    "ChunkingConfig",
    "CompressionConfig",
    "ConfigStruct",
    "LimitsConfig",
    "ObjectStoreConfig",
    "RepositoryConfig",
    "RetriesConfig",
    "TimeoutsConfig",
    "VirtualChunkContainer",
    "convert_config",
]

Format = Literal["json", "toml", "yaml", "msgpack"]
T = TypeVar("T")

_PATH_IN_MESSAGE = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_SECRET_HINT = re.compile(r"key|secret|token|password|credential|sas", re.IGNORECASE)


def _field_path(raw: str) -> str:
    path = raw.lstrip(".")
    return re.sub(r"\[(\d+)\]", r".\1", path).replace("['", ".").replace("']", "")


def convert_config(data: object, into: type[T], *, what: str | None = None) -> T:
    """Validate ``data`` (plain dicts and lists) into ``into``, or raise ConfigError.

    The error names the field path, the type of the value found, and what was expected.
    """
    try:
        return msgspec.convert(data, into, strict=False)
    except msgspec.ValidationError as exc:
        raise _config_error(exc, data, what or into.__name__) from None


def _config_error(exc: msgspec.ValidationError, data: object, what: str) -> ConfigError:
    message = str(exc)
    match = _PATH_IN_MESSAGE.search(message)
    path = _field_path(match["path"]) if match else ""
    reason = message[: match.start()] if match else message
    found = _lookup(data, path)
    found_type = "missing" if found is _MISSING else type(found).__name__
    where = f"{what}.{path}" if path else what
    shown = ""
    if found is not _MISSING and not _SECRET_HINT.search(path):
        shown = f" (got {found!r:.60}, a {found_type})"
    elif found is not _MISSING:
        shown = f" (got a {found_type})"
    return ConfigError(f"invalid config at {where}: {reason}{shown}", field=path or None)


_MISSING = object()


def _lookup(data: object, path: str) -> object:
    current = data
    for part in [p for p in path.split(".") if p]:
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list | tuple) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        elif hasattr(current, part):
            current = getattr(current, part)
        else:
            return _MISSING
    return current


class ConfigStruct(
    msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, forbid_unknown_fields=True
):
    """Base of every config: typed, immutable, and convertible to and from four formats."""

    def to_dict(self) -> dict[str, Any]:
        """Plain builtins, leaving out unset fields."""
        result: dict[str, Any] = msgspec.to_builtins(self)
        return result

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Validate plain builtins into this config (ConfigError names a bad field)."""
        return convert_config(dict(data), cls)

    def encode(self, fmt: Format = "json") -> bytes:
        """Serialize as ``json``, ``toml``, ``yaml`` or ``msgpack``."""
        if fmt == "json":
            return msgspec.json.encode(self)
        if fmt == "msgpack":
            return msgspec.msgpack.encode(self)
        if fmt == "toml":
            return tomli_w.dumps(self.to_dict()).encode()
        if fmt == "yaml":
            return yaml.safe_dump(self.to_dict(), sort_keys=False).encode()
        raise ConfigError(f"unknown format {fmt!r}; use json, toml, yaml or msgpack", field=None)

    @classmethod
    def decode(cls, data: bytes | str, fmt: Format = "json") -> Self:
        """Parse ``data`` written in ``fmt``; ConfigError names a bad field."""
        raw = data.encode() if isinstance(data, str) else data
        try:
            if fmt == "json":
                builtins: object = msgspec.json.decode(raw)
            elif fmt == "msgpack":
                builtins = msgspec.msgpack.decode(raw)
            elif fmt == "toml":
                builtins = msgspec.toml.decode(raw)
            elif fmt == "yaml":
                builtins = yaml.safe_load(raw) or {}
            else:
                raise ConfigError(f"unknown format {fmt!r}; use json, toml, yaml or msgpack")
        except (msgspec.DecodeError, yaml.YAMLError) as exc:
            raise ConfigError(f"{cls.__name__} is not valid {fmt}: {exc}") from None
        return convert_config(builtins, cls)

    def to_json(self) -> str:
        """This config as a JSON string."""
        return self.encode("json").decode()

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """Parse a JSON string."""
        return cls.decode(text, "json")

    def merge(self, other: Self | None) -> Self:
        """A copy where every field set in ``other`` replaces this one's; nested configs merge
        field by field, and ``None`` in ``other`` means "keep mine"."""
        if other is None:
            return self
        changes: dict[str, Any] = {}
        for name in self.__struct_fields__:
            theirs = getattr(other, name)
            if theirs is None:
                continue
            mine = getattr(self, name)
            if isinstance(mine, ConfigStruct) and isinstance(theirs, ConfigStruct):
                changes[name] = mine.merge(theirs)
            elif isinstance(mine, dict) and isinstance(theirs, dict):
                changes[name] = {**mine, **theirs}
            else:
                changes[name] = theirs
        return msgspec.structs.replace(self, **changes)


NonNegative = Annotated[int, msgspec.Meta(ge=0)]
Positive = Annotated[int, msgspec.Meta(gt=0)]
PositiveFloat = Annotated[float, msgspec.Meta(gt=0)]


class CompressionConfig(ConfigStruct, frozen=True):
    """Transparent compression in the object layer. ``algorithm="none"`` turns it off."""

    algorithm: Literal["zstd", "none"] | None = None
    level: Annotated[int, msgspec.Meta(ge=-7, le=22)] | None = None
    min_size_bytes: NonNegative | None = None


class CachingConfig(ConfigStruct, frozen=True):
    """The object layer's cache of immutable objects, bounded in bytes.

    ``cache`` names a cache plugin (default: the built-in ``lru``). Mutable refs are cached
    for ``ref_ttl_seconds`` at most (``0``, the default, never caches them).
    """

    cache: str | None = None
    max_bytes: NonNegative | None = None
    ref_ttl_seconds: Annotated[float, msgspec.Meta(ge=0)] | None = None


class LimitsConfig(ConfigStruct, frozen=True):
    """Flow control; ``0`` means unlimited. ``limiter`` names a limiter plugin."""

    limiter: str | None = None
    max_concurrent_requests: NonNegative | None = None
    requests_per_second: Annotated[float, msgspec.Meta(ge=0)] | None = None
    read_bytes_per_second: NonNegative | None = None
    write_bytes_per_second: NonNegative | None = None
    total_bytes_per_second: NonNegative | None = None


class RetriesConfig(ConfigStruct, frozen=True):
    """Retries of retryable storage errors with exponential backoff and full jitter."""

    max_attempts: Positive | None = None
    initial_backoff_ms: NonNegative | None = None
    max_backoff_ms: NonNegative | None = None
    backoff_multiplier: Annotated[float, msgspec.Meta(ge=1)] | None = None


class TimeoutsConfig(ConfigStruct, frozen=True):
    """A limit per attempt (inside the retry loop); ``0`` disables it."""

    attempt_timeout_ms: NonNegative | None = None
    connect_timeout_ms: NonNegative | None = None


class ChunkingConfig(ConfigStruct, frozen=True):
    """How file contents are split into content-defined chunks and manifests into ranges."""

    chunk_threshold_bytes: Positive | None = None
    average_chunk_bytes: Annotated[int, msgspec.Meta(ge=256)] | None = None
    manifest_range_entries: Annotated[int, msgspec.Meta(ge=16)] | None = None


_URL_SCHEMES: dict[str, str] = {
    "memory": "memory",
    "file": "local",
    "s3": "s3",
    "gs": "gcs",
    "gcs": "gcs",
    "az": "azure",
    "azure": "azure",
    "abfs": "azure",
    "tigris": "tigris",
}
_SCHEME_FOR_STORE: dict[str, str] = {
    "memory": "memory",
    "local": "file",
    "s3": "s3",
    "gcs": "gs",
    "azure": "az",
    "tigris": "tigris",
}
_BOOL_WORDS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


class ObjectStoreConfig(ConfigStruct, frozen=True):
    """Where a repository lives: a storage plugin name and its location.

    ``object_store`` is a plugin name (``memory``, ``local``, ``s3``, ``gcs``, ``azure``,
    ``tigris`` or a third party's); ``extra`` holds settings only that plugin knows, which it
    validates with its own Struct. For ``local``, ``prefix`` is the folder.
    """

    object_store: str
    bucket: str | None = None
    prefix: str = ""
    region: str | None = None
    endpoint_url: str | None = None
    anonymous: bool = False
    allow_http: bool = False
    extra: dict[str, Any] = msgspec.field(default_factory=dict)

    SCHEMES: ClassVar[Mapping[str, str]] = _URL_SCHEMES

    def __repr__(self) -> str:
        shown = {k: ("***" if _SECRET_HINT.search(k) else v) for k, v in self.extra.items()}
        parts = [f"object_store={self.object_store!r}"]
        for name in ("bucket", "prefix", "region", "endpoint_url"):
            value = getattr(self, name)
            if value:
                parts.append(f"{name}={value!r}")
        for name in ("anonymous", "allow_http"):
            if getattr(self, name):
                parts.append(f"{name}=True")
        if shown:
            parts.append(f"extra={shown!r}")
        return f"ObjectStoreConfig({', '.join(parts)})"

    __str__ = __repr__

    @classmethod
    def from_url(cls, url: str, **overrides: Any) -> ObjectStoreConfig:
        """Parse ``memory://name``, ``file:///path``, ``s3://bucket/prefix``, ``gs://...``,
        ``az://container/prefix``, ``tigris://bucket/prefix`` (or a scheme a plugin registered).

        Query parameters and keyword overrides set fields (``?region=auto&allow_http=true``);
        names that are not fields go to ``extra``.
        """
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if not scheme:
            raise ConfigError(
                f"{url!r} is not a storage URL: it needs a scheme such as file://, memory://, "
                "s3://, gs://, az:// or tigris://",
                field="url",
            )
        object_store = _URL_SCHEMES.get(scheme) or _plugin_scheme(scheme) or scheme
        fields: dict[str, Any] = {"object_store": object_store}
        if object_store == "local":
            location = unquote(parts.netloc + parts.path)
            if not location:
                raise ConfigError(
                    f"{url!r} names no folder; write file:///absolute/path", field="url"
                )
            fields["prefix"] = location
        else:
            if not parts.netloc:
                raise ConfigError(
                    f"{url!r} names no bucket; write {scheme}://BUCKET/optional/prefix", field="url"
                )
            fields["bucket"] = unquote(parts.netloc)
            fields["prefix"] = unquote(parts.path).strip("/")
        extra: dict[str, Any] = {}
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        for key, value in [*query.items(), *overrides.items()]:
            if key in cls.__struct_fields__ and key != "extra":
                fields[key] = _coerce(key, value)
            elif key == "extra" and isinstance(value, Mapping):
                extra.update(value)
            else:
                extra[key] = value
        fields["extra"] = extra
        return convert_config(fields, cls)

    def to_url(self) -> str:
        """The URL that :meth:`from_url` turns back into this config."""
        scheme = _SCHEME_FOR_STORE.get(self.object_store, self.object_store)
        if self.object_store == "local":
            base = f"file://{quote(self.prefix)}"
        else:
            path = f"/{quote(self.prefix)}" if self.prefix else ""
            base = f"{scheme}://{quote(self.bucket or '')}{path}"
        query: dict[str, str] = {}
        for name in ("region", "endpoint_url"):
            value = getattr(self, name)
            if value is not None:
                query[name] = value
        for name in ("anonymous", "allow_http"):
            if getattr(self, name):
                query[name] = "true"
        for key, value in self.extra.items():
            query[key] = value if isinstance(value, str) else msgspec.json.encode(value).decode()
        return f"{base}?{urlencode(query)}" if query else base


def _coerce(key: str, value: Any) -> Any:
    if key in ("anonymous", "allow_http") and isinstance(value, str):
        word = value.strip().lower()
        if word not in _BOOL_WORDS:
            raise ConfigError(
                f"invalid config at ObjectStoreConfig.{key}: expected true or false, got {value!r}",
                field=key,
            )
        return _BOOL_WORDS[word]
    return value


def _plugin_scheme(scheme: str) -> str | None:
    from sapwood.registry import registry

    return registry().backend_for_scheme(scheme)


class VirtualChunkContainer(ConfigStruct, frozen=True):
    """A place outside the repository whose objects manifests may point at ("virtual" files).

    ``prefix`` is the URL prefix references must start with (``s3://public-data/``); ``store``
    says how to reach it. Credentials for it are passed when opening the repository.
    """

    name: str
    prefix: str
    store: ObjectStoreConfig


class RepositoryConfig(ConfigStruct, frozen=True):
    """How a repository behaves. ``None`` fields inherit (see :meth:`merge`)."""

    inline_chunk_threshold_bytes: NonNegative | None = None
    unsafe_overwrite_refs: bool | None = None
    virtual_chunk_containers: dict[str, VirtualChunkContainer] | None = None
    get_partial_values_concurrency: Positive | None = None
    compression: CompressionConfig | None = None
    caching: CachingConfig | None = None
    limits: LimitsConfig | None = None
    retries: RetriesConfig | None = None
    timeouts: TimeoutsConfig | None = None
    chunking: ChunkingConfig | None = None

    @classmethod
    def default(cls) -> RepositoryConfig:
        """Every field set to sapwood's default."""
        return cls(
            inline_chunk_threshold_bytes=512,
            unsafe_overwrite_refs=False,
            virtual_chunk_containers={},
            get_partial_values_concurrency=10,
            compression=CompressionConfig(algorithm="zstd", level=3, min_size_bytes=64),
            caching=CachingConfig(cache="lru", max_bytes=256 * 1024 * 1024, ref_ttl_seconds=0.0),
            limits=LimitsConfig(
                limiter="token-bucket",
                max_concurrent_requests=64,
                requests_per_second=0,
                read_bytes_per_second=0,
                write_bytes_per_second=0,
                total_bytes_per_second=0,
            ),
            retries=RetriesConfig(
                max_attempts=5, initial_backoff_ms=50, max_backoff_ms=5000, backoff_multiplier=2.0
            ),
            timeouts=TimeoutsConfig(attempt_timeout_ms=60_000, connect_timeout_ms=5_000),
            chunking=ChunkingConfig(
                chunk_threshold_bytes=4 * 1024 * 1024,
                average_chunk_bytes=1024 * 1024,
                manifest_range_entries=1000,
            ),
        )

    def resolved(self) -> RepositoryConfig:
        """This config with every unset field filled from :meth:`default`."""
        return RepositoryConfig.default().merge(self)
